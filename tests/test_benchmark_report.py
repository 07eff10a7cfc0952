"""benchmarks/run.py's course report: the pace-scaled estimate and what RESULTS.md says about it."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.run import at_reference_pace, markdown  # noqa: E402


def _rows(*pairs):
    return [{"notebook": f"{i:02d}_x.ipynb", "seconds": s, "peak_mb": 900, "within_budget": True, "ok": True,
             "error": "", "figures": {}, "pace_ms": p} for i, (s, p) in enumerate(pairs)]


def test_each_notebook_is_scaled_by_the_pace_measured_around_it():
    # 40 s at 40 ms is 31 s at 31 ms; 30 s already at 31 ms stays 30 s
    assert at_reference_pace(_rows((40.0, 40.0), (30.0, 31.0)), 31.0) == pytest.approx(61.0)
    assert at_reference_pace(_rows((40.0, 40.0)) + [{"seconds": 5.0}], 31.0) is None   # a row without its pace
    assert at_reference_pace([], 31.0) is None


def test_the_report_gives_the_wall_time_and_labels_the_estimate():
    rows = _rows((40.0, 40.0), (30.0, 31.0))
    res = {"machine": {"date": "today", "cpu": "cpu", "cores": 2, "torch": "t", "torch_threads": 2, "python": "3"},
           "notebooks": {"notebooks": rows, "total_seconds": 70.0, "max_peak_mb": 900,
                         "pace_ms": {"before": 40.0, "after": 31.0, "cnn_threads": {"ms": 31.0, "date": "then"}}}}
    md = markdown(res)
    assert "| **whole course** | **70.0** |" in md
    assert "00 40.0, 01 31.0 ms" in md
    assert "would take about 61 s on the quiet machine. This is an estimate, not a measurement" in md
