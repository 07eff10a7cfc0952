"""Hosted notebooks and tested versions: badge and set-up cells, the lock, the doctor's drift report."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tools import hosted
from clskit import doctor
from clskit.doctor import run_checks, version_drift

ROOT = Path(__file__).resolve().parent.parent
URL = "https://github.com/someone/clskit"


def _nb(tmp_path, cells) -> Path:
    p = tmp_path / "07_demo.ipynb"
    p.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return p


def test_prepare_puts_badge_and_setup_after_the_title_once(tmp_path):
    p = _nb(tmp_path, [{"cell_type": "markdown", "metadata": {}, "source": ["# 07 title"]},
                       {"cell_type": "code", "metadata": {}, "source": ["x = 1"], "outputs": [], "execution_count": None}])
    assert hosted.check(p, URL)
    assert hosted.prepare(p, URL) is True
    assert hosted.prepare(p, URL) is False  # idempotent
    cells = json.loads(p.read_text())["cells"]
    assert [c["cell_type"] for c in cells] == ["markdown", "markdown", "code", "code"]
    assert "colab.research.google.com/github/someone/clskit/blob/main/notebooks/07_demo.ipynb" in "".join(cells[1]["source"])
    assert "find_spec(\"clskit\") is None" in "".join(cells[2]["source"])
    assert hosted.check(p, URL) == []
    assert all(hosted.HIDDEN_ON_SITE in c["metadata"]["tags"] for c in cells[1:3])  # left out of the website
    cells[2]["metadata"]["tags"] = [hosted.SETUP_TAG]
    p.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    assert hosted.check(p, URL) == ["07_demo.ipynb: the 'clskit-setup' cell is not tagged 'remove-cell' (shown on the website)"]
    assert hosted.prepare(p, URL) is True and hosted.check(p, URL) == []
    # a new repository URL refreshes the cells instead of adding more
    assert hosted.prepare(p, "https://github.com/other/kit") is True
    cells = json.loads(p.read_text())["cells"]
    assert len(cells) == 4 and "other/kit" in "".join(cells[2]["source"])


def test_setup_cell_is_valid_ipython_and_skips_where_installed():
    from IPython.core.inputtransformer2 import TransformerManager

    code = TransformerManager().transform_cell(hosted.setup_source(URL))
    ns = {"get_ipython": lambda: pytest.fail("tried to install although clskit is importable")}
    exec(compile(code, "setup-cell", "exec"), ns)


def test_repository_url_is_checked(tmp_path):
    bad = tmp_path / "pyproject.toml"
    bad.write_text('[project.urls]\nRepository = "https://example.org/x"\n')
    with pytest.raises(ValueError, match="github.com/OWNER/NAME"):
        hosted.repository_url(bad)
    assert hosted.repository_url().startswith("https://github.com/")


def test_every_course_notebook_has_its_badge_and_setup_cell():
    url = hosted.repository_url()
    problems = [p for nb in sorted((ROOT / "notebooks").glob("*.ipynb")) for p in hosted.check(nb, url)]
    assert not problems, "\n".join(problems) + "\nrun: python -m tools.hosted notebooks/*.ipynb"


def test_lock_pins_what_pyproject_asks_for():
    import tomllib

    pins = doctor.tested_versions()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    # set-up installs the package with its lab, site and test extras, all from the lock
    deps = project["dependencies"] + [d for extra in project["optional-dependencies"].values() for d in extra]
    from packaging.requirements import Requirement

    for d in deps:
        req = Requirement(d)
        name = req.name.lower().replace("_", "-")
        assert name in pins, f"{name} is not in the lock"
        assert req.specifier.contains(pins[name].split("+")[0], prereleases=True), f"{name}=={pins[name]} is outside {req.specifier}"


def test_doctor_reports_drift_without_failing(tmp_path):
    lock = tmp_path / "lock.txt"
    lock.write_text("# header\ntorch==0.0.1\nnumpy==1.0\n")
    drift = dict((d, (w, h)) for d, w, h in version_drift(doctor.tested_versions(lock), names=["torch", "numpy", "timm"]))
    assert set(drift) == {"torch", "numpy"} and drift["torch"][0] == "0.0.1"
    here = {c.name: c for c in run_checks()}["tested versions"]
    assert here.ok  # drift warns, it never fails the doctor


def test_installed_versions_are_the_tested_ones():
    """CI installs from the lock, so here nothing should drift."""
    assert version_drift() == []


def test_gpu_check_says_when_there_is_no_gpu(capsys):
    import importlib.util

    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is here: run benchmarks/gpu_check.py itself")
    spec = importlib.util.spec_from_file_location("gpu_check", ROOT / "benchmarks" / "gpu_check.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.main([]) == 2
    assert "no CUDA GPU here" in capsys.readouterr().out
