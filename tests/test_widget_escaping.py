"""No script through a class name: every widget meets hostile class and file names, and no HTML value
it shows carries their markup unescaped.

ipywidgets renders an ``HTML`` widget's value with ``innerHTML``; class names come from folder names,
and folder names from downloaded archives. Descriptions, tooltips and option labels are shown as text
(``textContent`` / ``title``) as long as ``description_allow_html`` stays False, which is checked too.
"""
from __future__ import annotations

import io
import shutil
from html import escape as html_escape

import numpy as np
import pytest
import torch

from clskit.datasets import data_path
from clskit.views.widgets._html import esc

# names a folder can carry (no "/"), and one that also closes a script tag (class names given in Python)
IMG = "<img src=x onerror=alert(1)>"
SVG = "\"'><svg onload=alert(2)>"
SCRIPT = "</b><script>alert(3)</script>"
MARKUP = ("<img", "<svg", "<script", "</script")


def _widgets(root) -> list:
    """Every ipywidgets widget under ``root`` (children of boxes, recursively)."""
    out, todo = [], [root]
    while todo:
        w = todo.pop()
        out.append(w)
        todo.extend(getattr(w, "children", ()))
    return out


def _texts(view) -> tuple[str, list[str]]:
    """The HTML values of ``view``'s widget tree joined, and its plain-text traits (descriptions, tooltips,
    option labels), after checking that none of those is rendered as HTML."""
    import ipywidgets as W

    html, text = [], []
    for w in _widgets(view.widget if hasattr(view, "widget") else view):
        if isinstance(w, (W.HTML, W.HTMLMath)):
            html.append(w.value)
        for name in ("description", "tooltip", "placeholder"):
            value = getattr(w, name, None)
            if isinstance(value, str) and value:
                text.append(value)
        text += [str(label) for label in getattr(w, "_options_labels", ())]
        if getattr(w, "description_allow_html", False):
            raise AssertionError(f"{type(w).__name__} renders its description as HTML: {w.description!r}")
    return "\n".join(html), text


def assert_escaped(view, *shown: str) -> str:
    """No hostile markup in any HTML value of ``view``; each name in ``shown`` appears there escaped."""
    html, _ = _texts(view)
    for fragment in MARKUP:
        assert fragment not in html.lower(), f"unescaped {fragment!r} in {type(view).__name__}: {html[:2000]}"
    for name in shown:
        # quotes need escaping only inside attributes (pandas' to_html leaves them in cell text)
        assert esc(name) in html or html_escape(name, quote=False) in html, f"{name!r} is not shown (escaped) by {type(view).__name__}"
    return html


def _images(n=6, c=3, size=16):
    g = torch.Generator().manual_seed(0)
    return torch.randint(0, 256, (n, c, size, size), dtype=torch.uint8, generator=g)


def _png(size=(20, 16)) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)).save(buf, "PNG")
    return buf.getvalue()


def test_confusion_matrix_escapes_class_names(agg_pyplot):
    from clskit.views.widgets import ConfusionMatrixWidget

    targets = torch.tensor([0, 0, 1, 1, 2, 2])
    probs = torch.tensor([[.8, .1, .1], [.2, .7, .1], [.1, .8, .1], [.6, .3, .1], [.1, .1, .8], [.1, .2, .7]])
    w = ConfusionMatrixWidget(_images(), targets, probs, [IMG, SVG, SCRIPT])
    w.select(0, 1)
    assert_escaped(w, IMG, SVG)
    assert any(IMG in t for t in _texts(w)[1])                  # the button tooltip: plain text, not escaped twice
    w.select(2, 2)
    assert_escaped(w, SCRIPT)


def test_report_escapes_class_names_in_the_table_and_the_notes():
    from clskit.views.widgets import ReportWidget

    targets = [0, 0, 1, 1, 2, 2]
    probs = [[.8, .1, .1], [.7, .2, .1], [.2, .7, .1], [.6, .3, .1], [.6, .3, .1], [.5, .4, .1]]  # class 2 never predicted
    w = ReportWidget(targets, probs, [IMG, SVG, SCRIPT])
    assert w.notes and any(SCRIPT in n for n in w.notes)
    html = assert_escaped(w, IMG, SVG, SCRIPT)
    assert "<li>" in html                                           # the notes are there, escaped
    w.sort_by.value = "class"
    assert_escaped(w, IMG)


def test_threshold_widgets_escape_class_and_label_names(agg_pyplot):
    from clskit.views.widgets import MultiLabelThresholdWidget, ThresholdWidget

    targets, scores = np.array([0, 1, 0, 1, 1, 0]), np.array([.2, .9, .6, .4, .8, .1])
    w = ThresholdWidget(targets, scores, classes=(IMG, SVG), images=_images())
    assert_escaped(w)
    w.slider.value = 0.7
    assert_escaped(w)
    y = np.array([[1, 0], [0, 1], [1, 1], [0, 0]])
    m = MultiLabelThresholdWidget(y, np.array([[.9, .2], [.3, .8], [.6, .4], [.1, .3]]), labels=[IMG, SCRIPT])
    assert_escaped(m, IMG, SCRIPT)
    assert any(SCRIPT == t for t in _texts(m)[1])                   # slider descriptions: text


def test_cam_viewer_escapes_class_names():
    from clskit.models import create_model
    from clskit.views.widgets import CAMViewer

    torch.manual_seed(0)
    model = create_model("small_cnn", num_classes=3, widths=(8,))
    v = CAMViewer(model, _images(3), [IMG, SVG, SCRIPT], targets=[2, 1, 0], top_k=3)
    assert_escaped(v, IMG, SVG, SCRIPT)
    v.target.value = 1
    v.index.value = 2
    assert_escaped(v, SVG)


def _predictor(classes, size=16):
    from clskit.models import create_model
    from clskit.models.pretrained import Preprocess
    from clskit.inference.predict import Predictor

    torch.manual_seed(0)
    return Predictor(create_model("small_cnn", num_classes=len(classes), widths=(8,)), list(classes), Preprocess(size=size))


def test_upload_escapes_file_and_class_names():
    from clskit.views.widgets import PhotoClassifier

    w = PhotoClassifier(_predictor([IMG, SVG, SCRIPT]), k=3)
    assert_escaped(w, f"{IMG}, {SVG}, {SCRIPT}")
    rows = w.show([(IMG + ".png", _png()), (SVG + ".jpg", b"<!DOCTYPE html><html><script>alert(4)</script>")])
    assert "label" in rows[0] and "error" in rows[1]
    assert_escaped(w, IMG + ".png", SVG + ".jpg", SCRIPT)


def test_folder_trainer_escapes_folder_class_and_error_text(agg_pyplot, tmp_path, monkeypatch):
    from clskit import FolderTrainer

    monkeypatch.setenv("CLSKIT_CACHE_DIR", str(tmp_path / "cache"))
    photos = data_path("imagenette_mini") / "train"
    root = tmp_path / IMG
    for cls, src in ((IMG, "church"), (SVG, "golf ball")):
        (root / cls).mkdir(parents=True)
        for p in sorted((photos / src).glob("*.jpg"))[:5]:
            shutil.copy2(p, root / cls / (SVG + p.name))
    t = FolderTrainer(root, tmp_path / (SVG + ".pt"), size=64, valid=0.4)
    assert_escaped(t, IMG)
    r = t.train()
    assert r.classes == sorted([IMG, SVG])
    t.confusion.select(0, 0)
    t.classifier.show([(SCRIPT + ".png", _png())])
    assert_escaped(t, IMG, SVG, SVG + ".pt", SCRIPT + ".png")
    # the error path: a class with too few photos, named in the status line
    for p in list((root / SVG).iterdir())[1:]:
        p.unlink()
    with pytest.raises(ValueError, match="fewer than 4 photos"):
        t.train()
    assert_escaped(t, SVG)


def test_augmentation_feature_and_profile_views_escape_what_they_show():
    from clskit.models.features import conv_layer_names
    from clskit.models import create_model
    from clskit.views.widgets import AugmentPlayground, FeatureMapViewer, ProfileTable

    pg = AugmentPlayground(_images(3).float() / 255, n=4, cols=2)
    pg.sliders["rotate"].value = 20
    assert_escaped(pg)
    model = create_model("small_cnn", num_classes=2, widths=(8, 16))
    v = FeatureMapViewer(model, _images(2), layers={IMG: conv_layer_names(model)[0], SCRIPT: conv_layer_names(model)[-1]})
    assert_escaped(v, IMG)
    v.layer.value = conv_layer_names(model)[-1]
    assert_escaped(v, SCRIPT)
    t = ProfileTable([{"model": IMG, SCRIPT: 1.0}, {"model": SVG, SCRIPT: 2.0}])
    assert_escaped(t, IMG, SVG, SCRIPT)


def test_model_picker_escapes_model_names(agg_pyplot):
    from clskit.models.cards import load_model_cards
    from clskit.views.widgets import ModelPicker

    cards = load_model_cards()
    cards = {**cards, "models": [dict(c) for c in cards["models"]]}
    cards["models"][0]["name"] = IMG
    cards["models"][1]["name"] = SCRIPT
    p = ModelPicker(cards, selected=(IMG, SCRIPT))
    assert_escaped(p, IMG, SCRIPT)


def test_class_names_must_cover_every_probability_column():
    from clskit.views.widgets import ConfusionMatrixWidget, ReportWidget

    probs = torch.tensor([[.8, .1, .1], [.1, .8, .1], [.1, .1, .8]])
    with pytest.raises(ValueError, match=r"classes has 2 names .* 3 columns.*one name per column"):
        ConfusionMatrixWidget(_images(3), [0, 1, 2], probs, ["cat", "dog"])
    with pytest.raises(ValueError, match=r"classes has 2 names .* 3 columns"):
        ReportWidget([0, 1, 2], probs, ["cat", "dog"])
