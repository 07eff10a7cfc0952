#!/usr/bin/env python3
"""Set up clskit and run it. Needs only Python 3.10+ (and git to clone).

    python3 tasks.py lab      # set up (a .venv inside the repo) and open the course in JupyterLab
    python3 tasks.py test     # set up and run every test: pytest for the package, nbval for the
                              # notebooks, the real-browser widget tests
    python3 tasks.py setup    # only set up
    python3 tasks.py notebooks [NN ...]   # re-run notebooks in fresh kernels, store outputs, report time/memory

Both commands are idempotent: the virtual environment is built once and re-installed only when
pyproject.toml changes, so a second run starts at once.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".clskit-setup"
CHROMIUM = Path("/usr/bin/chromium")


def say(msg: str) -> None:
    print(f"[clskit] {msg}", flush=True)


def run(cmd: list, **kw) -> None:
    subprocess.run([str(c) for c in cmd], check=True, **kw)


def _fingerprint() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def setup() -> None:
    """Create .venv and install clskit with its test extra (once per pyproject.toml version)."""
    if sys.version_info < (3, 10):
        sys.exit(f"clskit needs Python 3.10 or newer; this is {sys.version.split()[0]}. Install a newer Python and retry.")
    if not PY.exists():
        say(f"creating a virtual environment in {VENV.name}/")
        run([sys.executable, "-m", "venv", VENV])
    if STAMP.exists() and STAMP.read_text().strip() == _fingerprint():
        return
    say("installing clskit and its dependencies (torch is large: a few minutes the first time)")
    run([PY, "-m", "pip", "install", "-q", "--upgrade", "pip"])
    run([PY, "-m", "pip", "install", "-q", "-e", f"{ROOT}[test]"])
    STAMP.write_text(_fingerprint())
    say("set up; `python3 tasks.py lab` opens the course")


def ensure_chromium() -> None:
    """The browser tests drive Debian's Chromium through Playwright; install it when missing."""
    if CHROMIUM.exists() or os.environ.get("CLSKIT_SKIP_BROWSER"):
        return
    apt = shutil.which("apt-get")
    if apt and hasattr(os, "geteuid") and os.geteuid() == 0:
        say("installing Chromium for the browser tests (apt-get)")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        run([apt, "update", "-qq"], env=env)
        run([apt, "install", "-y", "-qq", "chromium"], env=env, stdout=subprocess.DEVNULL)
    else:
        say("Chromium is missing and cannot be installed here (needs root and apt-get): "
            "the browser tests will be skipped. Install it with `sudo apt-get install chromium`.")


def lab(args: list[str]) -> None:
    setup()
    os.chdir(ROOT)
    os.execv(str(BIN / "jupyter"), [str(BIN / "jupyter"), "lab", "notebooks/00_welcome.ipynb", *args])


def test(args: list[str]) -> int:
    setup()
    ensure_chromium()
    env = dict(os.environ, PYTHONHASHSEED="0")
    cmd = [PY, "-m", "pytest", "tests", "notebooks", "--nbval-lax",
           "--nbval-sanitize-with", "tests/nbval_sanitize.cfg", "-p", "no:cacheprovider", *args]
    say("running: " + " ".join(str(c) for c in cmd[2:]))
    return subprocess.run([str(c) for c in cmd], cwd=ROOT, env=env).returncode


def notebooks(args: list[str]) -> int:
    setup()
    return subprocess.run([str(PY), "-m", "clskit.notebooks", "run", *args], cwd=ROOT).returncode


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(__doc__)
        return 0
    cmd, rest = argv[0], argv[1:]
    if cmd == "setup":
        setup()
        return 0
    if cmd == "lab":
        lab(rest)
        return 0
    if cmd == "test":
        return test(rest)
    if cmd == "notebooks":
        return notebooks(rest)
    print(f"unknown command {cmd!r}\n{__doc__}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
