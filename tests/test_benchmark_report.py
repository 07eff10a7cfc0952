"""benchmarks/run.py's course report: the wall time, and the machine's pace between notebooks."""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.run import markdown  # noqa: E402


def _result(*pairs):
    rows = [{"notebook": f"{i:02d}_x.ipynb", "seconds": s, "peak_mb": 900, "within_budget": True, "ok": True,
             "error": "", "figures": {}, "pace_ms": p} for i, (s, p) in enumerate(pairs)]
    return {"machine": {"date": "today", "cpu": "cpu", "cores": 2, "torch": "t", "torch_threads": 2, "python": "3"},
            "notebooks": {"notebooks": rows, "total_seconds": round(sum(s for s, _ in pairs), 1), "max_peak_mb": 900,
                          "pace_ms": {"before": 40.0, "after": 31.0, "cnn_threads": {"ms": 31.0, "date": "then"}}}}


def test_the_report_gives_the_wall_time_and_each_notebooks_pace_without_scaling_the_total():
    md = markdown(_result((40.0, 40.0), (30.0, 31.0)))
    assert "| **whole course** | **70.0** |" in md
    assert "took 40.0 ms before the notebooks and 31.0 ms after" in md
    assert ("between notebooks (each notebook's figure is the mean of the probes either side of it): "
            "00 40.0, 01 31.0 ms") in md
    assert "so no total is scaled by it" in md
    assert "61" not in md   # 40 s at 40 ms would be 31 s at 31 ms: the report must not offer that estimate


def test_a_run_stored_before_the_probes_between_notebooks_still_reports():
    res = _result((40.0, 40.0))
    del res["notebooks"]["notebooks"][0]["pace_ms"]
    md = markdown(res)
    assert "| **whole course** | **40.0** |" in md and "between notebooks" not in md
