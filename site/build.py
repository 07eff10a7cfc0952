"""Build the course website from the stored notebooks: ``python site/build.py [OUT]`` (default ``_build/site``).

``python3 tasks.py site`` runs this in the course environment. Sphinx reads the repository root with the
configuration next to this file; a warning fails the build (``-W --keep-going`` reports all of them
first). Nothing is executed and nothing is downloaded: the build takes seconds.
"""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = ROOT / "_build" / "site"


def build(out: str | Path = OUT, doctrees: str | Path | None = None) -> float:
    """Build the site into ``out`` (its doctree cache in ``doctrees``, default beside ``out``); seconds taken.

    Raises:
        subprocess.CalledProcessError: Sphinx reported a warning or an error (printed above).
    """
    out = Path(out)
    doctrees = Path(doctrees) if doctrees else out.parent / f"{out.name}-doctrees"  # not published with the site
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-c", str(HERE), "-d", str(doctrees),
                    "-W", "--keep-going", "-q", str(ROOT), str(out)], check=True, cwd=ROOT)
    return time.perf_counter() - t0


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    seconds = build(target)
    print(f"built {target} in {seconds:.1f} s; open {target / 'index.html'}")
