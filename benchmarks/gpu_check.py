"""Exercise the paths of clskit that only run on a CUDA GPU, and print what was measured.

    .venv/bin/python benchmarks/gpu_check.py            # on a machine with a CUDA GPU
    .venv/bin/python benchmarks/gpu_check.py --json out.json

What it runs (each step prints a line; the script exits 1 if any check fails, 2 without a GPU):

1. ``Learner(..., device="cuda")`` in float32: a small CNN on digits, 3 epochs; accuracy and time.
2. ``mixed_precision=True`` (float16 autocast + GradScaler) and ``mixed_precision="bf16"``: the same run;
   checks that autocast really ran in half precision, that the scaler's scale is finite, that the loss
   fell and the accuracy is within 2 points of float32; time ratio against float32.
3. ``embed`` and ``train_transfer("fine_tune")`` of the pretrained EfficientNet-Lite0 on the real photos
   (imagenette_mini) on the GPU; throughput against the CPU.
4. The course's heaviest notebook (``--notebook``, default 05) run top to bottom in a fresh kernel on the
   GPU machine, with its wall time and peak memory.

Nothing here has run yet on a GPU (the developers' machines have none); the README says so until a run's
figures are recorded in benchmarks/RESULTS.md.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _digits_run(mixed_precision, epochs: int = 3) -> dict:
    import torch

    import clskit
    from clskit import DataLoaders, Learner, create_model, load_dataset, split_dataset
    from clskit.training.callbacks import MixedPrecisionCB

    clskit.seed_everything(0)
    train, valid, test = split_dataset(load_dataset("digits", size=16), valid=0.15, test=0.15, seed=0)
    dls = DataLoaders.from_datasets(train, valid, test, batch_size=128)
    learn = Learner(create_model("small_cnn", num_classes=10, in_chans=1), dls, lr=3e-3, device="cuda",
                    mixed_precision=mixed_precision, progress=False, seed=0)
    seen = {}

    def spy(module, inputs, output):  # which dtype did the convolution really compute in?
        seen.setdefault("dtype", str(output.dtype))

    conv = next(m for m in learn.model.modules() if isinstance(m, torch.nn.Conv2d))
    hook = conv.register_forward_hook(spy)
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    learn.fit(epochs)
    torch.cuda.synchronize()
    seconds = time.perf_counter() - t0
    hook.remove()
    probs, targets = learn.get_preds(dls.test)
    losses = [h["train_loss"] for h in learn.history if "train_loss" in h]
    mixed = learn.cb(MixedPrecisionCB)  # the float16 loss scale lives in the callback
    scale = float(mixed.scaler.get_scale()) if mixed is not None and mixed.scaler is not None else None
    return {"mixed_precision": str(mixed_precision), "seconds": round(seconds, 2),
            "accuracy": round(clskit.accuracy(targets, probs), 4), "conv_dtype": seen.get("dtype"),
            "loss_first": round(losses[0], 4) if losses else None, "loss_last": round(losses[-1], 4) if losses else None,
            "grad_scale": scale}


def _transfer_run() -> dict:
    import torch

    import clskit
    from clskit.models import create_model
    from clskit.models.pretrained import preprocess_for
    from clskit.lessons.transfer import embed, train_transfer

    photos = clskit.load_dataset("imagenette_mini", split="valid")
    model = create_model("efficientnet_lite0", pretrained=True)
    out = {}
    for device in ("cpu", "cuda"):
        t0 = time.perf_counter()
        embed(model, photos, transform=preprocess_for(model, 160), cache=False, device=device)
        if device == "cuda":
            torch.cuda.synchronize()
        out[f"embed_{device}_img_per_s"] = round(len(photos) / (time.perf_counter() - t0), 1)
    train = clskit.load_dataset("imagenette_mini", split="train")
    t0 = time.perf_counter()
    result = train_transfer("fine_tune", train, photos, size=160, epochs=2)  # the Learner picks the GPU
    out["fine_tune_seconds"] = round(time.perf_counter() - t0, 1)
    out["fine_tune_val_accuracy"] = round(float(result.accuracy), 4)
    return out


def _notebook_run(selector: str) -> dict:
    from tools.notebooks import find_notebooks, run_notebook

    path = find_notebooks([selector])[0]
    r = run_notebook(path, write=False)
    return {"notebook": r.notebook, "seconds": r.seconds, "peak_mb": r.peak_mb, "ok": r.ok, "error": r.error}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--notebook", default="05", help="the notebook to run on the GPU (number prefix)")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args(argv)
    import torch

    if not torch.cuda.is_available():
        print(f"no CUDA GPU here (torch {torch.__version__}): nothing measured. Run this on a GPU machine.")
        return 2
    report = {"device": torch.cuda.get_device_name(0), "torch": torch.__version__}
    failures = []
    runs = {mp: _digits_run(mp) for mp in (False, True, "bf16")}
    report["learner"] = runs
    fp32 = runs[False]
    for mp, want in ((True, "torch.float16"), ("bf16", "torch.bfloat16")):
        r = runs[mp]
        r["time_vs_fp32"] = round(r["seconds"] / fp32["seconds"], 2)
        if r["conv_dtype"] != want:
            failures.append(f"mixed_precision={mp!r}: convolutions ran in {r['conv_dtype']}, expected {want}")
        if not (r["loss_last"] is not None and r["loss_last"] < r["loss_first"]):
            failures.append(f"mixed_precision={mp!r}: the training loss did not fall ({r['loss_first']} -> {r['loss_last']})")
        if r["accuracy"] < fp32["accuracy"] - 0.02:
            failures.append(f"mixed_precision={mp!r}: accuracy {r['accuracy']} vs float32 {fp32['accuracy']}")
    if runs[True]["grad_scale"] is None or not runs[True]["grad_scale"] < float("inf"):
        failures.append(f"float16 run has no finite GradScaler scale: {runs[True]['grad_scale']}")
    report["transfer"] = _transfer_run()
    report["notebook"] = _notebook_run(args.notebook)
    if not report["notebook"]["ok"]:
        failures.append(f"notebook {report['notebook']['notebook']} failed: {report['notebook']['error']}")
    report["failures"] = failures
    print(json.dumps(report, indent=1))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    print("all GPU checks passed" if not failures else "FAILED:\n  " + "\n  ".join(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
