"""Checkers for notebook 14 (the fastai workflow, and choosing an approach)."""
from __future__ import annotations

from clskit.exercises import exercise, predict_then_measure

ROWS = ("limited data", "real-time inference", "highest accuracy", "interpretability")


@exercise("14.1", "How long does fine_tune train?")
def _fine_tune(answer, c):
    # fine_tune(3): freeze_epochs=1 epoch with the body frozen, then 3 epochs unfrozen
    c.expect(answer == 4, "4 epochs: 1 frozen + 3 unfrozen", f"{answer!r} is not the total number of epochs")
    if answer == 3:
        return "fine_tune first trains the head alone for freeze_epochs=1 epoch, then everything for 3"
    return "fine_tune(epochs, freeze_epochs=1): freeze_epochs with the body frozen, then epochs unfrozen"


@exercise("14.2", "Which rows of the decision table apply?")
def _rows(answer, c):
    # 300 images per class (< 1000: limited data) for a phone app at 30 frames/s (real-time inference)
    try:
        got = {str(a).strip().lower() for a in answer}
    except TypeError:
        c.fail(f"expected a set of row names; got {type(answer).__name__}")
        return f"answer a set of row names, from {ROWS}"
    unknown = got - set(ROWS)
    if unknown:
        c.fail(f"{sorted(unknown)} are not rows of the table; the rows are {list(ROWS)}")
    want = {"limited data", "real-time inference"}
    c.expect(got == want, "limited data and real-time inference", f"{sorted(got)} is not the right pair of rows")
    if "highest accuracy" in got:
        return "a phone at 30 frames per second is a speed constraint: the real-time row, not the accuracy row"
    return "count the images per class (the table's threshold is 1000) and think about the phone's frame rate"


@exercise("14.3", "fastai's SaveModelCallback in clskit")
def _checkpoint(answer, c):
    name = answer if isinstance(answer, str) else getattr(answer, "__name__", repr(answer))
    c.expect(name == "CheckpointCB", "CheckpointCB saves the best model", f"{name!r} is not the matching callback")
    if name in ("EarlyStoppingCB", "TrackBestCB"):
        return "that one keeps the best weights in memory; the fastai callback saves them to a file"
    return "look for the clskit callback that saves the model to disk whenever the monitored value improves"


def _read_fine_tune(m) -> tuple[str, str]:
    """Which accuracy band fastai's fine_tune reached on the new photos, with its 95% Wilson interval."""
    from clskit.stats import wilson_interval

    acc, n = float(m["accuracy"]), int(m["n_valid"])
    lo, hi = wilson_interval(round(acc * n), n)
    band = "below 0.5" if acc < 0.5 else "0.5 to 0.8" if acc < 0.8 else "above 0.8"
    why = (f"fine_tune reached {acc:.3f} (95% interval {lo:.3f}-{hi:.3f}) on {n} photos the model never trained on, "
           f"from 10 labelled photos per class; chance is 0.1")
    if band == "above 0.8":
        why += ": ImageNet features already separate these classes, so a handful of photos and two epochs suffice"
    return band, why


predict_then_measure("14.4", "How far does fastai's fine_tune get with 10 photos per class?",
                     ("below 0.5", "0.5 to 0.8", "above 0.8"), _read_fine_tune)
