"""Several runs of one small convolutional network, trained side by side as one grouped network.

Comparing networks over seeds means training the same architecture several times. For a model
as small as notebook 03's (8 channels on 4×4 maps), each layer's call costs more in overhead than
in arithmetic, so training the runs one after the other wastes most of the time. ``StackedRuns``
puts the runs side by side in the channel dimension: a ``Conv2d`` of every run becomes one
convolution with ``groups`` times the number of runs (run ``k`` sees only its own channels), a
``BatchNorm2d`` keeps one scale, shift and running statistic per channel and so per run, and a
``Linear`` becomes one batched product. Run ``k`` keeps its own weights, its own BatchNorm
statistics and its own batches, and a summed loss gives each run exactly the gradient it would get
alone. Only the order of floating-point additions differs, so the weights agree with separate runs
to about 1e-6 after a few steps (tests/test_runs.py), and after many steps only as closely as two
runs of one model on two machines do.

Layers it can stack: ``Conv2d``, ``BatchNorm2d``, ``Linear`` and layers without weights that act on
each channel alone (``ReLU``, pooling, ``Flatten``, ``Identity``), inside any container or block
whose ``forward`` only adds, multiplies or pools its tensors channel by channel.

Example:
    >>> import torch, torch.nn as nn
    >>> models = [nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 2)) for _ in range(3)]
    >>> stack = StackedRuns(models)
    >>> xs = torch.randn(3, 5, 1, 8, 8)                      # (runs, batch, channels, height, width)
    >>> stack(xs).shape                                      # (runs, batch, outputs)
    torch.Size([3, 5, 2])
    >>> torch.allclose(stack(xs)[1], models[1](xs[1]), atol=1e-5)
    True
"""
from __future__ import annotations

import copy

import torch
from torch import nn

_PER_CHANNEL = (nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.SiLU, nn.GELU, nn.Sigmoid, nn.Tanh, nn.Identity, nn.Flatten,
                nn.AdaptiveAvgPool2d, nn.AvgPool2d, nn.MaxPool2d, nn.AdaptiveMaxPool2d)


class _StackedLinear(nn.Module):
    """``runs`` Linear layers side by side: (B, runs * in) -> (B, runs * out)."""

    def __init__(self, layers: list[nn.Linear]):
        super().__init__()
        self.weight = nn.Parameter(torch.stack([m.weight.detach() for m in layers]))          # (runs, out, in)
        self.bias = (nn.Parameter(torch.stack([m.bias.detach() for m in layers]))
                     if layers[0].bias is not None else None)

    def forward(self, x):
        runs, out, inp = self.weight.shape
        y = torch.einsum("bri,roi->bro", x.reshape(len(x), runs, inp), self.weight)
        if self.bias is not None:
            y = y + self.bias
        return y.reshape(len(x), runs * out)


def _stack_layer(layers: list[nn.Module]) -> nn.Module:
    first, runs = layers[0], len(layers)
    if type(first) is nn.Conv2d:
        if first.padding_mode != "zeros":
            raise ValueError("StackedRuns stacks Conv2d with zero padding only")
        conv = nn.Conv2d(runs * first.in_channels, runs * first.out_channels, first.kernel_size, first.stride,
                         first.padding, first.dilation, runs * first.groups, first.bias is not None)
        with torch.no_grad():
            conv.weight.copy_(torch.cat([m.weight for m in layers]))
            if first.bias is not None:
                conv.bias.copy_(torch.cat([m.bias for m in layers]))
        return conv
    if type(first) is nn.BatchNorm2d:
        norm = nn.BatchNorm2d(runs * first.num_features, first.eps, first.momentum, first.affine,
                              first.track_running_stats)
        with torch.no_grad():
            for name, tensor in list(norm.named_parameters()) + list(norm.named_buffers()):
                parts = [getattr(m, name) for m in layers]
                tensor.copy_(parts[0] if tensor.dim() == 0 else torch.cat(parts))   # num_batches_tracked: shared
        return norm
    if type(first) is nn.Linear:
        return _StackedLinear(layers)
    if isinstance(first, _PER_CHANNEL):
        return copy.deepcopy(first)
    if next(first.parameters(recurse=False), None) is None and next(first.buffers(recurse=False), None) is None:
        stacked = copy.deepcopy(first)                       # a container or block: stack its children
        for name, _ in first.named_children():
            setattr(stacked, name, _stack_layer([getattr(m, name) for m in layers]))
        return stacked
    raise ValueError(f"StackedRuns cannot stack {type(first).__name__} layers")


def _unstack_layer(stacked: nn.Module, layers: list[nn.Module]) -> None:
    runs = len(layers)
    if isinstance(stacked, _StackedLinear):
        for k, m in enumerate(layers):
            m.weight.copy_(stacked.weight[k])
            if m.bias is not None:
                m.bias.copy_(stacked.bias[k])
        return
    own = dict(stacked.named_parameters(recurse=False)) | dict(stacked.named_buffers(recurse=False))
    for name, tensor in own.items():
        for k, m in enumerate(layers):
            getattr(m, name).copy_(tensor if tensor.dim() == 0 else tensor.chunk(runs)[k])
    for name, child in stacked.named_children():
        _unstack_layer(child, [getattr(m, name) for m in layers])


class StackedRuns:
    """``models`` (one architecture, each with its own initial weights) as one network of side-by-side runs.

    ``stack(xs)`` maps ``xs`` of shape ``(runs, batch, channels, ...)`` to ``(runs, batch, ...)``, each
    run through its own weights; ``stack.parameters()`` are all runs' weights, for one optimizer (SGD,
    momentum and weight decay act on each number alone, so each run is optimised as if alone);
    ``stack.unstack()`` copies the trained weights and BatchNorm statistics back into ``models``.
    The stack starts in training mode (``stack.eval()`` switches it).
    """

    def __init__(self, models):
        self.models = list(models)
        shapes = {tuple((n, tuple(t.shape)) for n, t in m.state_dict().items()) for m in self.models}
        if len(shapes) != 1:
            raise ValueError("StackedRuns needs models of one architecture: their weights differ in names or shapes")
        self.network = _stack_layer(self.models).train()

    def parameters(self):
        return list(self.network.parameters())

    def __call__(self, xs: torch.Tensor) -> torch.Tensor:
        runs, batch = xs.shape[:2]
        if runs != len(self.models):
            raise ValueError(f"xs has {runs} runs along its first dimension; the stack has {len(self.models)}")
        out = self.network(xs.transpose(0, 1).reshape(batch, runs * xs.shape[2], *xs.shape[3:]))  # runs as channels
        return out.reshape(batch, runs, out.shape[1] // runs, *out.shape[2:]).transpose(0, 1)

    def train(self, mode: bool = True) -> StackedRuns:
        self.network.train(mode)
        return self

    def eval(self) -> StackedRuns:
        return self.train(False)

    def unstack(self) -> list[nn.Module]:
        """Copies each run's weights and buffers back into its model; returns the models."""
        with torch.no_grad():
            _unstack_layer(self.network, self.models)
        return self.models
