"""clskit on ipywidgets 7.7, the version Colab ships, in an environment built offline.

The environment is a fresh venv that already holds ipywidgets 7.7 and what it needs (the wheels of
tests/ipywidgets7.txt, which `python3 tasks.py setup` downloads into .wheelhouse/) and borrows every other
package from the test's own environment through a ``.pth`` line, as tests/test_wheel.py does: nothing is
downloaded here. In it:

* the widget tests driven from Python pass (and no widget passes an argument ipywidgets 7 does not know);
* installing the built clskit wheel, as the hosted set-up cell does, keeps ipywidgets 7.7 and installs
  nothing but clskit: no JupyterLab, no other ipywidgets.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WHEELHOUSE = ROOT / ".wheelhouse"
PINS = ROOT / "tests" / "ipywidgets7.txt"
# the widget tests driven from Python (sliders set, buttons clicked, uploads given, state read)
WIDGET_TESTS = ["tests/test_widgets_eval.py", "tests/test_widgets_upload.py", "tests/test_cards.py",
                "tests/test_efficiency.py", "tests/test_features.py", "tests/test_interpret.py",
                "tests/test_transforms.py", "tests/test_callbacks.py"]
SELECT = "widget or viewer or playground or picker or profile_table or upload or live_curves or static"


def _pinned() -> dict[str, str]:
    lines = [ln.split("#")[0].strip() for ln in PINS.read_text().splitlines()]
    return dict(ln.split("==") for ln in lines if ln)


@pytest.fixture(scope="module")
def env7(tmp_path_factory):
    wanted = {(n.lower().replace("-", "_"), v) for n, v in _pinned().items()}
    wheels = [w for w in sorted(WHEELHOUSE.glob("*.whl")) if tuple(w.name.lower().split("-")[:2]) in wanted]
    missing = sorted(wanted - {tuple(w.name.lower().split("-")[:2]) for w in wheels})
    assert not missing, f"{missing} not in {WHEELHOUSE}: run `python3 tasks.py setup` (it downloads tests/ipywidgets7.txt)"
    base = tmp_path_factory.mktemp("ipywidgets7")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    py = venv / "bin" / "python"
    site = Path(subprocess.run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    # borrowed after the fresh site-packages, so its ipywidgets 7 wins over the course environment's 8
    (site / "borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV") and not k.startswith("PIP_")}
    env.update(PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}", PIP_CONFIG_FILE=os.devnull,
               PIP_DISABLE_PIP_VERSION_CHECK="1")
    subprocess.run([py, "-m", "pip", "install", "-q", "--no-index", "--no-deps", *wheels], check=True, env=env)
    return {"py": py, "env": env, "base": base, "site": site}


def _run(env7, *args, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([str(env7["py"]), *map(str, args)], env={**env7["env"], **kw.pop("env", {})},
                          capture_output=True, text=True, **kw)


def test_the_environment_has_ipywidgets_7(env7):
    out = _run(env7, "-c", "import ipywidgets; print(ipywidgets.__version__, ipywidgets.__file__)")
    version, where = out.stdout.split()
    assert version == _pinned()["ipywidgets"] and where.startswith(str(env7["site"])), out.stderr


def test_widget_tests_pass_on_ipywidgets_7(env7):
    out = _run(env7, "-m", "pytest", "-q", "-p", "no:cacheprovider", *WIDGET_TESTS, "-k", SELECT,
               "-m", "not benchmark",  # timings are opt-in (CLSKIT_BENCHMARKS=1), so they would only be skipped
               # an argument only ipywidgets 8 knows (tooltip= on a slider, ...) is silently dropped by 7: fail on it
               "-W", "error:Passing unrecognized arguments:DeprecationWarning",
               cwd=ROOT, env={"PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert " passed" in out.stdout and "skipped" not in out.stdout.splitlines()[-1], out.stdout[-500:]


def test_installing_clskit_keeps_ipywidgets_7_and_pulls_in_no_jupyterlab(env7):
    dist = env7["base"] / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", dist, ROOT],
                   check=True, cwd=env7["base"])
    wheel = next(dist.glob("clskit-*.whl"))
    meta = zipfile.ZipFile(wheel).read(f"{wheel.name.split('-')[0]}-{wheel.name.split('-')[1]}.dist-info/METADATA").decode()
    needs = [ln.split(":", 1)[1].strip() for ln in meta.splitlines() if ln.startswith("Requires-Dist:")]
    core = [r for r in needs if "extra ==" not in r]
    assert not [r for r in core if r.lower().startswith(("jupyterlab ", "jupyterlab>", "jupyterlab<", "notebook"))], core
    assert any(r.startswith("jupyterlab") and 'extra == "lab"' in r for r in needs), needs
    report = env7["base"] / "report.json"
    out = _run(env7, "-m", "pip", "install", "--no-index", "--find-links", WHEELHOUSE, "--report", report, wheel,
               cwd=env7["base"])
    assert out.returncode == 0, out.stderr[-3000:]
    installed = [item["metadata"]["name"] for item in json.loads(report.read_text())["install"]]
    assert installed == ["clskit"], f"installing clskit also installed {installed}"
    out = _run(env7, "-c", "import clskit, ipywidgets; print(ipywidgets.__version__, clskit.__file__)", cwd=env7["base"])
    version, where = out.stdout.split()
    assert version == _pinned()["ipywidgets"] and where.startswith(str(env7["site"])), out.stderr
