"""Exercises of notebook 12 (efficiency): what soft targets add, BatchNorm re-estimation after pruning, channel-pruning
arithmetic, a mirror view in test-time augmentation, when int8 is faster."""
from __future__ import annotations

from clskit.exercises import exercise, predict_then_measure


def _per_seed(measured, key: str) -> list[float]:
    if key not in measured:
        raise ValueError(f"measured needs the key {key!r} (one accuracy per seed); got keys {sorted(measured)}")
    return [float(v) for v in measured[key]]


def _read_soft_targets(measured) -> tuple[str, str]:
    """Which adds more over the few labels: the transfer set's hard labels, or the soft term on top (paired over seeds)?"""
    from clskit.stats import paired_difference

    few, hard, soft = (_per_seed(measured, k) for k in ("few labels", "teacher's hard labels", "distilled"))
    labels = paired_difference(hard, few, over="seeds")
    soft_term = paired_difference(soft, hard, over="seeds")
    outcome = "the labels" if labels.diff > soft_term.diff else "the soft targets"
    why = f"the teacher's hard labels on the transfer set: {labels}; the soft term on top: {soft_term}"
    if outcome == "the labels":
        why += ("; most of what distillation gives a student with few labels is more labelled images, with the teacher "
                "as the labeller")
    return outcome, why


predict_then_measure("12.1", "What does distillation's gain come from: the labels or the soft targets?",
                     ("the labels", "the soft targets"), _read_soft_targets)


def _read_bn(measured) -> tuple[str, str]:
    """Which repair of the pruned network wins back more points: BN re-estimation, or fine-tuning after it?"""
    raw, recal = float(measured["pruned"]), float(measured["recalibrated"])
    tuned = list(measured["fine-tuned"])
    tuned = sum(tuned) / len(tuned)
    by_recal, by_tuning = 100 * (recal - raw), 100 * (tuned - recal)
    outcome = "recalibration" if by_recal > by_tuning else "fine-tuning"
    why = (f"re-estimating BatchNorm's statistics took it from {raw:.1%} to {recal:.1%} ({by_recal:+.1f} pts), "
           f"fine-tuning then to {tuned:.1%} ({by_tuning:+.1f} pts)")
    if outcome == "recalibration":
        why += ("; most of the collapse was the stale statistics, which every BatchNorm after a pruned layer "
                "applies to features that have changed")
    return outcome, why


predict_then_measure("12.2", "Which repair of a pruned network wins back more accuracy?",
                     ("recalibration", "fine-tuning"), _read_bn)


@exercise("12.3", "Channel pruning arithmetic")
def _(answer, c):
    value = c.number(answer)
    if value is None:
        return "answer with one number: how many times fewer weights"
    before = 3 * 64 * 9 + 64 * 128 * 9 + 128 * 128 * 9
    after = 3 * 16 * 9 + 16 * 32 * 9 + 32 * 32 * 9
    factor = before / after                                   # 15.64
    c.expect(abs(value - factor) < 0.2, f"about {factor:.2f}x: each layer after the first loses three quarters of its "
             "outputs and three quarters of its inputs",
             f"{value} is not the factor ({before:,} weights before)")
    return ("a conv has c_in * c_out * 3 * 3 weights; a quarter of the channels is a quarter of the next layer's inputs "
            "too, so every layer but the first shrinks 16x; the first keeps its 3 input channels and shrinks 4x")


def _read_mirror(measured) -> tuple[str, str]:
    """Did averaging with the mirrored image help, hurt, or not clearly change accuracy (paired over seeds)?"""
    from clskit.stats import paired_difference

    plain, mirror = _per_seed(measured, "plain"), _per_seed(measured, "mirror")
    d = paired_difference(mirror, plain, over="seeds")
    why = f"image + mirror - image alone: {d}"
    if d.verdict == "worse":
        why += ("; the students never saw a flipped digit, and a mirrored 2, 3, 4, 7 or 9 is another shape (or none), "
                "so that view votes for the wrong class on the images where the student was unsure")
    elif d.verdict == "no clear difference":
        why += "; averaged with the image itself, the mirror's vote rarely flipped a prediction here"
    return d.verdict, why


predict_then_measure("12.4", "Does a mirror view help test-time augmentation on digits?",
                     ("better", "no clear difference", "worse"), _read_mirror)


_SPEED_OPTIONS = ("faster at both", "slower at both", "slower at 1, faster at 32", "faster at 1, slower at 32")


def _read_int8_speed(measured) -> tuple[str, str]:
    """Static int8 against float32 channels-last at batch 1 and batch 32, from ``profile_models``' rows."""
    rows = measured.to_dict("records") if hasattr(measured, "to_dict") else list(measured)
    by = {r["model"]: r for r in rows}
    for need in ("static int8", "float32 channels-last"):
        if need not in by:
            raise ValueError(f"measured needs a row for {need!r}; got {sorted(by)}")
    q, f = by["static int8"], by["float32 channels-last"]
    word = {b: "faster" if q[f"latency_b{b}_ms"] < f[f"latency_b{b}_ms"] else "slower" for b in (1, 32)}
    outcome = f"{word[1]} at 1, {word[32]} at 32" if word[1] != word[32] else f"{word[1]} at both"
    why = (f"static int8 took {q['latency_b1_ms']:.2f} ms at batch 1 (channels-last float32 {f['latency_b1_ms']:.2f} ms) "
           f"and {q['latency_b32_ms']:.2f} ms at batch 32 ({f['latency_b32_ms']:.2f} ms)")
    if outcome == "slower at 1, faster at 32":
        why += ("; with one tiny image per call, quantising the input and converting the output back cost more than "
                "the int8 kernels save, and with 32 images the kernels' saving wins")
    return outcome, why


predict_then_measure("12.5", "Is static int8 faster than channels-last float32 on 8x8 digits?", _SPEED_OPTIONS,
                     _read_int8_speed)
