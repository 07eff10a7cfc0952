"""StackedRuns: training runs side by side is training each run alone (up to float rounding)."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from clskit import StackedRuns


class _Residual(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(width, width, 3, padding=1, bias=False), nn.BatchNorm2d(width))

    def forward(self, x):
        return torch.relu(x + self.body(x))


def _net():
    return nn.Sequential(nn.Conv2d(1, 4, 3, stride=2, padding=1), nn.BatchNorm2d(4), nn.ReLU(), _Residual(4),
                         nn.Conv2d(4, 6, 3, padding=1, groups=2, bias=False), nn.BatchNorm2d(6), nn.ReLU(),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(6, 3))


def _models(seeds):
    out = []
    for s in seeds:
        torch.manual_seed(s)
        out.append(_net())
    return out


def test_stacked_training_equals_separate_training():
    torch.manual_seed(100)
    x, y = torch.randn(40, 1, 8, 8), torch.randint(0, 3, (40,))
    seeds, steps, batch = (0, 1, 2), 6, 8
    orders = [torch.randperm(40, generator=torch.Generator().manual_seed(10 + s))[: steps * batch] for s in seeds]

    alone = _models(seeds)
    for model, order in zip(alone, orders):
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        for b in order.split(batch):
            loss = F.cross_entropy(model(x[b]), y[b])
            opt.zero_grad()
            loss.backward()
            opt.step()

    together = _models(seeds)
    stack = StackedRuns(together)
    opt = torch.optim.SGD(stack.parameters(), lr=0.1, momentum=0.9)
    for b in torch.stack(orders).split(batch, dim=1):                   # (runs, batch)
        losses = F.cross_entropy(stack(x[b]).transpose(1, 2), y[b], reduction="none").mean(1)
        opt.zero_grad()
        losses.sum().backward()
        opt.step()
    stack.unstack()

    for a, t in zip(alone, together):
        for (name, va), vt in zip(a.state_dict().items(), t.state_dict().values()):
            assert torch.allclose(va.float(), vt.float(), atol=1e-5), name    # weights and BatchNorm statistics
        a.eval()
        t.eval()
        assert torch.allclose(a(x), t(x), atol=1e-5)
    assert not torch.allclose(together[0][0].weight, together[1][0].weight)   # the runs stayed distinct


def test_eval_mode_uses_each_runs_statistics():
    models = _models((0, 1))
    for m in models:
        m(torch.randn(16, 1, 8, 8) * (3 if m is models[1] else 1))       # different running statistics
        m.eval()
    x = torch.randn(5, 1, 8, 8)
    out = StackedRuns(models).eval()(torch.stack([x, x]))
    assert torch.allclose(out[0], models[0](x), atol=1e-6) and torch.allclose(out[1], models[1](x), atol=1e-6)


def test_refuses_models_of_different_architectures_and_layers_it_cannot_stack():
    with pytest.raises(ValueError, match="one architecture"):
        StackedRuns([nn.Linear(3, 2), nn.Linear(3, 4)])
    with pytest.raises(ValueError, match="LayerNorm"):
        StackedRuns([nn.Sequential(nn.Linear(3, 2), nn.LayerNorm(2)) for _ in range(2)])
