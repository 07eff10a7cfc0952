"""Checkers for notebook 13 (domain shift and few-shot learning)."""
from __future__ import annotations

import numpy as np

from clskit.exercises import exercise, predict_then_measure


@exercise("13.5", "A 95% confidence interval over episodes")
def _ci(fn, c):
    if not callable(fn):
        c.fail(f"expected a function ci95(accuracies) -> float; got {type(fn).__name__}")
        return "define `def ci95(accuracies): ...` returning the half-width of the interval"
    accs = np.random.default_rng(0).uniform(0.4, 0.9, 200)
    want = 1.96 * accs.std(ddof=1) / np.sqrt(len(accs))
    got = float(fn(accs))
    if abs(got - want) > 2e-4:
        c.fail(f"for 200 episodes you returned {got:.4f}; the half-width is {want:.4f}")
        if abs(got - 1.96 * accs.std(ddof=1)) < 1e-3:
            return "that is the spread of single episodes; the mean's error shrinks with sqrt(n): divide by sqrt(len(accuracies))"
        return "1.96 standard errors: 1.96 * std(ddof=1) / sqrt(number of episodes)"
    c.ok(f"half-width {got:.4f}: 1.96 standard errors of the mean")
    return ""


@exercise("13.4", "Nearest class mean (squared Euclidean)")
def _nearest_mean(fn, c):
    if not callable(fn):
        c.fail(f"expected a function nearest_mean(support, support_y, query) -> labels; got {type(fn).__name__}")
        return "define `def nearest_mean(support, support_y, query): ...`"
    from sklearn.neighbors import NearestCentroid

    rng = np.random.default_rng(3)
    support = rng.normal(size=(30, 4)) + np.repeat(np.arange(3), 10)[:, None] * 0.8
    y = np.repeat(np.arange(3), 10)
    query = rng.normal(size=(40, 4)) + rng.integers(0, 3, 40)[:, None] * 0.8
    want = NearestCentroid().fit(support, y).predict(query)
    got = np.asarray(fn(support, y, query))
    if got.shape != want.shape or not np.array_equal(got, want):
        c.fail(f"{int((got.reshape(-1)[:len(want)] != want).sum()) if got.size == want.size else 'all'} of 40 "
               "queries got another label than scikit-learn's NearestCentroid")
        return "compute one mean per class (the prototype), then give each query the label of the closest mean"
    c.ok("your labels match scikit-learn's NearestCentroid on 40 queries")
    return ""


@exercise("13.3", "BatchNorm statistics of a batch")
def _bn_stats(fn, c):
    if not callable(fn):
        c.fail(f"expected a function bn_stats(x) -> (mean, var) for x of shape (N, C, H, W); got {type(fn).__name__}")
        return "define `def bn_stats(x): ...` returning per-channel mean and variance"
    import torch

    x = torch.randn(8, 3, 5, 5) * torch.tensor([1.0, 2.0, 3.0]).view(1, 3, 1, 1) + 1
    mean, var = (torch.as_tensor(a, dtype=torch.float32) for a in fn(x))
    if mean.shape != (3,) or var.shape != (3,):
        c.fail(f"expected one mean and one variance per channel, shape (3,); got {tuple(mean.shape)} and {tuple(var.shape)}")
        return "average over the batch and both spatial axes (dims 0, 2, 3): one number per channel"
    ok_m = torch.allclose(mean, x.mean((0, 2, 3)), atol=1e-5)
    ok_v = torch.allclose(var, x.var((0, 2, 3), unbiased=False), atol=1e-4) or \
        torch.allclose(var, x.var((0, 2, 3), unbiased=True), atol=1e-4)
    c.expect(ok_m, "the per-channel means are right", "the per-channel means are wrong")
    c.expect(ok_v, "the per-channel variances are right", "the per-channel variances are wrong")
    return "average over the batch and both spatial axes (dims 0, 2, 3): one number per channel"


def _read_adabn(measured):
    """``measured`` is the PairedDifference of AdaBN against no adaptation on the same test photos."""
    why = (f"AdaBN minus no adaptation: {measured.diff:+.1f} pts, 95% interval {measured.low:+.1f} to "
           f"{measured.high:+.1f} over {measured.n} photos")
    return measured.verdict, why


predict_then_measure("13.1", "AdaBN on a network with ImageNet's statistics, clean photos",
                     ("better", "worse", "no clear difference"), _read_adabn)
predict_then_measure("13.2", "AdaBN on a source model with its own statistics, blurred photos",
                     ("better", "worse", "no clear difference"), _read_adabn)


_CORRUPTIONS = ("gaussian_blur", "gaussian_noise", "brightness", "jpeg")


@exercise("13.6", "Which corruption costs the most, and does brightness cost anything?")
def _drop(answer, c):
    """``answer`` is {"prediction": {"costs the most": name, "brightness": verdict}, "measured": table}, where the
    table (one row per corruption at one severity) has the columns "change (pts)" and "verdict"."""
    if not isinstance(answer, dict) or not {"prediction", "measured"} <= set(answer):
        c.fail("pass a dict {'prediction': my_prediction, 'measured': measured}")
        return "write your prediction before you run the experiment"
    guess, table = answer["prediction"], answer["measured"]
    if not isinstance(guess, dict) or guess.get("costs the most") not in _CORRUPTIONS or \
            guess.get("brightness") not in ("worse", "no clear difference"):
        c.fail(f"{guess!r} is not a full prediction")
        return (f"fill in both: 'costs the most' is one of {', '.join(map(repr, _CORRUPTIONS))}; 'brightness' is "
                "'worse' or 'no clear difference'")
    most = table["change (pts)"].idxmin()
    bright = table.loc["brightness"]
    c.expect(guess["costs the most"] == most, f"{most} costs the most: {table.loc[most, 'change (pts)']:+.1f} pts",
             f"you predicted {guess['costs the most']!r}, but {most} costs the most "
             f"({table.loc[most, 'change (pts)']:+.1f} pts)")
    c.expect(guess["brightness"] == bright["verdict"],
             f"brightness: {bright['verdict']} ({bright['change (pts)']:+.1f} pts)",
             f"you predicted {guess['brightness']!r} for brightness, but the interval says {bright['verdict']!r} "
             f"({bright['change (pts)']:+.1f} pts)")
    return ("the probe reads the backbone's features, and those features depend on edges and texture: a corruption "
            "that removes them costs the most; one that shifts every pixel by the same amount changes them least")


def _read_zero_shot(measured):
    """``measured`` holds the 5-way one-shot accuracy ("one shot") and the zero-shot head's ("zero-shot")."""
    one, zero = float(measured["one shot"]), float(measured["zero-shot"])
    outcome = "yes" if one >= zero else "no"
    why = f"one labelled photo per class: {one:.3f} of queries right; the ImageNet head with none: {zero:.3f}"
    if outcome == "no":
        why += ("; one support photo is a noisy prototype, while the head was trained on about 1300 labelled photos "
                "of each of these classes")
    return outcome, why


predict_then_measure("13.7", "Does one labelled photo per class reach the zero-shot head?", ("yes", "no"),
                     _read_zero_shot)
