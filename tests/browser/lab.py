"""Drive a real JupyterLab in headless Chromium (Debian's chromium through Playwright).

The server serves a temporary copy of the notebooks, so nothing a test runs is saved over the course.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LabServer:
    """A JupyterLab server on 127.0.0.1 with a token, over ``root`` (a temporary folder)."""

    def __init__(self, root: Path):
        self.root, self.port, self.token = Path(root), free_port(), "clskit-test"
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, JUPYTER_CONFIG_DIR=str(self.root / ".jupyter-config"),
                   JUPYTER_RUNTIME_DIR=str(self.root / ".jupyter-runtime"), MPLBACKEND="module://matplotlib_inline.backend_inline")
        env.pop("CLSKIT_NOTEBOOK_RUN", None)
        # render every cell (JupyterLab 4 removes off-screen cells from the page by default)
        settings = self.root / ".lab-user-settings" / "@jupyterlab" / "notebook-extension"
        settings.mkdir(parents=True, exist_ok=True)
        (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
        self.log = open(self.root / "lab.log", "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={self.port}", "--ip=127.0.0.1",
             f"--ServerApp.token={self.token}", f"--ServerApp.root_dir={self.root}", "--ServerApp.open_browser=False",
             "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
             "--ServerApp.disable_check_xsrf=True", "--allow-root",
             f"--LabApp.user_settings_dir={self.root / '.lab-user-settings'}",
             f"--LabApp.workspaces_dir={self.root / '.lab-workspaces'}"],
            stdout=self.log, stderr=subprocess.STDOUT, env=env, cwd=self.root)
        self._wait()

    def _wait(self, timeout: float = 60) -> None:
        t0 = time.time()
        while time.time() - t0 < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError("JupyterLab exited: " + (self.root / "lab.log").read_text()[-2000:])
            try:
                with urllib.request.urlopen(f"{self.url}/api/status?token={self.token}", timeout=2) as r:
                    json.load(r)
                    return
            except OSError:
                time.sleep(0.5)
        raise TimeoutError("JupyterLab did not start within a minute; see lab.log")

    def notebook_url(self, rel: str) -> str:
        return f"{self.url}/lab/tree/{rel}?token={self.token}&reset"

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def copy_tree(src: Path, dst: Path, pattern: str = "*.ipynb") -> None:
    dst.mkdir(parents=True, exist_ok=True)
    for p in src.glob(pattern):
        shutil.copy2(p, dst / p.name)


def kernel_status(page) -> str:
    """The kernel's state as JupyterLab's status bar shows it ('Idle', 'Busy', 'Connecting', ...)."""
    text = page.evaluate("() => document.querySelector('#jp-main-statusbar')?.innerText || ''")
    for state in ("Idle", "Busy", "Connecting", "Starting", "Restarting", "Unknown", "Dead", "No Kernel"):
        if state in text:
            return state
    return ""


def wait_for_kernel_idle(page, timeout_s: float = 120) -> None:
    t0 = time.time()
    while time.time() - t0 < timeout_s:
        if kernel_status(page) == "Idle":
            return
        time.sleep(0.5)
    raise TimeoutError(f"kernel not idle after {timeout_s} s (status: {kernel_status(page)!r})")


def run_all_cells(page, timeout_s: float = 300, stuck_after_s: float = 20) -> list:
    """Run every cell through JupyterLab's Run menu and wait for the kernel to finish.

    Returns the cells (element handles) whose prompt still shows ``[*]`` although the kernel has been idle for
    ``stuck_after_s`` seconds: JupyterLab now and then loses a cell's reply while ipywidgets builds hundreds of
    widget models at once (the confusion matrix's button grid). The caller re-runs them with :func:`rerun_cell`
    and says so; a cell that still shows nothing then is a failure.
    """
    page.wait_for_selector(".jp-Notebook", timeout=60_000)
    wait_for_kernel_idle(page)
    page.click("div.lm-MenuBar-itemLabel:text-is('Run')")
    page.click("li.lm-Menu-item[data-command='runmenu:run-all']")
    # cells show [*] while queued or running; wait until none does and the kernel is idle
    t0, idle_since = time.time(), None
    time.sleep(2.0)
    while time.time() - t0 < timeout_s:
        busy = page.evaluate("""() => [...document.querySelectorAll('.jp-InputArea-prompt')]
                                .some(e => e.textContent.includes('*'))""")
        idle = kernel_status(page) == "Idle"
        if not busy and idle:
            time.sleep(1.0)  # let the last widget views render
            return []
        idle_since = (idle_since or time.time()) if idle else None
        if idle_since is not None and time.time() - idle_since > stuck_after_s:
            return [c for c in page.query_selector_all(".jp-CodeCell")
                    if "*" in (c.query_selector(".jp-InputArea-prompt").text_content() or "")]
        time.sleep(0.5)
    screenshot(page, "timeout")
    raise TimeoutError(f"cells still running after {timeout_s} s (kernel {kernel_status(page)!r}); "
                       "screenshot test-artifacts/browser/timeout.png")


def rerun_cell(page, cell, timeout_s: float = 120) -> None:
    """Run one cell again (click into it, Ctrl+Enter) and wait for the kernel to go idle."""
    cell.scroll_into_view_if_needed()
    cell.query_selector(".jp-InputArea-editor").click()
    page.keyboard.press("Control+Enter")
    time.sleep(1.0)
    wait_for_kernel_idle(page, timeout_s)
    page.keyboard.press("Escape")
    time.sleep(1.0)


def page_problems(page) -> list[str]:
    """Widget render errors and Python tracebacks visible on the page."""
    text = page.inner_text(".jp-Notebook")
    problems = [m for m in ("Error displaying widget", "model not found", "Traceback (most recent call last)")
                if m in text]
    errors = page.query_selector_all(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    for e in errors:
        t = e.inner_text()
        if "Error" in t and "Warning" not in t:
            problems.append(t[:300])
    return problems


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path
