"""Checkers for notebook 07 (overfitting and regularisation)."""
from __future__ import annotations

from clskit.exercises import exercise, predict_then_measure


@exercise("07.1", "Measure the generalisation gap")
def _gap(answer, c):
    # answer: a function gap(row) -> train accuracy minus validation accuracy of one history row
    rows = [{"train_accuracy": 1.0, "accuracy": 0.9}, {"train_accuracy": 0.8, "accuracy": 0.85},
            {"train_accuracy": 0.75, "accuracy": 0.75}]
    if not callable(answer):
        c.fail(f"expected a function gap(row); got {type(answer).__name__}")
        return "def gap(row): return row['train_accuracy'] - row['accuracy']"
    got = [answer(r) for r in rows]
    want = [0.1, -0.05, 0.0]
    ok = all(abs(g - w) < 1e-9 for g, w in zip(got, want))
    c.expect(ok, "gap = train accuracy - validation accuracy", f"gap gave {got} for rows whose gaps are {want}")
    if not ok and all(abs(g + w) < 1e-9 for g, w in zip(got, want)):
        return "the sign is flipped: train minus validation, so overfitting gives a positive gap"
    return "the validation accuracy is stored as 'accuracy', the training one as 'train_accuracy'; train minus validation"


@exercise("07.2", "When does early stopping stop?")
def _patience(answer, c):
    # best epoch 5, patience 3: epochs 6, 7, 8 do not improve -> stop after epoch 8, weights of epoch 5
    c.expect(answer == (8, 5), "stops after epoch 8 and restores epoch 5",
             f"{answer!r} is not (epoch it stops after, epoch whose weights it keeps)")
    if isinstance(answer, tuple) and len(answer) == 2 and answer[0] == 5:
        return "patience counts the epochs *without* improvement after the best one: 6, 7 and 8"
    if isinstance(answer, tuple) and len(answer) == 2 and answer[1] == 8:
        return "restore_best puts back the weights of the best epoch, not the last one"
    return "answer (stop_epoch, restored_epoch): patience epochs after the best, then the best weights"


@exercise("07.3", "Decoupled weight decay")
def _wd(answer, c):
    # AdamW: w <- w - lr * wd * w (before the Adam update); zero gradient -> Adam update 0
    ok = isinstance(answer, (int, float)) and abs(answer - 0.999) < 1e-9
    c.expect(ok, "w = 1 - lr * wd = 0.999", f"{answer!r} is not the weight after one step")
    if isinstance(answer, (int, float)) and abs(answer - 0.9) < 1e-9:
        return "AdamW multiplies the decay by the learning rate: w * (1 - lr * wd)"
    return "AdamW shrinks each weight by lr * wd * w per step, apart from the gradient update"


def _read_dropout(measured):
    """``measured = {"none": [test accuracies], "dropout": [test accuracies]}``, one per seed."""
    from clskit.stats import spread

    none, drop = spread(measured["none"]), spread(measured["dropout"])
    outcome = "help" if drop.clearly_above(none) else "hurt" if none.clearly_above(drop) else "no clear difference"
    why = (f"dropout scored {drop.mean:.3f} ± {drop.std:.3f} and no regulariser {none.mean:.3f} ± {none.std:.3f}; with "
           "wrong labels, memorising them hurts, and dropout makes memorising harder (on clean digits it did not help)")
    return outcome, why


predict_then_measure("07.4", "Does dropout help when 30% of the labels are wrong?",
                     ("help", "hurt", "no clear difference"), _read_dropout)
