"""Claim checks: the guard between a lesson's written prose and the numbers of the run above it.

A lesson's reading is markdown written by a person for the stored, default run. Each claim it makes is
checked in a code cell right below it::

    claim("AdaBN recovers most of the blur loss", gain.low > 0.2)

- When the claim holds, nothing is printed.
- When a learner's own run differs (another seed, ``FULL = True``, a changed setting), a visible note says
  that the text describes the default run and that this run does not support the claim; the notebook goes on.
- Under the test suite and when stored outputs are regenerated (``CLSKIT_STRICT_CLAIMS=1``, set by
  ``tasks.py test`` and ``python -m tools.notebooks run``), a failed claim raises :class:`ClaimError`, so
  prose and numbers cannot drift apart unnoticed.
- A claim about this machine's speed (``timing=True``) only ever prints the note: the same code on the same
  machine times differently from run to run, so a timing must not fail the test suite (the repository's rule:
  timings are measured by benchmark scripts, not turned into tests).
"""
from __future__ import annotations

import os

STRICT_ENV = "CLSKIT_STRICT_CLAIMS"


class ClaimError(AssertionError):
    """A claim of the lesson's text does not hold for this run (raised only in strict mode)."""


def claim(statement: str, holds: bool, detail: str = "", timing: bool = False) -> bool:
    """Check one claim of the text above; silent when it holds.

    Args:
        statement: the claim in the words of the text, e.g. ``"the probe beats scratch at 5 photos per class"``.
        holds: whether this run supports it (a bool computed from the numbers above).
        detail: optional numbers to show when it does not hold, e.g. ``f"difference {d}"``.
        timing: the claim reads wall-clock times measured in this run (latencies, speed-ups); when it does not
            hold, the note is printed even in strict mode, and says that timings vary between runs.

    Returns:
        ``holds``, as a plain bool.

    Example:
        >>> claim("two is more than one", 2 > 1)
        True
    """
    if not isinstance(statement, str) or not statement.strip():
        raise TypeError(f"claim() needs the claim as text first, e.g. claim('the probe wins', gap.low > 0); "
                        f"got {statement!r}")
    try:
        ok = bool(holds)
    except (ValueError, RuntimeError) as err:  # a NumPy array or tensor of several values has no single truth
        raise TypeError(f"claim({statement!r}, ...) needs one True/False; got {type(holds).__name__} with several "
                        f"values. Reduce it first, e.g. with .all() or .any().") from err
    if ok:
        return True
    more = f" ({detail})" if detail else ""
    if timing:
        print(f"Note: the text above describes the timings of the notebook's default run, where \"{statement}\". "
              f"This run's timings do not support that{more}: times vary between runs and machines, and a busy "
              f"machine can reorder close ones. Read your own table above.")
        return False
    if os.environ.get(STRICT_ENV):
        raise ClaimError(f"the text says {statement!r}, but this run does not support it{more}. Rewrite the text "
                         f"for the numbers, or find why the run changed.")
    print(f"Note: the text above describes the notebook's default run, where \"{statement}\". Your run does not "
          f"support that{more}: your settings, seed or machine differ. Read your own numbers above.")
    return False
