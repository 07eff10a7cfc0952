"""clskit as a hosted notebook meets it: a built wheel installed into a fresh environment outside the
repository, the embedded real data loaded by name, and course notebooks run from a temporary folder.

The fresh environment borrows the heavy dependencies (torch, jupyter, ...) from the test's own environment
through a ``.pth`` line instead of downloading them (no test may use the network); clskit itself comes only
from the wheel: the repository is neither on its path nor its working directory.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# one that reads an image folder (01) and the transfer lesson with its own-photos walk-through (05)
NOTEBOOKS = ["01_images_labels_splits.ipynb", "05_transfer_learning.ipynb"]


@pytest.fixture(scope="module")
def wheel_env(tmp_path_factory):
    base = tmp_path_factory.mktemp("hosted")
    dist = base / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", dist, ROOT],
                   check=True, cwd=base)
    wheel = next(dist.glob("clskit-*.whl"))
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    py = venv / "bin" / "python"
    site = Path(subprocess.run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    # borrow dependencies: a .pth line adds the test venv's site-packages *after* the fresh one; .pth files
    # inside it (the editable install of the repository) are not processed, so clskit comes from the wheel
    (site / "borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(site)  # what `pip install --no-deps wheel` does for a pure-Python wheel
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    work = base / "work"
    work.mkdir()
    return {"wheel": wheel, "py": py, "site": site, "env": env, "work": work}


def _run(env, code: str) -> str:
    out = subprocess.run([env["py"], "-c", code], cwd=env["work"], env=env["env"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


def test_wheel_carries_the_embedded_data(wheel_env):
    names = zipfile.ZipFile(wheel_env["wheel"]).namelist()
    assert sum(n.startswith("clskit/data/imagenette_mini/") and n.endswith(".jpg") for n in names) == 1100
    assert "clskit/data/pneumoniamnist_balanced.npz" in names
    assert "clskit/data/tested-versions.txt" in names


def test_datasets_load_from_the_installed_wheel(wheel_env):
    out = _run(wheel_env, (
        "import clskit, json\n"
        "a = clskit.load_dataset('imagenette_mini', split='valid', size=64)\n"
        "b = clskit.load_dataset('pneumoniamnist_balanced', split='test')\n"
        "print(json.dumps([clskit.__file__, len(a), a.classes[4], len(b), str(clskit.data_path('imagenette_mini'))]))"))
    where, n_photos, church, n_xrays, folder = json.loads(out.strip().splitlines()[-1])
    assert where.startswith(str(wheel_env["site"])), f"clskit came from {where}, not the wheel"
    assert not where.startswith(str(ROOT)) and not folder.startswith(str(ROOT))
    assert (n_photos, church, n_xrays) == (300, "church", 468)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_outside_the_repository(wheel_env, name):
    """Copied out of the repository, run top to bottom in a kernel of the fresh environment."""
    nb_path = wheel_env["work"] / name
    shutil.copy(ROOT / "notebooks" / name, nb_path)
    code = (
        "import sys, nbformat\n"
        "from nbclient import NotebookClient\n"
        f"nb = nbformat.read({str(nb_path)!r}, as_version=4)\n"
        f"NotebookClient(nb, timeout=300, kernel_name='python3', resources={{'metadata': {{'path': {str(wheel_env['work'])!r}}}}}).execute()\n"
        "outs = [o.get('text', '') for c in nb.cells if c.cell_type == 'code' for o in c.outputs]\n"
        f"assert not any({str(ROOT)!r} in t for t in outs), 'a cell used the repository'\n"
        "print('ran', len(nb.cells), 'cells')\n")
    out = _run(wheel_env, code)
    assert "ran" in out
