"""Pruning: zero the smallest weights (unstructured) or remove whole channels (structured), and measure sparsity."""
from __future__ import annotations

import copy

import torch
import torch.nn as nn


def sparsity(model: nn.Module) -> float:
    """Fraction of exactly-zero entries among the weights of Conv2d and Linear layers.

    Example:
        >>> lin = nn.Linear(2, 2); _ = lin.weight.data.copy_(torch.tensor([[0., 1.], [0., 2.]]))
        >>> sparsity(lin)
        0.5
    """
    zeros = total = 0
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            w = m.weight.detach()
            zeros += int((w == 0).sum())
            total += w.numel()
    if total == 0:
        raise ValueError(f"{type(model).__name__} has no Conv2d or Linear float weights to measure")
    return zeros / total


def _prunable(model: nn.Module) -> list[tuple[nn.Module, str]]:
    return [(m, "weight") for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


def prune_unstructured(model: nn.Module, amount: float) -> nn.Module:
    """Global unstructured magnitude pruning: zero the ``amount`` fraction of smallest |weights|.

    One threshold across all Conv2d and Linear layers (``torch.nn.utils.prune.global_unstructured``
    with L1), made permanent, so the result is a plain model whose weights contain zeros. The
    tensors stay dense: same file size, same dense kernels.

    Example:
        >>> m = prune_unstructured(nn.Sequential(nn.Linear(10, 10)), 0.3)
        >>> round(sparsity(m), 2)
        0.3
    """
    import torch.nn.utils.prune as prune

    if not 0 <= amount < 1:
        raise ValueError(f"amount (fraction of weights to remove) must lie in [0, 1); got {amount}")
    model = copy.deepcopy(model)
    params = _prunable(model)
    if not params:
        raise ValueError(f"{type(model).__name__} has no Conv2d or Linear layers to prune")
    prune.global_unstructured(params, pruning_method=prune.L1Unstructured, amount=amount)
    for m, name in params:
        prune.remove(m, name)  # fold the mask into the weight: no hooks left behind
    return model


def prune_channels(model: nn.Module, amount: float, example_input: torch.Tensor | None = None) -> nn.Module:
    """Structured pruning that really removes channels: a smaller dense model.

    In each Conv2d, ``torch.nn.utils.prune.ln_structured`` (L1 norm over each output filter, Li et
    al. 2017) picks the ``amount`` fraction of filters to drop; then the conv, the BatchNorm after
    it and the *input* side of the next conv (or of the final Linear after global pooling) are
    rebuilt without them. Works for plain chains of layers such as the kit's ``small_cnn``;
    residual networks need the channels of added branches pruned together (a library such as
    torch-pruning tracks those dependencies).

    Args:
        amount: fraction of output channels removed from every conv (at least one is kept).
        example_input: when given, the pruned model is run on it to check that it still works.

    Example:
        >>> from clskit.models import create_model
        >>> m = prune_channels(create_model("small_cnn", in_chans=1, widths=(8, 16)), 0.5)
        >>> [c.out_channels for c in m.modules() if isinstance(c, nn.Conv2d)]
        [4, 4, 8, 8]
    """
    import torch.nn.utils.prune as prune

    if not 0 <= amount < 1:
        raise ValueError(f"amount (fraction of channels to remove) must lie in [0, 1); got {amount}")
    for name, module in model.named_modules():
        own = [n for n, _ in module.named_parameters(recurse=False)]
        if own and not isinstance(module, (nn.Conv2d, nn.BatchNorm2d, nn.Linear)):
            where = f"{name}.{own[0]}" if name else own[0]
            raise ValueError(f"prune_channels cannot prune {type(model).__name__} consistently: it holds "
                             f"{where} ({type(module).__name__}), whose width is tied to the channels it would cut "
                             "(as in a ViT's patch embedding, position embedding and LayerNorms). It prunes plain "
                             "chains of Conv2d/BatchNorm2d/Linear such as small_cnn; use prune_unstructured(model, "
                             "amount) here")
    model = copy.deepcopy(model).eval()
    layers = [m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.BatchNorm2d, nn.Linear))]
    convs = [m for m in layers if isinstance(m, nn.Conv2d)]
    if not convs:
        raise ValueError(f"{type(model).__name__} has no Conv2d layers to prune")
    for a, b in zip(convs, convs[1:]):
        if b.in_channels != a.out_channels or a.groups != 1 or b.groups != 1:
            raise ValueError(f"prune_channels handles plain chains of convolutions; {type(model).__name__} has a conv "
                             f"with {a.out_channels} outputs followed by one with {b.in_channels} inputs (a branch "
                             "or grouped conv). Prune residual networks with a dependency-aware tool")
    for i, layer in enumerate(layers):
        if not isinstance(layer, nn.Conv2d):
            continue
        n_out = layer.out_channels
        prune.ln_structured(layer, "weight", amount=amount, n=1, dim=0)   # mask whole output filters
        keep = layer.weight_mask.flatten(1).any(1).nonzero().flatten()      # indices of the kept filters
        prune.remove(layer, "weight")
        _slice_out(layer, keep)
        for nxt in layers[i + 1:]:
            if isinstance(nxt, nn.BatchNorm2d) and nxt.num_features == n_out:
                _slice_bn(nxt, keep)
                continue
            if isinstance(nxt, nn.Conv2d):
                _slice_in(nxt, keep)
            elif isinstance(nxt, nn.Linear):
                if nxt.in_features != n_out:
                    raise ValueError(f"the Linear layer after the last conv takes {nxt.in_features} features, not "
                                     f"its {n_out} channels; prune_channels needs global pooling before the head")
                nxt.weight = nn.Parameter(nxt.weight.detach()[:, keep].clone())
                nxt.in_features = len(keep)
            break
    if example_input is not None:
        with torch.no_grad():
            model(example_input)
    return model


def _slice_out(conv: nn.Conv2d, keep: torch.Tensor) -> None:
    conv.weight = nn.Parameter(conv.weight.detach()[keep].clone())
    if conv.bias is not None:
        conv.bias = nn.Parameter(conv.bias.detach()[keep].clone())
    conv.out_channels = len(keep)


def _slice_in(conv: nn.Conv2d, keep: torch.Tensor) -> None:
    conv.weight = nn.Parameter(conv.weight.detach()[:, keep].clone())
    conv.in_channels = len(keep)


def _slice_bn(bn: nn.BatchNorm2d, keep: torch.Tensor) -> None:
    bn.weight = nn.Parameter(bn.weight.detach()[keep].clone())
    bn.bias = nn.Parameter(bn.bias.detach()[keep].clone())
    bn.running_mean = bn.running_mean[keep].clone()
    bn.running_var = bn.running_var[keep].clone()
    bn.num_features = len(keep)
