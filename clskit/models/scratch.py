"""Convolution and pooling written out with plain tensor ops, to read next to ``torch.nn.functional``.

The idea of a convolution: slide a small kernel over the image; at every position multiply the
pixels under the kernel by the kernel's weights and sum. Written as a loop over the *kernel offsets*
``(i, j)`` (a 3x3 kernel has 9), each step is one big tensor operation on a shifted view of the
image, so the code stays short and runs at a reasonable speed:

    out[b, o, y, x] = bias[o] + sum_{c, i, j} weight[o, c, i, j] * x_pad[b, c, y*s + i*d, x*s + j*d]

with stride ``s`` and dilation ``d``. The tests compare every function here with PyTorch's.
"""
from __future__ import annotations

from typing import Iterable

import torch
import torch.nn as nn
import torch.nn.functional as F


def _pair(v: int | tuple[int, int], name: str) -> tuple[int, int]:
    pair = (v, v) if isinstance(v, int) else tuple(v)
    if len(pair) != 2 or any(not isinstance(a, int) for a in pair):
        raise ValueError(f"{name} must be an int or a pair of ints; got {v!r}")
    return pair


def conv_output_size(size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """Output length of a convolution or pooling along one axis.

    ``out = floor((size + 2*padding - dilation*(kernel - 1) - 1) / stride) + 1``

    Example:
        >>> conv_output_size(8, kernel=3, padding=1), conv_output_size(8, kernel=3, stride=2)
        (8, 3)
    """
    out = (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1
    if out < 1:
        raise ValueError(
            f"a kernel of {kernel} (dilation {dilation}) does not fit in an input of {size} with padding "
            f"{padding}; use a smaller kernel or more padding"
        )
    return out


def _shifted(xp: torch.Tensor, i: int, j: int, out_hw: tuple[int, int], stride: tuple[int, int]) -> torch.Tensor:
    """The view of padded input ``xp`` that kernel offset ``(i, j)`` sees at every output position."""
    (ho, wo), (sh, sw) = out_hw, stride
    return xp[:, :, i:i + sh * (ho - 1) + 1:sh, j:j + sw * (wo - 1) + 1:sw]   # (B, C, Ho, Wo)


def conv2d(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None,
           stride: int | tuple[int, int] = 1, padding: int | tuple[int, int] = 0,
           dilation: int | tuple[int, int] = 1, groups: int = 1) -> torch.Tensor:
    """2D convolution (really cross-correlation, like every deep-learning library) by hand.

    Args:
        x: input ``(B, C, H, W)``.
        weight: kernels ``(O, C // groups, kh, kw)``.
        bias: optional ``(O,)``.
        stride, padding, dilation: as in :func:`torch.nn.functional.conv2d` (zero padding).
        groups: split channels into ``groups`` independent convolutions (``groups == C`` is a
            depthwise convolution, as in MobileNet and EfficientNet).

    Returns:
        ``(B, O, Ho, Wo)``, equal to ``F.conv2d`` up to float rounding.

    Example:
        >>> x, w = torch.randn(2, 3, 8, 8), torch.randn(4, 3, 3, 3)
        >>> torch.allclose(conv2d(x, w, padding=1), F.conv2d(x, w, padding=1), atol=1e-5)
        True
    """
    if x.ndim != 4 or weight.ndim != 4:
        raise ValueError(f"x must be (B, C, H, W) and weight (O, C/groups, kh, kw); got {tuple(x.shape)} "
                         f"and {tuple(weight.shape)}")
    (sh, sw), (ph, pw), (dh, dw) = _pair(stride, "stride"), _pair(padding, "padding"), _pair(dilation, "dilation")
    b, c, h, w = x.shape
    o, c_per_group, kh, kw = weight.shape
    if c % groups or o % groups or c // groups != c_per_group:
        raise ValueError(f"with groups={groups}, x's {c} channels and weight's {o} outputs must divide evenly and "
                         f"weight must have {c // groups if c % groups == 0 else '?'} input channels; "
                         f"got weight {tuple(weight.shape)}")
    ho, wo = conv_output_size(h, kh, sh, ph, dh), conv_output_size(w, kw, sw, pw, dw)
    xp = F.pad(x, (pw, pw, ph, ph))                                   # (B, C, H + 2ph, W + 2pw), zeros
    wg = weight.view(groups, o // groups, c_per_group, kh, kw)        # (G, O/G, C/G, kh, kw)
    out = x.new_zeros(b, groups, o // groups, ho, wo)                 # (B, G, O/G, Ho, Wo)
    for i in range(kh):
        for j in range(kw):
            patch = _shifted(xp, i * dh, j * dw, (ho, wo), (sh, sw))   # (B, C, Ho, Wo)
            patch = patch.view(b, groups, c_per_group, ho, wo)                        # (B, G, C/G, Ho, Wo)
            # every output channel o mixes the C/G input channels of its group with weight[o, :, i, j]
            out += torch.einsum("bgchw,goc->bgohw", patch, wg[:, :, :, i, j])
    out = out.reshape(b, o, ho, wo)
    if bias is not None:
        out = out + bias.view(1, o, 1, 1)
    return out


def max_pool2d(x: torch.Tensor, kernel_size: int | tuple[int, int], stride: int | tuple[int, int] | None = None,
               padding: int | tuple[int, int] = 0, dilation: int | tuple[int, int] = 1) -> torch.Tensor:
    """Max pooling by hand: the largest value under the window at every position (channels stay apart).

    Example:
        >>> x = torch.randn(1, 2, 6, 6)
        >>> torch.equal(max_pool2d(x, 2), F.max_pool2d(x, 2))
        True
    """
    return _pool(x, kernel_size, stride, padding, dilation, "max")


def avg_pool2d(x: torch.Tensor, kernel_size: int | tuple[int, int], stride: int | tuple[int, int] | None = None,
               padding: int | tuple[int, int] = 0) -> torch.Tensor:
    """Average pooling by hand (zero padding counted in the average, like PyTorch's default).

    Example:
        >>> x = torch.randn(1, 2, 6, 6)
        >>> torch.allclose(avg_pool2d(x, 3, stride=1, padding=1), F.avg_pool2d(x, 3, stride=1, padding=1))
        True
    """
    return _pool(x, kernel_size, stride, padding, 1, "avg")


def _pool(x, kernel_size, stride, padding, dilation, mode: str) -> torch.Tensor:
    (kh, kw) = _pair(kernel_size, "kernel_size")
    (sh, sw) = _pair(kernel_size if stride is None else stride, "stride")   # stride defaults to the window
    (ph, pw), (dh, dw) = _pair(padding, "padding"), _pair(dilation, "dilation")
    if ph > kh // 2 or pw > kw // 2:
        raise ValueError(f"padding {padding} must be at most half the kernel size {kernel_size}")
    ho, wo = conv_output_size(x.shape[-2], kh, sh, ph, dh), conv_output_size(x.shape[-1], kw, sw, pw, dw)
    fill = float("-inf") if mode == "max" else 0.0       # padding never wins a max
    xp = F.pad(x, (pw, pw, ph, ph), value=fill)           # (B, C, Hp, Wp)
    views = [_shifted(xp, i * dh, j * dw, (ho, wo), (sh, sw)) for i in range(kh) for j in range(kw)]
    stacked = torch.stack(views)                          # (kh*kw, B, C, Ho, Wo)
    return stacked.amax(0) if mode == "max" else stacked.mean(0)


def receptive_field(layers: nn.Module | Iterable[nn.Module]) -> list[tuple[str, int, int]]:
    """Receptive field (in input pixels) and total stride after every conv / pooling layer.

    Walks the layers in order (a sequential stack; skip connections do not change the result for
    the main path). Each layer with kernel ``k``, stride ``s``, dilation ``d`` grows the receptive
    field by ``(k - 1) * d * jump`` where ``jump`` is the product of the strides before it.

    Returns:
        ``[(layer name, receptive field, jump), ...]`` for every Conv2d / MaxPool2d / AvgPool2d.

    Example:
        >>> net = nn.Sequential(nn.Conv2d(1, 4, 3), nn.Conv2d(4, 4, 3), nn.MaxPool2d(2), nn.Conv2d(4, 4, 3))
        >>> [rf for _, rf, _ in receptive_field(net)]
        [3, 5, 6, 10]
    """
    named = layers.named_modules() if isinstance(layers, nn.Module) else ((str(i), m) for i, m in enumerate(layers))
    rf, jump, rows = 1, 1, []
    for name, m in named:
        if not isinstance(m, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)):
            continue
        k = _pair(m.kernel_size, "kernel_size")[0]
        s = _pair(m.stride, "stride")[0]
        d = _pair(m.dilation, "dilation")[0] if hasattr(m, "dilation") else 1
        rf += (k - 1) * d * jump
        jump *= s
        rows.append((name, rf, jump))
    return rows
