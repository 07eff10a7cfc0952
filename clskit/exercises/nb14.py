"""Checkers for notebook 14 (the fastai workflow, and choosing an approach)."""
from __future__ import annotations

from clskit.exercises import exercise, predict_then_measure

ROWS = ("little data", "real-time inference", "highest accuracy", "explanations someone will check")
TRAINS = ("the head only", "the body only", "everything", "nothing")


SWEEP_OPTIONS = ("none", "1 only", "0.1 and 1", "0.01, 0.1 and 1")


def _read_sweep(measured) -> tuple[str, str]:
    """``measured`` maps each learning rate of the sweep to its validation accuracy after the same epochs."""
    acc = {float(lr): float(a) for lr, a in measured.items()}
    failed = sorted(lr for lr, a in acc.items() if a < 0.9)
    outcome = {(): "none", (1.0,): "1 only", (0.1, 1.0): "0.1 and 1", (0.01, 0.1, 1.0): "0.01, 0.1 and 1"}.get(
        tuple(failed), ", ".join(f"{lr:g}" for lr in failed))
    trained = [f"{lr:g}: {a:.3f}" for lr, a in sorted(acc.items()) if a >= 0.9]
    why = f"{', '.join(trained)} all train well"
    if failed:
        why += (f"; {', '.join(f'{lr:g}: {acc[lr]:.3f}' for lr in failed)} fails, past the edge where the finder's "
                f"loss shoots up")
    return outcome, why


predict_then_measure("14.1", "Which learning rates, one per decade, fail to train?", SWEEP_OPTIONS, _read_sweep)

_VERDICT = {"better": "fine_tune better", "worse": "probe better", "no clear difference": "no clear difference"}


def _read_fine_tune(measured) -> tuple[str, str]:
    """``measured`` is the PairedDifference of fine_tune against the linear probe on the same test photos."""
    why = (f"fine_tune minus probe: {measured.diff:+.1f} pts, 95% interval {measured.low:+.1f} to "
           f"{measured.high:+.1f} over {measured.n} photos")
    if measured.verdict == "no clear difference":
        why += ("; the classes are ImageNet classes, so the frozen features already separate them and fine-tuning "
                "the whole network on 100 photos adds nothing measurable")
    return _VERDICT[measured.verdict], why


predict_then_measure("14.2", "fastai's fine_tune against a linear probe at equal care",
                     ("fine_tune better", "no clear difference", "probe better"), _read_fine_tune)


@exercise("14.3", "What does the head-only epoch train with a swapped splitter?")
def _swapped_splitter(answer, c):
    # freeze() = freeze_to(-1): every group but the last is frozen; swapped, the last group is the body
    got = str(answer).strip().lower()
    if got not in TRAINS:
        c.fail(f"{answer!r} is not one of {', '.join(map(repr, TRAINS))}")
        return "fastai's freeze() leaves only the last parameter group trainable: which group is last here?"
    c.expect(got == "the body only", "the body only: freeze() keeps the last group trainable, and here that is the body",
             f"{answer!r} is not what freeze() leaves trainable")
    if got == "the head only":
        return ("that is what the recipe intends, but freeze() does not know which group is the head: it keeps the "
                "last group trainable, and this splitter puts the body last")
    return "freeze() freezes every group except the last one; read the order of the splitter's list"


@exercise("14.4", "Which rows of the decision table bind?")
def _rows(answer, c):
    # 300 images per class (hundreds or fewer: little data) for a phone app at 30 frames/s (real-time inference)
    if isinstance(answer, str):
        answer = {answer}
    try:
        got = {str(a).strip().lower() for a in answer}
    except TypeError:
        c.fail(f"expected a set of row names; got {type(answer).__name__}")
        return f"answer a set of row names, from {ROWS}"
    unknown = got - set(ROWS)
    if unknown:
        c.fail(f"{sorted(unknown)} are not rows of the table; the rows are {list(ROWS)}")
    want = {"little data", "real-time inference"}
    c.expect(got == want, "little data and real-time inference", f"{sorted(got)} is not the right pair of rows")
    if "highest accuracy" in got:
        return ("a phone at 30 frames per second is a speed constraint that binds; accuracy is wanted but a model "
                "that misses the frame rate is no option")
    return "count the photos per class (the table says hundreds or fewer is little data) and think about the frame rate"
