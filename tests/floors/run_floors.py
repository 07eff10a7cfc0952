"""Run a representative part of the test suite against the lowest versions pyproject.toml declares.

    python tests/floors/run_floors.py [--venv /tmp/clskit-floors] [--fresh]

1. makes a virtual environment (``--venv``, default ``/tmp/clskit-floors``; reused if it exists,
   rebuilt with ``--fresh``);
2. installs ``uv`` there and resolves the kit's dependencies with ``--resolution lowest-direct``:
   every direct dependency at the lowest version its declared range allows (``numpy>=1.24`` gets
   1.24.x), transitive ones at what fits;
3. torch and torchvision are the exception: their floors are not installed, since PyPI's Linux
   torch wheels pull about 3 GB of CUDA libraries (the CPU wheels live on download.pytorch.org,
   which this machine cannot reach). pip installs ``--torch``/``--torchvision`` from the local
   indexes instead (default: the versions the project's own environment uses) and the table
   says so;
4. runs the test modules in ``SUBSET`` and prints, per package, the declared floor, the version
   installed and the test summary.

The first run unpacks torch and its CUDA libraries (about 3 GB, 5-15 minutes on a busy machine);
later runs reuse them and take about 3-5 minutes. It never touches the project's own environment.
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SUBSET = ["tests/test_checkpoint.py", "tests/test_bad_inputs.py", "tests/test_predict.py", "tests/test_folders.py",
          "tests/test_metrics.py", "tests/test_learner.py", "tests/test_datasets.py", "tests/test_models.py",
          "tests/test_transforms.py", "tests/test_callbacks.py", "tests/test_splits.py", "tests/test_transfer.py",
          # one module per remaining floor: ipywidgets, fastai, accelerate, efficientnet-lite0 weights
          "tests/test_widgets_eval.py", "tests/test_fastai_interop.py", "tests/test_distributed.py",
          "tests/test_pretrained.py"]
SKIP = {"jupyterlab"}  # not imported by the kit or the subset; its floor drags in a large tree


def floors() -> dict[str, str]:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    out = {}
    for d in deps:
        m = re.match(r"([A-Za-z0-9_.-]+)\s*(.*)", d)
        low = re.search(r">=\s*([0-9][^,;\s]*)", m.group(2))
        out[m.group(1).lower()] = low.group(1) if low else "(none)"
    return out


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    print("$", " ".join(cmd), flush=True)
    return subprocess.run(cmd, text=True, **kw)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--venv", default="/tmp/clskit-floors")
    ap.add_argument("--torch", default="torch==2.14.1", help="torch requirement (its floor is not installable here)")
    ap.add_argument("--torchvision", default="torchvision==0.29.1")
    ap.add_argument("--find-links", default="/opt/wheels")
    ap.add_argument("--fresh", action="store_true", help="rebuild the environment from nothing")
    args = ap.parse_args()
    t0 = time.time()
    venv = Path(args.venv)
    py = venv / "bin" / "python"
    if args.fresh or not py.exists():
        if run([sys.executable, "-m", "venv", "--clear", str(venv)]).returncode:
            return 1
    # torch with its own dependencies from the local indexes; torchvision without, so that its numpy
    # and pillow are not the newest but what the lowest-direct resolution below picks
    run([str(py), "-m", "pip", "install", "-q", "uv", args.torch], check=True)
    run([str(py), "-m", "pip", "install", "-q", "--no-deps", args.torchvision], check=True)
    uv = [str(venv / "bin" / "uv"), "pip", "install", "--python", str(py), "--find-links", args.find_links]
    overrides = venv / "overrides.txt"
    overrides.write_text(f"{args.torch}\n{args.torchvision}\n")
    reqs = [d for d in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
            if re.match(r"[A-Za-z0-9_.-]+", d).group(0).lower() not in SKIP]
    (venv / "requirements.txt").write_text("\n".join(reqs + ["pytest>=8", "pytest-timeout>=2.2", "psutil>=5.9"]) + "\n")
    names = [re.match(r"[A-Za-z0-9_.-]+", r).group(0) for r in reqs]
    again = [x for n in names if n.lower() not in ("torch", "torchvision") for x in ("--reinstall-package", n)]
    res = run(uv + ["--resolution", "lowest-direct", "--override", str(overrides), *again,
                    "-r", str(venv / "requirements.txt")])
    if res.returncode:
        print("could not resolve the declared floors together (see above)")
        return 1
    run(uv + ["--no-deps", "-e", str(ROOT)], check=True)
    freeze = subprocess.run([str(py), "-m", "pip", "list", "--format=freeze"], text=True, capture_output=True).stdout
    have = dict(line.lower().split("==", 1) for line in freeze.splitlines() if "==" in line)
    print(f"\n{'package':<34}{'declared floor':<16}installed")
    for name, low in floors().items():
        key = name.replace("_", "-")
        print(f"{name:<34}{low:<16}{have.get(key, 'not installed (skipped)')}")
    tests = run([str(py), "-m", "pytest", "-q", "-p", "no:cacheprovider", "--timeout", "300", *SUBSET],
                cwd=ROOT, capture_output=True)
    tail = tests.stdout.strip().splitlines()
    print("\n".join(line for line in tail if line.startswith(("FAILED", "ERROR"))) or "(no failures)")
    print(tail[-1] if tail else tests.stderr[-2000:])
    print(f"floors run took {time.time() - t0:.0f} s")
    return tests.returncode


if __name__ == "__main__":
    sys.exit(main())
