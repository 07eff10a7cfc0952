"""How long each image widget takes to redraw after a control moves, in plain Python (no browser).

Builds the four widgets of tests/browser/real_images_gallery.ipynb on the same real data (Imagenette photos
through the pretrained EfficientNet-Lite0 with a linear probe as its head; PneumoniaMNIST X-rays scored by a
small CNN), then sets each control's ``.value`` (or clicks a confusion-matrix cell) five times and prints the
median wall and CPU seconds of one redraw. The browser adds the transfer and the PNG decode on top; the
browser test (tests/test_browser.py) measures that end to end.

    PYTHONPATH=. python benchmarks/widget_latency.py            # prints a table, writes benchmarks/results/widget_latency.json
"""
from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

SIZE = 128
REPEATS = 5


class Preprocessed(nn.Module):
    """A network with its preprocessing inside, so the CAM viewer feeds (and overlays) photos in [0, 1]."""

    def __init__(self, model: nn.Module, prep):
        super().__init__()
        self.model, self.prep = model, prep

    def forward(self, x):
        return self.model(self.prep(x))


def build_widgets() -> dict:
    """The gallery's four widgets on real data (same settings as the notebook)."""
    import clskit
    from clskit.datasets import DataLoaders, load_dataset
    from clskit.models import create_model
    from clskit.models.pretrained import preprocess_for
    from clskit.lessons.transfer import embed, linear_probe, probe_to_linear, sample_per_class
    from clskit.views.widgets.augment import AugmentPlayground
    from clskit.views.widgets.cam import CAMViewer
    from clskit.views.widgets.confusion import ConfusionMatrixWidget
    from clskit.views.widgets.threshold import ThresholdWidget

    clskit.seed_everything(0)
    train = sample_per_class(load_dataset("imagenette_mini", split="train", size=SIZE), 30, seed=0)
    val = load_dataset("imagenette_mini", split="valid", size=SIZE)
    backbone = create_model("efficientnet_lite0", pretrained=True)
    prep = preprocess_for(backbone, SIZE)
    probe = linear_probe(embed(backbone, train, transform=prep), train.targets)
    probs = torch.as_tensor(probe.predict_proba(embed(backbone, val, transform=prep).numpy()), dtype=torch.float32)
    cm = ConfusionMatrixWidget(val.images, val.targets, probs, val.classes, max_images=6)

    backbone.classifier = probe_to_linear(probe, len(val.classes))
    net = Preprocessed(backbone, prep).eval().requires_grad_(False)  # maps need input gradients only: 3x faster
    shown = [int(np.flatnonzero(val.targets == val.classes.index(c))[0])
             for c in ("golf ball", "church", "parachute", "English springer")]
    cam = CAMViewer(net, val.float_images(shown), val.classes, targets=val.targets[shown],
                    methods=("gradcam", "gradcam++"), scale=2)
    aug = AugmentPlayground(val.subset(shown), n=8, cols=4, scale=1)

    xr_train = load_dataset("pneumoniamnist_balanced", split="train")
    xr_val = load_dataset("pneumoniamnist_balanced", split="valid")
    dls = DataLoaders.from_datasets(xr_train, xr_val, batch_size=64)
    learn = clskit.Learner(create_model("small_cnn", num_classes=2, in_chans=1, widths=(16, 32)), dls, lr=3e-3,
                           seed=0, progress=False)
    learn.fit(2)
    xr_probs, xr_targets = learn.get_preds(dls.valid)
    th = ThresholdWidget(xr_targets, xr_probs[:, 1], classes=xr_val.classes, target_recall=0.95)
    return {"cm": cm, "cam": cam, "aug": aug, "th": th}


def _median_redraw(move, values) -> dict:
    """Median wall and CPU seconds of ``move(v)`` over ``values`` (each a real change of the control)."""
    wall, cpu = [], []
    for v in values:
        w0, c0 = time.perf_counter(), time.process_time()
        move(v)
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
    return {"median_wall_s": statistics.median(wall), "median_cpu_s": statistics.median(cpu), "n": len(values)}


def measure(widgets: dict) -> dict:
    cm, cam, aug, th = widgets["cm"], widgets["cam"], widgets["aug"], widgets["th"]
    off = [(i, j) for i, j in zip(*np.nonzero(cm.counts)) if i != j] or [(0, 0)]
    cells = [off[k % len(off)] for k in range(REPEATS)]
    methods = ["gradcam++", "gradcam"] * REPEATS
    return {
        "confusion matrix: click a cell": _median_redraw(lambda c: cm.select(*c), cells),
        "CAM viewer: next image": _median_redraw(lambda v: setattr(cam.index, "value", v), [1, 2, 3, 0, 1]),
        "CAM viewer: method": _median_redraw(lambda v: setattr(cam.method, "value", v), methods[:REPEATS]),
        "CAM viewer: class (a new map each time)": _median_redraw(lambda v: setattr(cam.target, "value", v),
                                                                 [2, 3, 4, 5, 6]),
        "CAM viewer: heat-map slider": _median_redraw(lambda v: setattr(cam.alpha, "value", v),
                                                     [0.3, 0.4, 0.6, 0.7, 0.5]),
        "augmentation playground: rotate": _median_redraw(lambda v: setattr(aug.sliders["rotate"], "value", v),
                                                           [10.0, 20.0, 30.0, 40.0, 5.0]),
        "threshold slider: move": _median_redraw(lambda v: setattr(th.slider, "value", v), [0.51, 0.52, 0.3, 0.7, 0.5]),
    }


def main() -> None:
    torch.set_num_threads(2)  # the course's target machine: 2 CPU cores
    import clskit
    print("clskit from", Path(clskit.__file__).parent)
    t0 = time.perf_counter()
    widgets = build_widgets()
    build_s = time.perf_counter() - t0
    results = measure(widgets)
    print(f"widgets built in {build_s:.1f} s wall; one redraw after a control moves (median of {REPEATS}):")
    for name, r in results.items():
        print(f"  {name:40s} wall {r['median_wall_s']:.3f} s   cpu {r['median_cpu_s']:.3f} s")
    out = Path(__file__).with_name("results") / "widget_latency.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"build_wall_s": build_s, "redraw": results}, indent=2))


if __name__ == "__main__":
    main()
