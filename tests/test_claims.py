"""claim(): silent when it holds, a visible note for a learner's differing run, a failure under the test suite."""
import numpy as np
import pytest

from clskit.exercises.claims import STRICT_ENV, ClaimError, claim


def test_holding_claim_is_silent(capsys, monkeypatch):
    monkeypatch.delenv(STRICT_ENV, raising=False)
    assert claim("the probe wins", np.bool_(True)) is True
    assert capsys.readouterr().out == ""


def test_failed_claim_prints_a_note_for_a_learner(capsys, monkeypatch):
    monkeypatch.delenv(STRICT_ENV, raising=False)
    assert claim("the probe wins", False, detail="+0.3 pts (CI -1.2 to +1.8)") is False
    out = capsys.readouterr().out
    assert "default run" in out and "the probe wins" in out and "+0.3 pts" in out


def test_failed_claim_fails_under_the_test_suite(monkeypatch):
    monkeypatch.setenv(STRICT_ENV, "1")
    with pytest.raises(ClaimError, match="the probe wins"):
        claim("the probe wins", 1 > 2)
    assert claim("the probe wins", 2 > 1)


def test_a_timing_claim_only_ever_notes(capsys, monkeypatch):
    """A claim that reads this run's wall-clock times prints its note even under the test suite: timings vary
    between runs of the same code, and a timing must not make the suite flaky."""
    monkeypatch.setenv(STRICT_ENV, "1")
    assert claim("int8 is slower at batch 1", False, detail="0.57 against 0.61 ms", timing=True) is False
    out = capsys.readouterr().out
    assert "timings" in out and "int8 is slower at batch 1" in out and "0.57 against 0.61 ms" in out
    assert claim("int8 is slower at batch 1", True, timing=True) is True and capsys.readouterr().out == ""
    with pytest.raises(ClaimError):                     # any other claim still fails
        claim("int8 shrinks the file", False)


@pytest.mark.parametrize("args, match", [(("", True), "claim as text"), (("x", np.array([True, False])), "several")])
def test_bad_claims_are_named(args, match):
    with pytest.raises(TypeError, match=match):
        claim(*args)
