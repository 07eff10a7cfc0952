"""The foundation: packaging, Binder, CI, doctor, the notebook runner, and a light `import clskit`."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _names(reqs: list[str]) -> set[str]:
    out = set()
    for r in reqs:
        r = r.split("#")[0].strip()
        if not r or r.startswith("-"):
            continue
        out.add(re.split(r"[<>=!~;\[ ]", r, maxsplit=1)[0].lower().replace("_", "-"))
    return out


def test_binder_requirements_match_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    binder = (ROOT / "binder" / "requirements.txt").read_text().splitlines()
    # Binder runs the course: the package's dependencies and the `lab` extra (JupyterLab)
    assert _names(binder) == _names(project["dependencies"] + project["optional-dependencies"]["lab"])
    # Binder must get CPU-only torch wheels, not the multi-GB CUDA build
    assert any("download.pytorch.org/whl/cpu" in line for line in binder)


def test_ranges_admit_what_colab_ships():
    """Colab's ipywidgets (7.7.1) and Python (3.12): the hosted set-up cell must leave them as they are.
    Colab itself cannot be reached from here; tests/test_ipywidgets7.py checks the install on 7.7."""
    from packaging.requirements import Requirement
    from packaging.specifiers import SpecifierSet

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert SpecifierSet(project["requires-python"]).contains("3.12")
    ipywidgets = next(Requirement(d) for d in project["dependencies"] if d.startswith("ipywidgets"))
    assert ipywidgets.specifier.contains("7.7.1") and ipywidgets.specifier.contains("8.1.8")
    assert not any(Requirement(d).name in ("jupyterlab", "notebook") for d in project["dependencies"])


def test_ipywidgets_range_excludes_the_version_that_breaks_vscode():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    spec = next(d for d in deps if d.startswith("ipywidgets"))
    assert "!=8.1.9" in spec


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "python3 tasks.py test" in ci
    assert "python3 tasks.py test" in readme and "python3 tasks.py lab" in readme


def test_import_clskit_is_light():
    code = "import sys, clskit; heavy = [m for m in ('torch', 'matplotlib', 'ipywidgets', 'sklearn', 'timm') if m in sys.modules]; print(heavy)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


def test_lazy_exports_resolve():
    import clskit

    for name in clskit.__all__:
        assert getattr(clskit, name) is not None, name
    with pytest.raises(AttributeError, match="no attribute"):
        clskit.not_a_thing  # noqa: B018


def test_every_module_is_an_attribute_after_import_clskit():
    import pkgutil

    import clskit

    modules = [m.name for m in pkgutil.walk_packages(clskit.__path__, "clskit.")
               if not any(part.startswith("_") for part in m.name.split("."))]
    assert len(modules) > 100 and "clskit.lessons.fewshot" in modules and "clskit.views.widgets.cam" in modules
    # in a fresh interpreter, where nothing but `import clskit` has run
    code = ("import clskit, functools\n"
            f"for name in {modules!r}:\n"
            "    module = functools.reduce(getattr, name.split('.')[1:], clskit)\n"
            "    assert module.__name__ == name, (name, module)\n"
            "print(clskit.stats.wilson_interval(5, 10)[0] < 0.5)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.split() == ["True"], out.stderr[-2000:]


# the modules a notebook may import names from besides `clskit` itself (see clskit/__init__.py)
SUBMODULE_IMPORTS = {"clskit.models.scratch"}


def _course_code() -> list[tuple[str, str]]:
    """(where, source) of every notebook code cell, every solution and the README's Python blocks."""
    import nbformat

    out = []
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for i, cell in enumerate(nbformat.read(path, as_version=4).cells):
            if cell.cell_type == "code":
                # IPython magics (`%pip ...`) become `pass`, keeping the indentation of the block they sit in
                lines = [re.sub(r"^(\s*)[%!].*", r"\1pass", line) for line in cell.source.splitlines()]
                out.append((f"{path.name} cell {i}", "\n".join(lines)))
    out += [(p.name, p.read_text()) for p in sorted((ROOT / "solutions").glob("nb*.py"))]
    readme = (ROOT / "README.md").read_text()
    out += [("README.md", block) for block in re.findall(r"```python\n(.*?)```", readme, re.S)]
    return out


def _taught_names() -> set[str]:
    """``clskit.<name>`` written in the notebooks' text and the README's prose (``clskit.list_models()``)."""
    import nbformat

    texts = [(ROOT / "README.md").read_text()]
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        texts += [cell.source for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "markdown"]
    return {name for text in texts for name in re.findall(r"`clskit\.(\w+)", text)}


def _clskit_names(source: str) -> tuple[set[str], set[str]]:
    """Names taken from clskit (``from clskit... import x`` or ``clskit.x``), and the submodules imported from."""
    import ast
    import textwrap

    tree = ast.parse(textwrap.dedent(source))
    names, modules = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("clskit"):
            names |= {a.name for a in node.names}
            if node.module != "clskit":
                modules.add(node.module)
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "clskit":
            names.add(node.attr)
    return names, modules


def test_public_api_is_what_the_course_uses():
    import clskit

    used, stray = set(), []
    for where, source in _course_code():
        names, modules = _clskit_names(source)
        used |= names
        stray += [f"{where}: from {m} import ..." for m in sorted(modules - SUBMODULE_IMPORTS)]
    # notebooks, solutions and the README import public names from `clskit` itself
    assert stray == [], "import these from clskit instead:\n" + "\n".join(stray)
    # and clskit exports nothing that none of them uses or teaches
    assert sorted(set(clskit.__all__) - used - _taught_names()) == []


def test_stored_runs_are_the_scripts_files_and_a_wrong_name_lists_them():
    from clskit import load_stored_run
    from clskit.utils import STORED_RUNS

    stored = sorted(p.stem for p in STORED_RUNS.glob("*.json"))
    assert stored == ["adabn_batches", "cued_longer", "scratch_ceiling", "wd_choice"]
    root = Path(__file__).resolve().parent.parent
    for name in stored:   # each is written by the benchmark script of the same name, to this folder
        assert (root / "benchmarks" / f"{name}.py").exists()
        assert f'STORED_RUNS / "{name}.json"' in (root / "benchmarks" / f"{name}.py").read_text()
        assert {"date", "torch"} <= set(load_stored_run(name))
    with pytest.raises(KeyError, match="no stored run 'wd_choise'; stored: adabn_batches, cued_longer"):
        load_stored_run("wd_choise")


def test_doctor_tells_the_truth_here():
    from clskit.doctor import run_checks

    checks = {c.name: c for c in run_checks()}
    assert checks["torch"].ok and checks["torch"].detail == __import__("torch").__version__
    assert checks["offline pretrained weights"].ok
    assert "cpu" in checks["device"].detail or "cuda" in checks["device"].detail


def test_doctor_names_the_fix_when_something_is_missing(monkeypatch, capsys):
    from clskit import doctor

    real = doctor._version
    monkeypatch.setattr(doctor, "_version", lambda d: None if d == "timm" else real(d))
    assert doctor.main() == 1
    out = capsys.readouterr().out
    assert "BAD  timm" in out and "pip install timm" in out


def test_doctor_cli_exit_code():
    r = subprocess.run([sys.executable, "-m", "clskit", "doctor"], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "torchvision" in r.stdout and "ipywidgets front end" in r.stdout


def _tiny_notebook(path: Path, source: str) -> Path:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source)]
    nbformat.write(nb, path)
    return path


def test_runner_stores_outputs_and_measures(tmp_path):
    from tools.notebooks import run_notebook

    p = _tiny_notebook(tmp_path / "00_t.ipynb", "x = bytearray(50_000_000)\nprint('hello', len(x))")
    r = run_notebook(p)
    assert r.ok and r.seconds >= 0
    assert r.peak_mb > 50  # the kernel held 50 MB at least
    import nbformat

    nb = nbformat.read(p, as_version=4)
    assert "hello 50000000" in nb.cells[0].outputs[0]["text"]


def test_runner_full_run_collects_the_claims_it_does_not_support(tmp_path):
    """benchmarks/full_runs.py's mechanism: FULL switched on in memory, claims printed as notes and collected,
    the file untouched; a strict run fails on the same claim."""
    from tools.notebooks import run_notebook

    source = ("from clskit import claim\nFULL = False   # True: more\nclaim('the default run is small', not FULL)\n"
              "claim('one is one', 1 == 1)\nclaim('FULL says \"yes\"', False, detail='a\\nb')")
    p = _tiny_notebook(tmp_path / "00_t.ipynb", source)
    before = p.read_text()
    r = run_notebook(p, write=False, full=True, strict=False)
    assert r.ok and r.claim_notes == ["the default run is small", 'FULL says "yes" (a\nb)']
    assert p.read_text() == before
    assert not run_notebook(p, write=False, full=False, strict=True).ok
    with pytest.raises(ValueError, match="not stored"):
        run_notebook(p, write=True, full=True)


def test_runner_cold_cache_gives_the_kernel_an_empty_cache_of_its_own(tmp_path, monkeypatch):
    """The benchmarks' cold cache: a fresh, empty CLSKIT_CACHE_DIR for the kernel, removed afterwards, the
    caller's own setting restored."""
    import nbformat

    from tools.notebooks import run_notebook

    monkeypatch.setenv("CLSKIT_CACHE_DIR", str(tmp_path / "warm"))
    p = _tiny_notebook(tmp_path / "00_c.ipynb", "import os\nd = os.environ['CLSKIT_CACHE_DIR']\n"
                                                "print(d, os.path.isdir(d), os.listdir(d))")
    assert run_notebook(p, cold_cache=True).ok
    seen, is_dir, listing = nbformat.read(p, as_version=4).cells[0].outputs[0]["text"].split()
    assert seen != str(tmp_path / "warm") and (is_dir, listing) == ("True", "[]")
    assert not Path(seen).exists()
    assert os.environ["CLSKIT_CACHE_DIR"] == str(tmp_path / "warm")


def test_runner_reports_errors_without_writing(tmp_path):
    from tools.notebooks import run_notebook

    p = _tiny_notebook(tmp_path / "00_e.ipynb", "raise ValueError('boom')")
    before = p.read_text()
    r = run_notebook(p)
    assert not r.ok and "boom" in r.error
    assert p.read_text() == before


def test_runner_drops_views_of_closed_widgets():
    import nbformat

    from tools.notebooks import _clean

    nb = nbformat.v4.new_notebook()
    view = {"application/vnd.jupyter.widget-view+json": {"model_id": "gone", "version_major": 2, "version_minor": 0},
            "text/plain": "VBox()"}
    kept = {"application/vnd.jupyter.widget-view+json": {"model_id": "here", "version_major": 2, "version_minor": 0}}
    cell = nbformat.v4.new_code_cell("w")
    cell.outputs = [nbformat.v4.new_output("display_data", data=view), nbformat.v4.new_output("display_data", data=kept)]
    nb.cells = [cell]
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {"here": {}}}}
    _clean(nb)
    assert [o["data"]["application/vnd.jupyter.widget-view+json"]["model_id"] for o in nb.cells[0].outputs] == ["here"]


def test_runner_stores_a_large_photo_figure_as_a_jpeg_and_keeps_a_plot_png():
    import base64
    import io

    import nbformat
    import numpy as np
    from PIL import Image

    from tools.notebooks import _clean

    def png(pixels) -> str:
        buf = io.BytesIO()
        Image.fromarray(pixels).save(buf, format="PNG")
        return base64.b64encode(buf.getvalue()).decode("ascii")

    photo = png(np.random.default_rng(0).integers(0, 255, (400, 400, 3), dtype=np.uint8))  # noise: a heavy PNG
    plot = png(np.full((400, 400, 3), 255, dtype=np.uint8))
    nb = nbformat.v4.new_notebook()
    cells = [nbformat.v4.new_code_cell("show") for _ in range(2)]
    for cell, image in zip(cells, [photo, plot]):
        cell.outputs = [nbformat.v4.new_output("display_data", data={"image/png": image, "text/plain": "<Figure>"},
                                               metadata={"image/png": {"width": 400}})]
    nb.cells = cells
    _clean(nb)
    stored = [c.outputs[0] for c in nb.cells]
    assert sorted(stored[0]["data"]) == ["image/jpeg", "text/plain"] and stored[0]["metadata"] == {"image/jpeg": {"width": 400}}
    assert len(stored[0]["data"]["image/jpeg"]) < len(photo) / 2
    assert Image.open(io.BytesIO(base64.b64decode(stored[0]["data"]["image/jpeg"]))).size == (400, 400)
    assert stored[1]["data"]["image/png"] == plot
    # the same for a stored Image widget's value (the augmentation playground's grid)
    model = {"model_name": "ImageModel", "state": {"format": "png"},
             "buffers": [{"data": photo, "encoding": "base64", "path": ["value"]}]}
    view = {"application/vnd.jupyter.widget-view+json": {"model_id": "im", "version_major": 2, "version_minor": 0}}
    nb.cells[0].outputs = [nbformat.v4.new_output("display_data", data=view)]
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {"im": model}}}
    _clean(nb)
    model = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]["im"]
    assert model["state"]["format"] == "jpeg" and len(model["buffers"][0]["data"]) < len(photo) / 2


def test_runner_keeps_one_html_copy_and_drops_empty_displays():
    import nbformat

    from tools.notebooks import _clean

    table = "<div><table class=\"fastprogress\"><tr><td>0</td></tr></table></div>"
    cell = nbformat.v4.new_code_cell("learn.fit(1)")
    cell.outputs = [
        nbformat.v4.new_output("display_data", data={"text/html": "<div></div>", "text/markdown": "```html\n<div></div>\n```",
                                                     "text/plain": "<div></div>"}),
        nbformat.v4.new_output("display_data", data={"text/html": "", "text/plain": "<IPython.core.display.HTML object>"}),
        nbformat.v4.new_output("display_data", data={"text/html": "\n<style>\n  progress { width: 300px; }\n</style>\n",
                                                     "text/plain": "<IPython.core.display.HTML object>"}),
        nbformat.v4.new_output("display_data", data={"text/html": table, "text/markdown": f"```html\n{table}\n```",
                                                     "text/plain": table}),
        nbformat.v4.new_output("display_data", data={"text/markdown": "**bold**", "text/plain": "bold"}),
    ]
    nb = nbformat.v4.new_notebook()
    nb.cells = [cell]
    _clean(nb)
    assert [sorted(o["data"]) for o in nb.cells[0].outputs] == [["text/html", "text/plain"], ["text/markdown", "text/plain"]]


def test_every_notebook_is_listed_in_the_course_map():
    names = [p.name for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))]
    course_map = (ROOT / "notebooks" / "README.md").read_text()
    readme = (ROOT / "README.md").read_text()
    for n in names:
        assert n in course_map, f"{n} missing from notebooks/README.md"
        assert n in readme, f"{n} missing from README.md"


def test_tasks_help():
    r = subprocess.run([sys.executable, str(ROOT / "tasks.py"), "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "tasks.py test" in r.stdout


def test_exercise_check_cells_are_stored_without_output():
    """Hints and verdicts stay hidden until the learner runs the check (the runner clears them)."""
    import json

    from tools.notebooks import is_exercise_check

    root = Path(__file__).resolve().parent.parent / "notebooks"
    for path in sorted(root.glob("*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            src = "".join(cell["source"])
            if cell["cell_type"] == "code" and is_exercise_check(src):
                assert not cell.get("outputs"), f"{path.name}: an exercise check cell has stored output"


def test_the_course_map_quotes_no_measured_figure():
    # A figure copied into prose drifts when a notebook is re-run (issue 13): the course map says what each
    # notebook measures; the figures live in the notebooks and in benchmarks/RESULTS.md, which are regenerated.
    import re

    rows = [line for line in (ROOT / "notebooks" / "README.md").read_text().splitlines() if re.match(r"\| \d\d \|", line)]
    assert len(rows) >= 16
    for line in rows:
        measures = line.rstrip(" |").rsplit(" | ", 1)[-1]
        measures = re.sub(r"≥ \d+(\.\d+)? ?%?", "", measures)           # a stated bar (asserted) is a setting
        figures = re.findall(r"\d+\.\d+|->|→", measures)             # a result: 0.955, 97.3, 0.63 -> 0.78
        assert not figures, f"the course map quotes {figures} in: {measures[:80]}... Say what is measured, not its value"
