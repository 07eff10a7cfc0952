"""Checkers for notebook 07 (overfitting and regularisation)."""
from __future__ import annotations

from clskit.exercises import exercise, predict_then_measure

RISE_OPTIONS = {
    "a": "the network gets many more validation images wrong",
    "b": "the network grows more confident, so each validation image it gets wrong costs more and more loss",
    "c": "the validation images are harder than the training images",
}


@exercise("07.1", "Why the validation loss rises while the accuracy holds")
def _rise(answer, c):
    # The curve: validation loss up by about half after its minimum, validation accuracy down by a point or
    # two (a handful of images). Cross-entropy grows without bound as a wrong answer grows confident.
    key = str(answer).strip().lower()
    if key not in RISE_OPTIONS:
        c.fail(f"{answer!r} is not one of {', '.join(map(repr, RISE_OPTIONS))}")
        return "answer with the letter of one explanation"
    c.expect(key == "b", "the loss of a wrong answer is -log p(true class), which grows as the network grows sure "
                         "of the wrong class, while the accuracy counts each image once, however sure",
             f"({key}) does not explain it: {RISE_OPTIONS[key]}")
    if key == "a":
        return ("read the accuracy curve again: it lost a point or two, a handful of the 270 images, while the loss "
                "rose by about half; look at how confident the mistakes are")
    if key == "c":
        return ("harder images would give a high validation loss from the start, not a loss that falls and then "
                "rises; something about the network changes after the minimum: how confident it is")
    return ""


@exercise("07.4", "When does early stopping stop?")
def _patience(answer, c):
    # best epoch 5, patience 3: epochs 6, 7, 8 do not improve -> stop after epoch 8, weights of epoch 5
    c.expect(answer == (8, 5), "stops after epoch 8 and restores epoch 5",
             f"{answer!r} is not (epoch it stops after, epoch whose weights it keeps)")
    if isinstance(answer, tuple) and len(answer) == 2 and answer[0] == 5:
        return "patience counts the epochs *without* improvement after the best one: 6, 7 and 8"
    if isinstance(answer, tuple) and len(answer) == 2 and answer[1] == 8:
        return "restore_best puts back the weights of the best epoch, not the last one"
    return "answer (stop_epoch, restored_epoch): patience epochs after the best, then the best weights"


def _read_scale(measured):
    """``measured = {"before": logits, "after": logits}``: one batch in training mode, before and after the
    first convolution's weights were multiplied by 10."""
    import torch

    before, after = torch.as_tensor(measured["before"]), torch.as_tensor(measured["after"])
    change = float((after - before).abs().max() / before.abs().max())
    outcome = "not at all" if change < 1e-3 else "about 10 times larger" if change > 5 else "somewhat"
    why = (f"the largest change is {change:.1e} of the largest output; the BatchNorm after the convolution divides "
           "by the standard deviation of its input over the batch, so a factor of 10 on the weights is divided "
           "out again")
    return outcome, why


predict_then_measure("07.2", "Scale a convolution followed by BatchNorm",
                     ("about 10 times larger", "somewhat", "not at all"), _read_scale)


def _read_dropout(measured):
    """``measured = {"none": runs, "dropout": runs}``: per seed, seed for seed, one 1/0 per test image (right or
    wrong). Read as every verdict of the notebook: each image's correctness averaged over the seeds, dropout's
    minus none's, as a paired interval over the test images."""
    import numpy as np

    from clskit.stats import paired_difference

    dropout, none = (np.asarray(measured[k], dtype=float) for k in ("dropout", "none"))
    if dropout.ndim != 2 or dropout.shape != none.shape:
        raise ValueError("pass, for each arm, one row of 1/0 per seed and test image, e.g. noisy_right['none']")
    d = paired_difference(dropout.mean(0), none.mean(0), over="images")
    outcome = {"better": "help", "worse": "hurt"}.get(d.verdict, "no clear difference")
    why = (f"dropout minus no regulariser: {d}; with wrong labels, memorising them hurts, and dropout makes "
           "memorising harder")
    return outcome, why


predict_then_measure("07.3", "Does dropout help when 30% of the labels are wrong?",
                     ("help", "hurt", "no clear difference"), _read_dropout)
