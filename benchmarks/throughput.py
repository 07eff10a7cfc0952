"""Training throughput: clskit's Learner against a bare PyTorch loop and fastai's Learner.

    python benchmarks/throughput.py                  # digits 8x8, small_cnn, batch 64, 1 thread
    python benchmarks/throughput.py --threads 2 --epochs 4 --repeats 5 --note "idle machine"

All variants train the same model from the same initial weights on the same images, batch size,
optimiser (AdamW updating all weights in one call, the Learner's default ``ADAMW``) and one-cycle
schedule, for the same number of steps, training only (no validation pass). Each variant is warmed
up once; then the variants run interleaved, in a rotating order, ``--repeats`` times, and the median
is reported (a busy machine drifts; interleaving spreads the drift evenly). Variants:

- ``bare``: ``for xb, yb in loader: loss.backward(); opt.step(); sched.step(); opt.zero_grad()``
- ``learner``: ``Learner(..., progress=False).fit`` (callbacks, recorder, train metrics, NaN guard)
- ``learner_live``: the same with live curves (the widget renders its PNG every epoch)
- ``fastai``: ``fastai.learner.Learner.fit_one_cycle`` without the progress bar, on fastai's
  ``DataLoader`` over the same in-memory tensors (fastai's own batching: one item at a time)

Images/s are wall time; images per CPU-second are also given, as they are less sensitive to other
processes on a shared machine. Results go to benchmarks/results/throughput.json.
"""
from __future__ import annotations

import argparse
import contextlib
import datetime
import io
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from clskit.datasets import DataLoaders, load_dataset, split_dataset  # noqa: E402
from clskit.models import create_model  # noqa: E402
from clskit.training.learner import ADAMW  # noqa: E402

OUT = ROOT / "benchmarks" / "results" / "throughput.json"
LR = 3e-3


def make_model(state):
    model = create_model("small_cnn", num_classes=10, in_chans=1)
    model.load_state_dict(state)
    return model


def run_bare(train_ds, state, bs, epochs):
    loader = DataLoaders.from_datasets(train_ds, None, batch_size=bs, seed=0).train
    model = make_model(state)
    opt = ADAMW(model.parameters(), lr=LR, weight_decay=0.01)     # the Learner's default: AdamW, foreach=True
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=LR, total_steps=epochs * len(loader), pct_start=0.25)
    model.train()
    for _ in range(epochs):
        for xb, yb in loader:
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            sched.step()
            opt.zero_grad(set_to_none=True)
    return loss.item()


def run_learner(train_ds, state, bs, epochs, live=False):
    from clskit.training.callbacks import LiveCurvesCB
    from clskit.training.learner import Learner
    from clskit.views.widgets.curves import LiveCurvesWidget

    dls = DataLoaders.from_datasets(train_ds, None, batch_size=bs, seed=0)
    cbs = [LiveCurvesCB(view=LiveCurvesWidget())] if live else []
    learn = Learner(make_model(state), dls, lr=LR, progress=False, device="cpu", cbs=cbs)
    with contextlib.redirect_stdout(io.StringIO()):  # the widget's repr outside Jupyter
        learn.fit(epochs)
    return learn.history[-1]["train_loss"]


def run_fastai(train_ds, state, bs, epochs):
    from fastai.data.core import DataLoaders as FDataLoaders
    from fastai.data.load import DataLoader as FDataLoader
    from fastai.learner import Learner as FLearner
    from fastai.losses import CrossEntropyLossFlat
    import fastai.callback.progress  # noqa: F401  (adds Learner.no_bar)
    import fastai.callback.schedule  # noqa: F401  (adds fit_one_cycle)

    items = list(zip(train_ds.float_images(), train_ds.targets))
    dls = FDataLoaders(FDataLoader(items, bs=bs, shuffle=True), FDataLoader(items[:bs], bs=bs), device="cpu")
    learn = FLearner(dls, make_model(state), loss_func=CrossEntropyLossFlat(), opt_func=_fastai_adamw(), lr=LR, wd=0.01)
    with learn.no_bar(), learn.no_logging():
        # no validation pass, as for the others: skip fastai's validate phase
        learn.fit_one_cycle(epochs, LR, pct_start=0.25, cbs=[_SkipValidate()])
    return float(learn.recorder.losses[-1])


def _fastai_adamw():
    from fastai.optimizer import OptimWrapper

    return lambda params, lr, **kw: OptimWrapper(params, ADAMW, lr=lr, weight_decay=0.01)


def _SkipValidate():
    from fastai.callback.core import Callback, CancelValidException

    class SkipValidate(Callback):
        order = -100

        def before_validate(self):
            raise CancelValidException()

    return SkipValidate()


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=1, help="torch intra-op threads (fixed for every variant)")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--no-fastai", action="store_true")
    ap.add_argument("--note", default="", help="free text stored with the results (e.g. 'shared machine')")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)

    torch.set_num_threads(args.threads)
    train_ds = split_dataset(load_dataset("digits"), seed=0)[0]
    torch.manual_seed(0)
    state = create_model("small_cnn", num_classes=10, in_chans=1).state_dict()
    variants = {"bare": run_bare, "learner": run_learner,
                "learner_live": lambda *a: run_learner(*a, live=True)}
    if not args.no_fastai:
        variants["fastai"] = run_fastai
    n_images = args.epochs * len(train_ds)
    for fn in variants.values():  # warm-up: imports, allocator, first-call costs
        fn(train_ds, state, args.batch_size, 1)
    wall = {k: [] for k in variants}
    cpu = {k: [] for k in variants}
    names = list(variants)
    for r in range(args.repeats):
        for name in names[r % len(names):] + names[:r % len(names)]:
            torch.manual_seed(0)
            c, t = time.process_time(), time.perf_counter()
            variants[name](train_ds, state, args.batch_size, args.epochs)
            wall[name].append(time.perf_counter() - t)
            cpu[name].append(time.process_time() - c)
    ips = {k: n_images / statistics.median(v) for k, v in wall.items()}
    ips_cpu = {k: n_images / statistics.median(v) for k, v in cpu.items()}
    ratios = {"learner / bare": ips["learner"] / ips["bare"],
              "learner_live / bare": ips["learner_live"] / ips["bare"]}
    ratios_cpu = {"learner / bare": ips_cpu["learner"] / ips_cpu["bare"],
                  "learner_live / bare": ips_cpu["learner_live"] / ips_cpu["bare"]}
    if "fastai" in ips:
        ratios["learner / fastai"] = ips["learner"] / ips["fastai"]
        ratios_cpu["learner / fastai"] = ips_cpu["learner"] / ips_cpu["fastai"]
    result = {
        "what": "training images/s, digits 8x8, small_cnn, AdamW + one-cycle, no validation",
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "torch": torch.__version__, "threads": args.threads,
                    "cpu": platform.processor() or platform.machine()},
        "config": {"epochs": args.epochs, "batch_size": args.batch_size, "repeats": args.repeats,
                   "images_per_run": n_images},
        "note": args.note,
        "images_per_s": {k: round(v, 1) for k, v in ips.items()},
        "images_per_cpu_s": {k: round(v, 1) for k, v in ips_cpu.items()},
        "ratios": {k: round(v, 3) for k, v in ratios.items()},
        "ratios_cpu": {k: round(v, 3) for k, v in ratios_cpu.items()},
        "targets": {"learner / bare": 0.95, "learner_live / bare": 0.90, "learner / fastai": 1.0},
        "seconds_per_run": {k: [round(x, 2) for x in v] for k, v in wall.items()},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1))
    print(f"{'variant':<14}{'images/s':>10}{'img/CPU-s':>11}")
    for k in variants:
        print(f"{k:<14}{ips[k]:>10.0f}{ips_cpu[k]:>11.0f}")
    for k, v in ratios.items():
        print(f"{k:<22} {v:.3f} (wall)  {ratios_cpu[k]:.3f} (CPU)  target >= {result['targets'][k]}")
    return result


if __name__ == "__main__":
    main()
