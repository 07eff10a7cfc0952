"""Evaluation widgets driven from plain Python: set a value or click, read what the widget shows."""
import numpy as np
import pytest
import torch

from clskit import metrics as M
from clskit.views.widgets.confusion import ConfusionMatrixWidget, cell_indices
from clskit.views.widgets.report import ReportWidget, classification_report_df
from clskit.views.widgets.threshold import MultiLabelThresholdWidget, ThresholdWidget


@pytest.fixture
def multiclass():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, 80)
    lg = rng.normal(size=(80, 4)) + 1.5 * np.eye(4)[y]
    p = np.exp(lg) / np.exp(lg).sum(1, keepdims=True)
    return torch.randint(0, 256, (80, 1, 8, 8), dtype=torch.uint8), y, p


def test_confusion_widget_click_shows_most_confident_first(agg_pyplot, multiclass):
    images, y, p = multiclass
    w = ConfusionMatrixWidget(images, y, p, classes=list("abcd"), max_images=3)
    cm = M.confusion_matrix(y, p)
    assert [w.buttons[(0, j)].description for j in range(4)] == [str(v) for v in cm[0]]
    true, pred = np.unravel_index(np.argmax(cm - np.diag(np.diag(cm))), cm.shape)  # the biggest confusion
    w.buttons[(int(true), int(pred))].click()
    assert w.selected == (true, pred)
    idx = np.flatnonzero((y == true) & (p.argmax(1) == pred))
    assert len(w.shown_indices) == min(3, len(idx)) and set(w.shown_indices) <= set(idx)
    conf = p[w.shown_indices, pred]
    assert np.all(np.diff(conf) <= 0) and conf[0] == p[idx, pred].max()
    assert (f"{len(idx)} image" + ("" if len(idx) == 1 else "s")) in w.info.value and w.gallery.value[:4] == b"\x89PNG"
    assert w.buttons[(int(true), int(pred))].layout.border.startswith("2px")
    # normalize toggle rewrites the cells in place
    w.normalize.value = "recall (rows)"
    assert w.buttons[(0, 0)].description == f"{cm[0, 0] / cm[0].sum():.2f}"
    np.testing.assert_allclose(w.matrix, M.confusion_matrix(y, p, normalize="true"))
    # class filter keeps a sub-matrix
    w.class_filter.value = (1, 3)
    assert w.matrix.shape == (2, 2) and set(w.buttons) == {(1, 1), (1, 3), (3, 1), (3, 3)}
    with pytest.raises(ValueError, match="outside"):
        w.select(4, 0)


def test_confusion_widget_ten_long_named_classes_keep_every_column(agg_pyplot):
    # Imagenette's ten classes: the grid must keep its full width (it used to be squeezed by the text beside
    # it, clipping the last column), names are escaped and cut with a tooltip, and one image is "1 image"
    names = ["tench", "English springer", "cassette player", "chain saw", "church", "French horn",
             "garbage truck", "gas pump", "golf ball", "parachute <b>"]
    y = np.repeat(np.arange(10), 3)
    p = np.full((30, 10), 0.01)
    p[np.arange(30), y] = 0.91
    p[0] = 0.01
    p[0, 9] = 0.91                              # one tench predicted as the last class
    w = ConfusionMatrixWidget(np.zeros((30, 1, 4, 4), np.uint8), y, p, classes=names)
    assert len(w.buttons) == 100 and w.grid.layout.flex == "0 0 auto"
    assert w.grid.layout.width == f"{70 + 10 * 47}px"
    assert w.grid.layout.grid_template_columns == "70px repeat(10, 46px)"
    headers = [c.value for c in w.grid.children[1:11]]
    assert "title='English springer'" in headers[1] and "&lt;b&gt;" in headers[9] and "<b>" not in headers[9]
    w.select(0, 9)
    assert "1 image;" in w.info.value and "1 images" not in w.info.value
    assert w.buttons[(0, 9)].tooltip.endswith("1 image")


def test_confusion_widget_many_classes_filter_and_from_learner(agg_pyplot):
    from clskit.datasets import DataLoaders, ImageDataset

    rng = np.random.default_rng(1)
    y = rng.integers(0, 15, 150)
    p = np.full((150, 15), 0.02)
    p[np.arange(150), (y + (rng.random(150) < 0.3)) % 15] = 0.72  # some mistakes into the next class
    w = ConfusionMatrixWidget(torch.zeros(150, 3, 4, 4), y, p, max_classes=6)
    assert len(w.class_filter.value) == 6 and w.matrix.shape == (6, 6)
    with pytest.raises(ValueError, match="images"):
        ConfusionMatrixWidget(torch.zeros(3, 1, 4, 4), y, p)

    class FakeLearner:  # the widget needs only get_preds and dls
        dls = DataLoaders.from_datasets(ImageDataset(torch.zeros(6, 1, 4, 4, dtype=torch.uint8), torch.tensor([0, 1] * 3), ["x", "y"]),
                                        ImageDataset(torch.arange(4 * 16, dtype=torch.uint8).reshape(4, 1, 4, 4), torch.tensor([0, 1, 1, 0]), ["x", "y"]))

        def get_preds(self, dl):
            return torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.7, 0.3], [0.4, 0.6]]), torch.tensor([0, 1, 1, 0])

    w = ConfusionMatrixWidget.from_learner(FakeLearner())
    assert w.images.dtype == torch.uint8 and w.classes == ["x", "y"]
    w.select(1, 0)
    assert w.shown_indices.tolist() == [2]
    assert cell_indices([0, 0, 1], [[0.3, 0.7], [0.1, 0.9], [0.2, 0.8]], 0, 1).tolist() == [1, 0]


@pytest.fixture
def binary():
    rng = np.random.default_rng(2)
    y = (rng.random(200) < 0.15).astype(int)
    return y, np.clip(rng.normal(0.3 + 0.35 * y, 0.15), 0, 1)


def test_threshold_widget_updates_in_place(agg_pyplot, binary):
    y, s = binary
    w = ThresholdWidget(y, s, classes=("normal", "abnormal"), target_recall=0.9)
    png_before = w.figure.value
    for t in (0.2, 0.5, 0.8):
        w.slider.value = t
        expected = M.binary_metrics_at(y, s, t)
        assert w.metrics == expected
        assert f"{expected['recall']:.3f}" in w.summary.value
        assert w.roc_point.get_xdata()[0] == pytest.approx(expected["fpr"])
        assert w.pr_point.get_xdata()[0] == pytest.approx(expected["recall"])
    assert w.figure.value != png_before
    w.recall_button.click()
    assert w.metrics["recall"] >= 0.9
    w.best_button.click()
    assert w.metrics["f1"] == pytest.approx(M.threshold_sweep(y, s).best_f1()[1], abs=0.03)


def test_multilabel_threshold_widget(agg_pyplot):
    rng = np.random.default_rng(3)
    y = (rng.random((100, 3)) < [0.4, 0.2, 0.1]).astype(int)
    p = np.clip(rng.normal(0.3 + 0.3 * y, 0.15), 0, 1)
    w = MultiLabelThresholdWidget(y, p, ["cat", "dog", "car"])
    assert w.metrics["hamming_loss"] == pytest.approx(M.hamming_loss(y, p, 0.5))
    w.sliders[2].value = 0.3
    t = np.array([0.5, 0.5, 0.3])
    assert w.metrics["subset_accuracy"] == pytest.approx(M.subset_accuracy(y, p, t))
    assert w.table.loc["car", "recall"] == pytest.approx(M.multilabel_per_label(y, p, t).recall[2])
    before = w.metrics["macro_f1"]
    w.tune_button.click()
    assert w.metrics["macro_f1"] >= before and "car" in w.summary.value


def test_report_table_and_widget(multiclass):
    _, y, p = multiclass
    df = classification_report_df(y, p, list("abcd"))
    from sklearn.metrics import classification_report

    ref = classification_report(y, p.argmax(1), output_dict=True, target_names=list("abcd"))
    for c in "abcd":
        assert df.loc[c, "f1"] == pytest.approx(ref[c]["f1-score"])
        assert df.loc[c, "support"] == ref[c]["support"]
    assert df.attrs["summary"]["macro_f1"] == pytest.approx(ref["macro avg"]["f1-score"])
    w = ReportWidget(y, p, list("abcd"))
    w.sort_by.value = "recall"
    assert list(w.df["recall"]) == sorted(df["recall"])
    w.ascending.value = False
    assert w.df.index[0] == df["recall"].idxmax() and w.ascending.description == "descending"
    assert w.df.index[0] in w.table.value
    with pytest.raises(ValueError, match="cannot sort"):
        ReportWidget(y, p, sort_by="speed")
    # a class never predicted: zero and a note, shown under the table
    w = ReportWidget([0, 0, 1, 2], [[0.8, 0.1, 0.1]] * 4, ["x", "y", "z"])
    assert any("never predicted" in n for n in w.notes) and "never predicted" in w.footer.value


def test_threshold_widget_shows_the_mistakes_nearest_the_threshold(agg_pyplot, binary):
    y, s = binary
    images = torch.randint(0, 256, (len(y), 1, 8, 8), dtype=torch.uint8)
    w = ThresholdWidget(y, s, images=images, max_images=4)
    for t in (0.3, 0.6):
        w.slider.value = t
        missed = np.flatnonzero((np.asarray(s) < t) & (np.asarray(y) == 1))
        alarms = np.flatnonzero((np.asarray(s) >= t) & (np.asarray(y) == 0))
        assert set(w.shown_missed) <= set(missed) and len(w.shown_missed) == min(4, len(missed))
        assert set(w.shown_false_alarms) <= set(alarms) and len(w.shown_false_alarms) == min(4, len(alarms))
        if len(missed):   # the missed case closest to being caught comes first
            assert s[w.shown_missed[0]] == max(s[missed])
        if len(alarms):
            assert s[w.shown_false_alarms[0]] == min(s[alarms])
    assert w.gallery.value[:4] == b"\x89PNG" and w.gallery in w.widget.children
    with pytest.raises(ValueError, match="images"):
        ThresholdWidget(y, s, images=images[:5])


def test_every_widget_has_the_one_display_protocol():
    import importlib

    from clskit.views import widgets
    from clskit.views.widgets.view import WidgetView

    for name, module in widgets._WIDGETS.items():
        cls = getattr(importlib.import_module(f"clskit.views.widgets.{module}"), name)
        assert issubclass(cls, WidgetView), name
        assert "_ipython_display_" not in vars(cls) and "_repr_mimebundle_" not in vars(cls), name


# -- the static view stored next to every widget (what a page without a kernel shows) ----------------
def _static(bundle: dict) -> str:
    assert {"text/plain", "text/html", "application/vnd.jupyter.widget-view+json"} <= set(bundle)
    return bundle["text/html"]


def test_static_view_holds_the_figure_and_the_settings_the_widget_shows(agg_pyplot, binary, multiclass):
    import base64

    y, s = binary
    th = ThresholdWidget(y, s, classes=("normal", "abnormal"))
    view = _static(th._repr_mimebundle_())
    assert base64.b64encode(th.figure.value).decode() in view                 # the very figure the widget shows
    assert f"{th.slider.description}: {th.slider.value}" in view and f"{th.metrics['recall']:.3f}" in view
    th.slider.value = 0.8                                                         # displayed again: what it shows now
    assert f"{th.metrics['recall']:.3f}" in _static(th._repr_mimebundle_())

    images, y, p = multiclass
    cm = ConfusionMatrixWidget(images, y, p, classes=list("abcd"))
    view = _static(cm._repr_mimebundle_())
    counts = M.confusion_matrix(y, p)
    assert all(f">{v}</div>" in view for v in counts.ravel())                   # every cell of the matrix
    assert "grid-template-columns" in view and "Click a cell" in view
    assert "gallery" not in view and "<img" not in view                          # the hidden, empty gallery is left out


def test_displaying_a_widget_sends_its_static_view():
    from IPython.core.formatters import DisplayFormatter

    from clskit.datasets import load_dataset
    from clskit.views.widgets.augment import AugmentPlayground

    pg = AugmentPlayground(load_dataset("shapes", n_per_class=2, size=16), n=4, cols=2, scale=1)
    bundle, _ = DisplayFormatter().format(pg)        # what display(pg) and a cell's last expression send
    view = _static(bundle)
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == pg.widget.model_id
    assert view.count("<img") == 1 and "policy: none" in view and "flip: " in view


def test_a_large_photo_grid_is_stored_as_a_jpeg_in_the_static_view():
    import io

    import ipywidgets as W
    from PIL import Image

    from clskit.views.png import LIGHTER_ABOVE
    from clskit.views.widgets._display import widget_bundle

    rng = np.random.default_rng(0)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (400, 400, 3), dtype=np.uint8)).save(buf, format="PNG")
    assert len(buf.getvalue()) > LIGHTER_ABOVE                                 # noise: a PNG that compresses badly
    view = widget_bundle(W.VBox([W.Image(value=buf.getvalue(), format="png")]))["text/html"]
    assert "data:image/jpeg;base64," in view and len(view) < len(buf.getvalue())
    small = W.Image(value=_tiny_png(), format="png")
    assert "data:image/png;base64," in widget_bundle(W.VBox([small]))["text/html"]


def _tiny_png() -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buf, format="PNG")
    return buf.getvalue()


def _live_widget_models() -> int:
    import ipywidgets as W

    instances = getattr(W.widgets.widget, "_instances", None)   # ipywidgets 8.1; 7 and 8.0 keep Widget.widgets
    return len(instances if instances is not None else W.Widget.widgets)


def test_confusion_widget_shares_layouts_and_styles(agg_pyplot):
    # JupyterLab lost cell replies about one run in two with the ~360 models of a 10-class matrix (one layout
    # and one style per button and header); shared layouts and colour-level styles keep it near 150, and a
    # class-filter change frees the models it replaces instead of leaking them
    y = np.repeat(np.arange(10), 5)
    lg = np.random.default_rng(0).normal(size=(50, 10)) + 2 * np.eye(10)[y]
    p = np.exp(lg) / np.exp(lg).sum(1, keepdims=True)
    before = _live_widget_models()
    w = ConfusionMatrixWidget(np.zeros((50, 1, 4, 4), np.uint8), y, p, classes=[f"c{i}" for i in range(10)])
    created = _live_widget_models() - before
    assert 100 < created < 160, created   # 383 before the sharing
    styles = {id(b.style) for b in w.buttons.values()}
    assert 2 <= len(styles) <= ConfusionMatrixWidget._LEVELS
    cm = M.confusion_matrix(y, p)
    darkest = max(w.buttons, key=lambda c: cm[c])
    assert w.buttons[darkest].style.button_color == w._cell_style(1.0).button_color   # the largest count is darkest
    w.select(0, 1)
    assert w.buttons[(0, 1)].layout.border.startswith("2px") and not w.buttons[(0, 0)].layout.border
    w.class_filter.value = (0, 1, 2)
    w.class_filter.value = tuple(range(10))
    assert _live_widget_models() - before < 160   # 794 before: each rebuild leaked its models
