#!/usr/bin/env python3
"""Set up clskit and run it. Needs only Python 3.10+ (and git to clone).

    python3 tasks.py lab      # set up (a .venv inside the repo) and open the course in JupyterLab
    python3 tasks.py test     # set up and run every test: pytest for the package, nbval for the
                              # notebooks, the real-browser widget tests
    python3 tasks.py setup    # only set up
    python3 tasks.py notebooks [NN ...]   # re-run notebooks in fresh kernels, store outputs, report time/memory
    python3 tasks.py site     # set up and build the course website (the stored notebooks) into _build/site
    python3 tasks.py lock     # re-resolve the newest versions within pyproject's ranges into a scratch
                              # environment and write them to the lock (then run `test` on it)

Set-up installs the exact versions the test suite passed with, from the lock
clskit/data/tested-versions.txt (a pip constraints file; `python -m clskit doctor` compares against it).
Set CLSKIT_NO_LOCK=1 to install from pyproject.toml's ranges instead. Set-up also downloads (from the
package registry, once) the wheels of tests/ipywidgets7.txt into .wheelhouse/: the widget tests run
against ipywidgets 7.7 (Colab's) in an environment built from them offline.

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
LOCK = ROOT / "clskit" / "data" / "tested-versions.txt"
IPYWIDGETS7 = ROOT / "tests" / "ipywidgets7.txt"
WHEELHOUSE = ROOT / ".wheelhouse"
CHROMIUM = Path("/usr/bin/chromium")


def say(msg: str) -> None:
    print(f"[clskit] {msg}", flush=True)


def run(cmd: list, **kw) -> None:
    subprocess.run([str(c) for c in cmd], check=True, **kw)


def _use_lock() -> bool:
    return LOCK.exists() and not os.environ.get("CLSKIT_NO_LOCK")


def _fingerprint() -> str:
    h = hashlib.sha256((ROOT / "pyproject.toml").read_bytes())
    if _use_lock():
        h.update(LOCK.read_bytes())
    return h.hexdigest()


def setup() -> None:
    """Create .venv and install clskit with its lab, site and test extras (once per pyproject.toml version)."""
    if sys.version_info < (3, 10):
        sys.exit(f"clskit needs Python 3.10 or newer; this is {sys.version.split()[0]}. Install a newer Python and retry.")
    if not PY.exists():
        say(f"creating a virtual environment in {VENV.name}/")
        run([sys.executable, "-m", "venv", VENV])
    if STAMP.exists() and STAMP.read_text().strip() == _fingerprint():
        download_wheelhouse()
        return
    say("installing clskit and its dependencies (torch is large: a few minutes the first time)")
    run([PY, "-m", "pip", "install", "-q", "--upgrade", "pip"])
    pins = ["-c", LOCK] if _use_lock() else []
    say("installing the tested versions from " + str(LOCK.relative_to(ROOT)) if pins else
        "installing the newest versions within pyproject.toml's ranges (CLSKIT_NO_LOCK is set)")
    run([PY, "-m", "pip", "install", "-q", *pins, "-e", f"{ROOT}[lab,site,test]"])
    STAMP.write_text(_fingerprint())
    download_wheelhouse()
    say("set up; `python3 tasks.py lab` opens the course")


def download_wheelhouse() -> None:
    """The ipywidgets 7 wheels of tests/ipywidgets7.txt in .wheelhouse/ (the widget tests on ipywidgets 7
    install them offline); downloaded once, again only when one is missing."""
    pins = [ln.split("#")[0].strip().replace("-", "_").lower() for ln in IPYWIDGETS7.read_text().splitlines()]
    have = {"==".join(w.name.lower().split("-")[:2]) for w in WHEELHOUSE.glob("*.whl")}
    if all(p in have for p in pins if p):
        return
    say(f"downloading ipywidgets 7 for the widget tests into {WHEELHOUSE.name}/")
    run([PY, "-m", "pip", "download", "-q", "--no-deps", "-d", WHEELHOUSE, "-r", IPYWIDGETS7])


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
    env = dict(os.environ, PYTHONHASHSEED="0", CLSKIT_STRICT_CLAIMS="1")  # a failed claim check fails nbval
    # tests/, the notebooks (nbval) and every docstring example in the package (--doctest-modules clskit)
    cmd = [PY, "-m", "pytest", "tests", "notebooks", "clskit", "--doctest-modules", "--nbval-lax",
           "--nbval-sanitize-with", "tests/nbval_sanitize.cfg", "-p", "no:cacheprovider", *args]
    say("running: " + " ".join(str(c) for c in cmd[2:]))
    return subprocess.run([str(c) for c in cmd], cwd=ROOT, env=env).returncode


def notebooks(args: list[str]) -> int:
    setup()
    return subprocess.run([str(PY), "-m", "tools.notebooks", "run", *args], cwd=ROOT).returncode


def site(args: list[str]) -> int:
    """Build the course website into _build/site (site/build.py; a Sphinx warning fails it)."""
    setup()
    return subprocess.run([str(PY), str(ROOT / "site" / "build.py"), *args], cwd=ROOT).returncode


def lock(args: list[str]) -> int:
    """Resolve the newest versions within pyproject.toml's ranges in a scratch venv and write the lock."""
    import datetime
    import platform

    scratch = ROOT / ".venv-lock"
    if scratch.exists():
        shutil.rmtree(scratch)
    say("resolving pyproject.toml's ranges in a scratch environment (.venv-lock/)")
    run([sys.executable, "-m", "venv", scratch])
    spy = scratch / BIN.name / PY.name
    run([spy, "-m", "pip", "install", "-q", "--upgrade", "pip"])
    run([spy, "-m", "pip", "install", "-q", f"{ROOT}[lab,site,test]"])
    frozen = subprocess.run([str(spy), "-m", "pip", "freeze", "--exclude-editable"], check=True,
                            capture_output=True, text=True).stdout
    pins = [ln for ln in frozen.splitlines() if ln and not ln.lower().startswith(("clskit", "-e "))]
    head = ["# Versions the clskit test suite passed with (a pip constraints file; `python3 tasks.py lock` rewrites it).",
            f"# Resolved {datetime.date.today().isoformat()} on Python {platform.python_version()}, {platform.system()} {platform.machine()}.",
            "# Set-up installs these; `python -m clskit doctor` reports installed versions that differ."]
    LOCK.write_text("\n".join(head + pins) + "\n")
    shutil.rmtree(scratch)
    say(f"wrote {len(pins)} pins to {LOCK.relative_to(ROOT)}; now run `python3 tasks.py test` before committing it")
    return 0


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
    if cmd == "lock":
        return lock(rest)
    if cmd == "site":
        return site(rest)
    print(f"unknown command {cmd!r}\n{__doc__}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
