"""Ensembles and TTA average probabilities exactly; shifts match slicing by hand."""
from __future__ import annotations

import pytest
import torch
import torch.nn as nn

from clskit.lessons.ensemble import TTA, Ensemble, shift, tta_views


def _models(k=3):
    torch.manual_seed(0)
    return [nn.Sequential(nn.Flatten(), nn.Linear(16, 5)) for _ in range(k)]


def test_ensemble_is_the_mean_of_softmaxes():
    models = _models()
    x = torch.rand(4, 1, 4, 4)
    expected = torch.stack([torch.softmax(m(x), -1) for m in models]).mean(0)
    out = Ensemble(models)(x)
    torch.testing.assert_close(out.exp(), expected)
    torch.testing.assert_close(torch.softmax(out, -1), expected)     # what Learner.get_preds would show
    torch.testing.assert_close(Ensemble(models[:1])(x), torch.log_softmax(models[0](x), -1))


def test_ensemble_errors():
    with pytest.raises(ValueError, match="at least one"):
        Ensemble([])
    bad = Ensemble([nn.Sequential(nn.Flatten(), nn.Linear(16, 5)), nn.Sequential(nn.Flatten(), nn.Linear(16, 3))])
    with pytest.raises(ValueError, match="same classes"):
        bad(torch.rand(2, 1, 4, 4))


def test_shift_matches_slicing():
    x = torch.arange(25.0).reshape(1, 1, 5, 5)
    down = shift(x, 1, 0)
    torch.testing.assert_close(down[..., 1:, :], x[..., :-1, :])      # rows move down by one
    torch.testing.assert_close(down[..., 0, :], x[..., 0, :])         # the top edge repeats
    right = shift(x, 0, 2)
    torch.testing.assert_close(right[..., :, 2:], x[..., :, :-2])
    left = shift(x, 0, -1)
    torch.testing.assert_close(left[..., :, :-1], x[..., :, 1:])
    assert shift(x, 0, 0) is x


def test_tta_averages_over_views():
    model = _models(1)[0]
    x = torch.rand(3, 1, 4, 4)
    views = tta_views(hflip=True, shifts=1)
    assert [n for n, _ in views] == ["identity", "hflip", "up 1", "down 1", "left 1", "right 1"]
    expected = torch.stack([torch.softmax(model(f(x)), -1) for _, f in views]).mean(0)
    torch.testing.assert_close(TTA(model, views)(x).exp(), expected)
    identity_only = TTA(model, [lambda t: t])
    torch.testing.assert_close(identity_only(x), torch.log_softmax(model(x), -1))
    assert len(tta_views(hflip=False, shifts=0)) == 1
    with pytest.raises(ValueError, match="at least one view"):
        TTA(model, [])
