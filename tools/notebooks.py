"""Run the course notebooks in fresh kernels, store their outputs, and report time and memory.

    python -m tools.notebooks run              # every notebook in notebooks/, outputs stored
    python -m tools.notebooks run 00 05 --report
    python -m tools.notebooks run --check      # execute without writing (budget check only)

Each notebook runs in its own new kernel; a thread samples the kernel's resident memory (with its
children) every 50 ms for the peak. Budgets: 90 s wall time and 1.5 GB peak per notebook.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
import threading
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

BUDGET_SECONDS = 90.0
BUDGET_MB = 1536.0
ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"


@dataclass
class RunResult:
    notebook: str
    seconds: float
    peak_mb: float
    ok: bool
    error: str = ""
    claim_notes: list[str] = field(default_factory=list)   # claims the run did not support (non-strict runs only)

    @property
    def within_budget(self) -> bool:
        return self.ok and self.seconds <= BUDGET_SECONDS and self.peak_mb <= BUDGET_MB


class _MemorySampler(threading.Thread):
    def __init__(self, pid: int, interval: float = 0.05):
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak, self._stop_evt = pid, interval, 0, threading.Event()

    def run(self):
        import psutil

        try:
            proc = psutil.Process(self.pid)
        except psutil.Error:
            return
        while not self._stop_evt.is_set():
            try:
                rss = proc.memory_info().rss + sum(c.memory_info().rss for c in proc.children(recursive=True))
                self.peak = max(self.peak, rss)
            except psutil.Error:
                pass
            self._stop_evt.wait(self.interval)

    def stop(self) -> float:
        self._stop_evt.set()
        self.join(1)
        return self.peak / 2**20


_CHECK_CALL = re.compile(r"^\s*(clskit\.(exercises\.)?)?check\(", re.M)


def is_exercise_check(source: str) -> bool:
    """A cell that calls the exercise checker, ``check("05.1", ...)``: its output is a hint or a verdict."""
    return bool(_CHECK_CALL.search(source))


def _clean(nb) -> None:
    """Drop what varies between runs or would not render: cell timing metadata, and views of
    widgets whose state was not saved (closed live-curve widgets would show 'model not found')."""
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        if is_exercise_check(cell.source):
            # stored without output, so a reader does not see hints or answers before trying
            cell.outputs, cell.execution_count = [], None
            continue
        kept = []
        for out in cell.get("outputs", []):
            view = out.get("data", {}).get("application/vnd.jupyter.widget-view+json")
            if view is not None and view.get("model_id") not in state:
                continue
            if _is_empty_html(out):
                continue
            _drop_markdown_copy(out)
            _lighten(out)   # nbval does not compare images, so a checked cell may hold a JPEG too
            kept.append(out)
        cell.outputs = kept
    _prune_widget_state(nb, state)


def _lighten(output) -> None:
    """Store a large PNG figure (a grid of photos) as a JPEG, several times smaller (``lighter_image``); a
    plot stays a sharp PNG. A learner running the notebook sees the PNG; the stored copy (nbval's reference,
    the website) is lighter."""
    import base64

    from clskit.views.png import lighter_image

    data = output.get("data", {})
    if "image/png" not in data:
        return
    raw = base64.b64decode(data["image/png"])
    fmt, light = lighter_image("png", raw)
    if fmt == "png":
        return
    del data["image/png"]
    data[f"image/{fmt}"] = base64.b64encode(light).decode("ascii")
    meta = output.get("metadata", {})
    if "image/png" in meta:
        meta[f"image/{fmt}"] = meta.pop("image/png")


_EMPTY_HTML = re.compile(r"^\s*(<div>\s*</div>|(<style>.*?</style>\s*)+)?\s*$", re.DOTALL)


def _is_empty_html(out) -> bool:
    """A display that shows nothing: a progress bar cleared to ``""`` or ``<div></div>`` (fastprogress does
    this after every ``get_preds``), or fastprogress's bare ``<style>`` block. Stored, it is an empty box on the
    course website."""
    data = out.get("data", {})
    html = data.get("text/html")
    if html is None or set(data) - {"text/html", "text/markdown", "text/plain"}:
        return False
    return bool(_EMPTY_HTML.match("".join(html) if isinstance(html, list) else html))


def _drop_markdown_copy(out) -> None:
    """fastprogress (through fasthtml) stores its HTML table twice, also as ``text/markdown`` holding the same
    HTML in a code fence; a front end that prefers markdown shows raw HTML. Keep the HTML only."""
    data = out.get("data", {})
    md = data.get("text/markdown")
    if "text/html" in data and md is not None:
        if ("".join(md) if isinstance(md, list) else md).lstrip().startswith("```html"):
            del data["text/markdown"]


def _prune_widget_state(nb, state: dict) -> None:
    """Keep only widget models reachable from a stored view (closed widgets leave layout/style orphans)."""
    if not state:
        return
    todo = [out["data"]["application/vnd.jupyter.widget-view+json"].get("model_id")
            for cell in nb.cells if cell.cell_type == "code" for out in cell.get("outputs", [])
            if "application/vnd.jupyter.widget-view+json" in out.get("data", {})]
    seen: set[str] = set()
    while todo:
        mid = todo.pop()
        if mid in seen or mid not in state:
            continue
        seen.add(mid)
        todo += re.findall(r"IPY_MODEL_([0-9a-f]+)", json.dumps(state[mid]))
    for mid in set(state) - seen:
        del state[mid]
    for model in state.values():
        _lighten_image_model(model)
    if not state:
        nb.metadata.pop("widgets", None)


def _lighten_image_model(model: dict) -> None:
    """A stored ``ipywidgets.Image`` whose value is a large PNG of photos keeps it as a JPEG (``lighter_image``)."""
    import base64

    from clskit.views.png import lighter_image

    if model.get("model_name") != "ImageModel" or model.get("state", {}).get("format") != "png":
        return
    for buf in model.get("buffers", []):
        if buf.get("path") == ["value"] and buf.get("encoding") == "base64":
            fmt, light = lighter_image("png", base64.b64decode(buf["data"]))
            if fmt != "png":
                buf["data"] = base64.b64encode(light).decode("ascii")
                model["state"]["format"] = fmt


def _forget_closed_widgets(client) -> None:
    """nbclient keeps the state of widgets closed in the kernel (it ignores ``comm_close``), so
    their views would be stored; track the closes and drop those models before saving the state."""
    closed: set[str] = set()
    handle = client.handle_comm_msg

    def handle_comm_msg(outs, msg, cell_index):
        if msg["msg_type"] == "comm_close":
            closed.add(msg["content"]["comm_id"])
        return handle(outs, msg, cell_index)

    def drop_closed_widgets():
        for comm_id in closed:
            client.widget_state.pop(comm_id, None)
            client.widget_buffers.pop(comm_id, None)

    client.handle_comm_msg = handle_comm_msg
    client.drop_closed_widgets = drop_closed_widgets


CLAIM_NOTE = re.compile(r'^Note: the text above describes the notebook\'s default run, where "(.*?)"\. Your run does not '
                        r"support that(?: \((.*?)\))?: your settings, seed or machine differ", re.M | re.S)


def set_full(nb) -> None:
    """Switch a notebook (in memory) to its larger budget: its ``FULL = False`` line becomes ``FULL = True``."""
    for cell in nb.cells:
        if cell.cell_type == "code" and re.search(r"^FULL = False\b", cell.source, re.M):
            cell.source = re.sub(r"^FULL = False\b", "FULL = True ", cell.source, count=1, flags=re.M)
            return
    raise ValueError("this notebook has no `FULL = False` line to switch")


def claim_notes(nb) -> list[str]:
    """The claims a (non-strict) run printed as not supported, each as 'statement (detail)'."""
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
                   if o.get("output_type") == "stream")
    return [f"{m[1]} ({m[2]})" if m[2] else m[1] for m in CLAIM_NOTE.finditer(text)]


def run_notebook(path: Path, write: bool = True, timeout: int = 600, full: bool = False,
                 strict: bool = True, cold_cache: bool = False) -> RunResult:
    """Execute one notebook in a fresh kernel (cwd = its folder); store outputs when ``write``.

    ``full`` runs it with ``FULL = True`` (never stored: the stored outputs are the default run's);
    ``strict=False`` lets a claim the run does not support print its note instead of failing the run,
    and the notes come back in ``RunResult.claim_notes``. ``cold_cache`` gives the kernel an empty embedding
    cache of its own (``CLSKIT_CACHE_DIR``, removed afterwards), as on a learner's first run: the benchmarks' way.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    if full and write:
        raise ValueError("a FULL run is not stored: the stored outputs and the prose are the default run's")
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    if full:
        set_full(nb)
    env_before = {k: os.environ.get(k) for k in ("CLSKIT_NOTEBOOK_RUN", "CLSKIT_STRICT_CLAIMS", "CLSKIT_CACHE_DIR")}
    cache = tempfile.TemporaryDirectory(prefix="clskit-cold-cache-") if cold_cache else None
    if cache is not None:
        os.environ["CLSKIT_CACHE_DIR"] = cache.name
    os.environ["CLSKIT_NOTEBOOK_RUN"] = "1"
    if strict:
        os.environ["CLSKIT_STRICT_CLAIMS"] = "1"  # stored outputs never carry a claim the run does not support
    else:
        os.environ.pop("CLSKIT_STRICT_CLAIMS", None)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}},
                            store_widget_state=True)
    _forget_closed_widgets(client)
    err, sampler = "", None
    t0 = time.perf_counter()
    try:
        with client.setup_kernel():
            pid = getattr(getattr(client.km, "provisioner", None), "process", None)
            pid = getattr(pid, "pid", None)
            if pid:
                sampler = _MemorySampler(pid)
                sampler.start()
            t0 = time.perf_counter()
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index)
            client.drop_closed_widgets()
            client.set_widgets_metadata()
    except CellExecutionError as e:
        err = str(e).strip().splitlines()[-1][:300] if str(e).strip() else type(e).__name__
    except Exception as e:  # kernel died, timeout
        err = f"{type(e).__name__}: {e}"[:300]
    seconds = time.perf_counter() - t0
    peak = sampler.stop() if sampler else float("nan")
    for key, value in env_before.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    if cache is not None:
        cache.cleanup()
    if write and not err:
        _clean(nb)
        nbformat.write(nb, path)
    return RunResult(path.name, round(seconds, 1), round(peak, 0), not err, err, claim_notes(nb))


def find_notebooks(selectors: list[str] | None = None) -> list[Path]:
    nbs = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
    if selectors:
        nbs = [p for p in nbs if any(p.name.startswith(s) or p.stem == s or str(p) == s for s in selectors)]
    return nbs


def format_table(results: list[RunResult]) -> str:
    lines = ["| notebook | wall time (s) | peak kernel memory (MB) | within budget |", "|---|---:|---:|---|"]
    for r in results:
        mark = "yes" if r.within_budget else ("ERROR: " + r.error if not r.ok else "NO")
        lines.append(f"| {r.notebook} | {r.seconds:.1f} | {r.peak_mb:.0f} | {mark} |")
    total = sum(r.seconds for r in results)
    lines.append(f"| **total** | **{total:.1f}** | max {max((r.peak_mb for r in results), default=0):.0f} | "
                 f"budget {BUDGET_SECONDS:.0f} s / {BUDGET_MB:.0f} MB each |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tools.notebooks", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    run = sub.add_parser("run", help="execute notebooks in fresh kernels and store their outputs")
    run.add_argument("notebooks", nargs="*", help="number prefixes or names (default: all)")
    run.add_argument("--check", action="store_true", help="execute without writing outputs")
    run.add_argument("--report", action="store_true", help="print a markdown table (always printed at the end)")
    run.add_argument("--json", type=Path, help="also write the results as JSON to this file")
    args = ap.parse_args(argv)
    nbs = find_notebooks(args.notebooks)
    if not nbs:
        print(f"no notebooks matched {args.notebooks} in {NOTEBOOK_DIR}", file=sys.stderr)
        return 2
    results = []
    for p in nbs:
        r = run_notebook(p, write=not args.check)
        results.append(r)
        status = "ok" if r.within_budget else ("FAILED " + r.error if not r.ok else "OVER BUDGET")
        print(f"{p.name}: {r.seconds:.1f} s, peak {r.peak_mb:.0f} MB, {status}", flush=True)
    print()
    print(format_table(results))
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=1))
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
