"""fastai interop: predictions for clskit metrics, history conversion, the live-curves callback."""
from __future__ import annotations

import pytest
import torch

pytest.importorskip("fastai")

from fastai.data.core import DataLoaders as FastaiDataLoaders  # noqa: E402
from fastai.data.load import DataLoader as FastaiDataLoader  # noqa: E402
from fastai.learner import Learner as FastaiLearner  # noqa: E402
from fastai.losses import CrossEntropyLossFlat  # noqa: E402
from fastai.metrics import accuracy as fastai_accuracy  # noqa: E402

from clskit.lessons.fastai_interop import LiveCurvesCallback, fastai_history, fastai_preds  # noqa: E402
from clskit.metrics import accuracy  # noqa: E402
from clskit.models import create_model  # noqa: E402


def fastai_learner(dls, cbs=()):
    items = [[(x, y) for x, y in zip(ds.float_images(), ds.targets)] for ds in (dls.train.dataset, dls.valid.dataset)]
    fdls = FastaiDataLoaders(FastaiDataLoader(items[0], bs=16, shuffle=True), FastaiDataLoader(items[1], bs=32))
    torch.manual_seed(0)
    model = create_model("small_cnn", num_classes=2, in_chans=1, widths=(8, 16))
    return FastaiLearner(fdls, model, loss_func=CrossEntropyLossFlat(), metrics=fastai_accuracy, cbs=list(cbs))


def test_fastai_preds_feed_clskit_metrics_and_agree_with_fastai(tiny_dls):
    learn = fastai_learner(tiny_dls())
    with learn.no_logging():
        learn.fit(2, 1e-2)
        probs, targets = fastai_preds(learn)
        _, fastai_acc = learn.validate()
    assert type(probs) is torch.Tensor and probs.shape == (24, 2)
    assert torch.allclose(probs.sum(1), torch.ones(24), atol=1e-5)
    assert accuracy(targets, probs) == pytest.approx(float(fastai_acc))


def test_live_curves_callback_feeds_the_clskit_view(tiny_dls, fake_view):
    view = fake_view
    learn = fastai_learner(tiny_dls(), cbs=[LiveCurvesCallback(view=view, text_every=0.0)])
    with learn.no_logging():
        learn.fit(3, 1e-2)
    assert view.shown == 1 and view.closed and view.n_updates == 3
    assert [r["epoch"] for r in view.history] == [1, 2, 3]
    for row, values in zip(view.history, learn.recorder.values):
        assert row["train_loss"] == pytest.approx(values[0]) and row["accuracy"] == pytest.approx(values[2])
    assert any("batch" in t for t in view.texts)
    with learn.no_logging():
        learn.get_preds()  # fastai fires before_fit/after_fit here too: no new view, nothing redrawn
    assert view.n_updates == 3


def test_fastai_history_plots_like_a_clskit_history(agg_pyplot, tiny_dls):
    from clskit.views.widgets.curves import plot_history

    learn = fastai_learner(tiny_dls())
    with learn.no_logging():
        learn.fit(2, 1e-2)
    hist = fastai_history(learn.recorder)
    assert set(hist[0]) == {"epoch", "train_loss", "valid_loss", "accuracy"}
    loss_ax, metric_ax = plot_history(hist)
    assert [ln.get_gid() for ln in metric_ax.get_lines()] == ["accuracy"]
