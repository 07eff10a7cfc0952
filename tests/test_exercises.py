"""Every exercise checker passes its solution and fails a plausible wrong answer with the right hint."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from clskit.exercises import Feedback, check, list_exercises

ROOT = Path(__file__).resolve().parent.parent


def _solutions() -> tuple[dict, dict]:
    sols, wrong = {}, {}
    for p in sorted((ROOT / "solutions").glob("nb*.py")):
        spec = importlib.util.spec_from_file_location(f"solutions_{p.stem}", p)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        sols.update(mod.SOLUTIONS)
        wrong.update(mod.WRONG)
    return sols, wrong


SOLUTIONS, WRONG = _solutions()
IDS = list_exercises()


def test_every_exercise_has_a_solution_and_a_wrong_answer():
    assert IDS, "no exercises registered"
    assert set(IDS) == set(SOLUTIONS), f"exercises without solutions: {set(IDS) ^ set(SOLUTIONS)}"
    assert set(IDS) == set(WRONG), f"exercises without a wrong answer: {set(IDS) ^ set(WRONG)}"


@pytest.mark.parametrize("ex", IDS)
def test_solution_passes(ex):
    fb = check(ex, SOLUTIONS[ex]())
    assert isinstance(fb, Feedback)
    assert fb.passed, str(fb)
    assert fb.right, "a passing check should say what is right"


@pytest.mark.parametrize("ex", IDS)
def test_wrong_answer_fails_with_hint(ex):
    make, word = WRONG[ex]
    fb = check(ex, make())
    assert not fb.passed, f"{ex}: the wrong answer passed"
    assert fb.wrong, "a failing check should say what is wrong"
    assert word.lower() in fb.hint.lower(), f"{ex}: hint {fb.hint!r} lacks {word!r}"


def test_unknown_exercise_is_a_clear_error():
    with pytest.raises(KeyError, match="unknown exercise"):
        check("99.9", 1)


def test_feedback_renders():
    fb = check("00.2", -1)
    assert "not yet" in str(fb) and "Hint" in str(fb)
    assert "❌" in fb._repr_markdown_()
