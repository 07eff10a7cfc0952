"""Sentences that quote a notebook's larger budget (``FULL = True``) agree with benchmarks/full_runs.py's stored run.

The script records, per notebook, each claim of the default run's text that the FULL run does not support, with
the FULL run's numbers (``benchmarks/results/full_runs.json``). Where a lesson quotes those numbers, re-running
the script (or editing the sentence) without the other fails here.
"""
import json
import re
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
FULL_RUNS = json.loads((ROOT / "benchmarks" / "results" / "full_runs.json").read_text())["notebooks"]


def _markdown(name: str) -> str:
    nb = nbformat.read(ROOT / "notebooks" / name, as_version=4)
    return " ".join(" ".join(c.source.split()) for c in nb.cells if c.cell_type == "markdown")


def _note(name: str, statement: str) -> str:
    """The FULL run's note on the claim that starts with ``statement``, whitespace collapsed."""
    notes = [" ".join(n.split()) for n in FULL_RUNS[name]["claim_notes"] if n.startswith(statement)]
    assert len(notes) == 1, f"{name}: {len(notes)} notes start with {statement!r}"
    return notes[0]


def _paired(diff: str, low: str, high: str, n: str) -> str:
    return f"{diff} pts (95% CI {low} to {high}, paired over {n})"


def test_every_notebook_ran_to_the_end_with_full_true():
    assert sorted(FULL_RUNS) == sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert all(r["ok"] for r in FULL_RUNS.values()), {k: r["error"] for k, r in FULL_RUNS.items() if not r["ok"]}


def test_notebook_02_quotes_the_shuffle_test_over_ten_seeds():
    assert _paired("-1.7", "-2.5", "-0.8", "10 seeds") in _note("02_cnn_from_scratch.ipynb", "a loss of about one point")
    assert "−1.7 points (95% interval −2.5 to −0.8) over the 10 seeds" in _markdown("02_cnn_from_scratch.ipynb")


def test_notebook_03_quotes_the_degradation_over_ten_runs():
    name = "03_cnn_architectures.ipynb"
    text = _markdown(name)
    assert _paired("-9.1", "-16.7", "-1.6", "10 seeds") in _note(name, "plain 20 minus plain 8")
    assert _paired("+9.1", "+1.5", "+16.7", "10 seeds") in _note(name, "residual 20 minus plain 20")
    assert _paired("-0.1", "-0.6", "+0.4", "10 seeds") in _note(name, "residual minus plain 8")
    assert ("plain 20 minus plain 8 is −9.1 points (95% interval −16.7 to −1.6), worse, and residual 20 minus plain 20 "
            "is +9.1 points (+1.5 to +16.7), better. Residual 20 against plain 8 stays level (−0.1, −0.6 to +0.4)") in text
    # the ten plain 20-layer test accuracies, and the 40-epoch losses of the ten plain runs
    plain20 = _note(name, "seed 2 of the 20-layer plain network scores far below the others")
    accs = sorted(float(a) for a in re.search(r"\(\[(.*)\]\)", plain20)[1].split(","))
    assert [round(100 * a, 1) for a in accs[:2]] == [66.3, 69.6] and (round(100 * accs[2], 1), round(100 * accs[-1], 1)) == (86.3, 95.2)
    assert "(seeds 2 and 7, 69.6% and 66.3%; the other eight score 86.3% to 95.2%)" in text
    longer = [float(v) for v in re.search(r"\(\[(.*)\]\)", _note(name, "with 40 epochs each plain run"))[1].split(",")]
    assert sum(v <= 0.0103 for v in longer) == 6 and round(longer[5], 2) == 0.22
    assert "bring six of the ten plain runs to 0.0103 or below, but not seed 5, which ends at 0.22" in text


def test_notebook_04_quotes_the_larger_models():
    name = "04_vision_transformers.ipynb"
    assert _paired("+32.4", "+29.1", "+35.7", "270 images") in _note(name, "the CNN leads by 15 to 22 points with 50")
    assert _paired("+11.5", "+9.0", "+14.0", "270 images") in _note(name, "the CNN leads by 6 to 11 points with 200")
    assert _paired("+3.2", "+2.0", "+4.5", "270 images") in _note(name, "with all digits there is no clear difference")
    assert ("from 32.4 pts at 50 digits (95% interval 29.1 to 35.7) to 11.5 pts at 200 (9.0 to 14.0), but with all "
            "1,257 digits the CNN keeps a lead of 3.2 pts (2.0 to 4.5), an interval that excludes 0") in _markdown(name)


def test_notebook_07_quotes_early_stopping_over_ten_seeds():
    name = "07_overfitting_regularisation.ipynb"
    assert _paired("-1.1", "-2.1", "-0.1", "270 images") in _note(name, "early stopping: no clear difference")
    # the other regularisers' verdicts on clean digits stay: none of their claims is listed
    assert not [n for n in FULL_RUNS[name]["claim_notes"]
                if n.endswith("over images and over seeds") or "no clear difference in test accuracy" in n
                and not n.startswith("early stopping")]
    assert "early stopping turns slightly worse than none: −1.1 pts (95% interval −2.1 to −0.1), only just" in _markdown(name)


def test_notebook_11_quotes_the_deletion_test_on_300_photos():
    name = "11_interpretability.ipynb"
    assert _paired("+5.0", "+3.4", "+6.7", "300 images") in _note(name, "on the 10×10 grid Grad-CAM's lead is 2.6 pts")
    assert _paired("+5.0", "+3.3", "+6.7", "300 images") in _note(name, "on the 5×5 grid Grad-CAM's order beats")
    assert ("Grad-CAM's order beats saliency's on the 10×10 grid too, by 5.0 pts (+3.4 to +6.7), as much as on the "
            "5×5 grid (5.0 pts, +3.3 to +6.7)") in _markdown(name)


def test_notebook_13_quotes_five_shots_at_160_px():
    name = "13_domain_shift_few_shot.ipynb"
    assert _paired("-0.5", "-0.7", "-0.3", "600 images") in _note(name, "five shots: cosine better by only 0.3 points")
    assert "its sign even turns: −0.5 points (−0.7 to −0.3)" in _markdown(name)


def test_notebook_13_quotes_adabn_at_160_px():
    name = "13_domain_shift_few_shot.ipynb"
    notes = FULL_RUNS[name]["claim_notes"]
    own = _note(name, "after AdaBN the own-statistics model is worse than the untouched")
    for domain, numbers in (("clean", ("-5.5", "-9.5", "-1.5")), ("gaussian_blur", ("-2.5", "-10.0", "+5.0")),
                            ("gaussian_noise", ("-6.5", "-12.5", "-1.0"))):
        assert f"'{domain}': '{_paired(*numbers, '200 images')}'" in own
    # what the paragraph says changed is listed; what it says holds is not
    for changed in ("on clean photos AdaBN costs about 30 points", "AdaBN gains on noise by about 26 points",
                    "five labelled photos: no interval excludes 0", "five labelled photos: a few points on blur"):
        _note(name, changed)
    for held in ("AdaBN is worse on every domain here", "AdaBN lifts blur by about 27 points",
                 "the untouched network with ImageNet's statistics is the tallest"):
        assert not [n for n in notes if n.startswith(held)]
    assert ("stays worse than the untouched network on clean photos (-5.5 points, -9.5 to -1.5) and noisy ones (-6.5, "
            "-12.5 to -1.0), but not clearly on blurred ones (-2.5, -10.0 to +5.0)") in _markdown(name)
