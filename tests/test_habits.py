"""The habits that keep the kit tidy, checked in CI exactly as the pre-commit hooks check them on a commit:
ruff, the notebooks' stored outputs, the hosted-notebook cells (.pre-commit-config.yaml lists the same)."""
from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _check_notebooks_module():
    spec = importlib.util.spec_from_file_location("check_notebooks", ROOT / "tools" / "check_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_pre_commit_runs_the_hooks_this_file_runs():
    entries = re.findall(r"^\s*entry:\s*(.+?)\s*$", (ROOT / ".pre-commit-config.yaml").read_text(), re.M)
    assert entries == ["ruff check", "python tools/check_notebooks.py", "python -m tools.hosted --check"]


def test_ruff_finds_nothing():
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        pytest.fail("ruff is missing: it is in the test extra (`python3 tasks.py setup` installs it)")
    r = subprocess.run([ruff, "check", "--no-cache", "."], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]


def test_stored_notebooks_have_no_errors_local_paths_or_oversized_files():
    r = subprocess.run([sys.executable, str(ROOT / "tools" / "check_notebooks.py")], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout


def test_hosted_check_passes_on_every_notebook():
    notebooks = sorted(str(p) for p in (ROOT / "notebooks").glob("*.ipynb"))
    r = subprocess.run([sys.executable, "-m", "tools.hosted", "--check", *notebooks], cwd=ROOT,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_notebook_check_finds_each_kind_of_problem(tmp_path):
    check = _check_notebooks_module()
    cells = [{"cell_type": "code", "source": "1/0", "metadata": {}, "execution_count": 1,
              "outputs": [{"output_type": "error", "ename": "ZeroDivisionError", "evalue": "", "traceback": []}]},
             {"cell_type": "code", "source": "open('x')", "metadata": {}, "execution_count": 2,
              "outputs": [{"output_type": "stream", "name": "stdout", "text": "saved to /home/ada/x.png\n"}]}]
    bad = tmp_path / "bad.ipynb"
    bad.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    problems = check.notebook_problems(bad)
    assert len(problems) == 2 and "ZeroDivisionError" in problems[0] and "/home/" in problems[1]
    big = tmp_path / "big.ipynb"
    big.write_text(json.dumps({"cells": [], "metadata": {"padding": "x" * (check.MAX_BYTES + 1)},
                               "nbformat": 4, "nbformat_minor": 5}))
    assert check.notebook_problems(big) == [p for p in check.notebook_problems(big) if "MB" in p] != []
    assert check.main([str(bad)]) == 1
