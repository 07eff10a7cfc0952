"""Exercises with instant feedback.

Each notebook ends with exercises. In the notebook a learner writes an answer and calls
``check("02.1", answer)``; the checker says what is right, what is wrong, and gives a hint.
Checkers live in ``clskit/exercises/nbNN.py`` (registered with :func:`exercise`); worked
solutions live apart, in the repository's ``solutions/nbNN.py``, and the tests run every
checker against its solution (must pass) and a plausible wrong answer (must fail with its hint).

Example:
    >>> from clskit import check
    >>> check("00.1", 0.5).passed          # doctest: +SKIP
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from clskit import _lazy_submodules


@dataclass
class Feedback:
    """What a checker found: ``passed``, what was right, what was wrong, and a hint."""

    exercise: str
    passed: bool
    right: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)
    hint: str = ""

    def __str__(self) -> str:
        head = f"Exercise {self.exercise}: " + ("correct!" if self.passed else "not yet.")
        lines = [head] + [f"  + {r}" for r in self.right] + [f"  - {w}" for w in self.wrong]
        if not self.passed and self.hint:
            lines.append(f"  Hint: {self.hint}")
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        icon = "✅" if self.passed else "❌"
        body = [f"{icon} **Exercise {self.exercise}**: " + ("correct!" if self.passed else "not yet.")]
        body += [f"- ✔ {r}" for r in self.right] + [f"- ✘ {w}" for w in self.wrong]
        if not self.passed and self.hint:
            body.append(f"\n💡 *Hint:* {self.hint}")
        return "\n".join(body)

    __repr__ = __str__


@dataclass
class Exercise:
    id: str
    title: str
    checker: Callable[[Any], Feedback]


_REGISTRY: dict[str, Exercise] = {}


class Check:
    """Collects findings inside a checker: ``c.ok(msg)``, ``c.fail(msg)``, then ``c.result(hint)``."""

    def __init__(self, exercise_id: str):
        self.id, self.right, self.wrong = exercise_id, [], []

    def ok(self, msg: str) -> None:
        self.right.append(msg)

    def fail(self, msg: str) -> None:
        self.wrong.append(msg)

    def expect(self, cond: bool, ok_msg: str, fail_msg: str) -> bool:
        (self.ok if cond else self.fail)(ok_msg if cond else fail_msg)
        return bool(cond)

    def number(self, answer) -> float | None:
        """``answer`` as a float, or ``None`` after noting that a number was expected."""
        try:
            return float(answer)
        except (TypeError, ValueError):
            self.fail(f"expected a number; got {answer!r}")
            return None

    def result(self, hint: str = "") -> Feedback:
        return Feedback(self.id, not self.wrong, self.right, self.wrong, hint)


def exercise(id: str, title: str):
    """Decorator registering ``fn(answer, c: Check) -> str | None`` (returns the hint) as exercise ``id``."""

    def deco(fn):
        def checker(answer):
            c = Check(id)
            try:
                hint = fn(answer, c)
            except Exception as e:  # a learner's answer of the wrong kind should not crash the check
                c.fail(f"checking your answer raised {type(e).__name__}: {e}")
                hint = (fn.__doc__ or "").strip()
            return c.result(hint or "")

        _REGISTRY[id] = Exercise(id, title, checker)
        return fn

    return deco


def predict_then_measure(id: str, title: str, options: Sequence[str], read: Callable[[Any], tuple[str, str]]):
    """Register a "predict, then measure" exercise: the learner commits to a prediction *before* running
    an experiment, then the checker compares it with what the experiment measured.

    The notebook cell is ``check(id, {"prediction": my_prediction, "measured": measured})``.

    Args:
        id, title: as for :func:`exercise`.
        options: the predictions a learner may choose from (``"helps"``, ``"hurts"``, ...).
        read: ``read(measured) -> (outcome, why)``: which option the measurement supports and a sentence,
            computed from the measurement, that explains it. The check passes when the prediction matches.

    Example:
        >>> predict_then_measure("99.8", "demo", ("up", "down"),
        ...                      lambda m: ("up" if m > 0 else "down", f"it changed by {m:+.2f}"))  # doctest: +SKIP
    """
    options = tuple(options)

    def checker(answer, c):
        if not isinstance(answer, dict) or not {"prediction", "measured"} <= set(answer):
            c.fail("pass a dict {'prediction': my_prediction, 'measured': measured}")
            return f"write your prediction (one of {', '.join(map(repr, options))}) before you run the experiment"
        guess, measured = answer["prediction"], answer["measured"]
        if guess not in options:
            c.fail(f"{guess!r} is not one of the options {', '.join(map(repr, options))}")
            return "commit to one of the options before you look at the measurement: that is the exercise"
        outcome, why = read(measured)
        if c.expect(guess == outcome, f"you predicted {guess!r} and the measurement agrees: {why}",
                    f"you predicted {guess!r}, but the measurement says {outcome!r}"):
            return why
        return f"the measurement says {outcome!r}: {why}. What did your prediction assume that this setting lacks?"

    return exercise(id, title)(checker)


def _load_all() -> None:
    for m in pkgutil.iter_modules(__path__):
        if m.name.startswith("nb"):
            importlib.import_module(f"{__name__}.{m.name}")


def list_exercises() -> list[str]:
    """Ids of all exercises, in course order."""
    _load_all()
    return sorted(_REGISTRY)


def check(exercise_id: str, answer) -> Feedback:
    """Check ``answer`` for exercise ``exercise_id`` and return the feedback (shown in a notebook)."""
    _load_all()
    if exercise_id not in _REGISTRY:
        raise KeyError(f"unknown exercise {exercise_id!r}; known: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[exercise_id].checker(answer)

__getattr__, __dir__ = _lazy_submodules(__name__, __path__)  # every other module, on first use
