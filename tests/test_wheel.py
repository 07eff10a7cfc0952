"""clskit as a hosted notebook meets it: a built wheel installed into a fresh environment outside the
repository, every public name imported, the embedded real data and the offline pretrained weights loaded,
and an image folder read and trained on from a temporary folder. (The notebooks themselves run under nbval
in `tasks.py test`; running them again from the wheel cost 450 s and found nothing this does not.)

The fresh environment borrows the heavy dependencies (torch, jupyter, ...) from the test's own environment
through a ``.pth`` line instead of downloading them (no test may use the network); clskit itself comes only
from the wheel: the repository is neither on its path nor its working directory.
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
    # the longer runs notebooks 05, 07, 11 and 13 cite: a hosted notebook reads them from the package
    assert {f"clskit/data/runs/{n}.json" for n in ("adabn_batches", "cued_longer", "scratch_ceiling", "wd_choice")} <= set(names)


def test_stored_runs_load_from_the_installed_wheel(wheel_env):
    out = _run(wheel_env, "import clskit; print(clskit.load_stored_run('wd_choice')['settings']['noisy']['picked'])")
    assert out.strip().splitlines()[-1] == "10.0"


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


def test_public_names_pretrained_weights_and_a_folder_work_from_the_wheel(wheel_env):
    """What notebooks 01 and 05 do outside the repository, in a few seconds: import every public name,
    build the offline pretrained model, write an image folder, read it and take a training step."""
    code = (
        "import json, clskit, numpy as np\n"
        "from clskit.models.pretrained import preprocess_for\n"
        "from pathlib import Path\n"
        "from PIL import Image\n"
        "missing = [n for n in clskit.__all__ if getattr(clskit, n, None) is None]\n"
        "model = clskit.create_model('efficientnet_lite0', pretrained=True)\n"
        "photos = clskit.load_dataset('imagenette_mini', split='valid', size=64)\n"
        "probs = clskit.predict_probs(model.eval(), photos.images[:2], preprocess_for(model, size=64))\n"
        "rng = np.random.default_rng(0)\n"
        "for name in ('cats', 'dogs'):\n"
        "    (Path('pets') / name).mkdir(parents=True)\n"
        "    for i in range(3):\n"
        "        Image.fromarray(rng.integers(0, 255, (20, 20, 3), dtype=np.uint8)).save(f'pets/{name}/{i}.png')\n"
        "pets = clskit.load_image_folder('pets', size=16)\n"
        "dls = clskit.DataLoaders.from_datasets(pets, pets, batch_size=3)\n"
        "small = clskit.create_model('small_cnn', num_classes=2)\n"
        "learn = clskit.Learner(small, dls, progress=False, device='cpu').fit(1)\n"
        "print(json.dumps([missing, list(probs.shape), pets.classes, len(pets), len(learn.history)]))\n")
    out = _run(wheel_env, code)
    missing, probs_shape, classes, n_pets, n_epochs = json.loads(out.strip().splitlines()[-1])
    assert missing == [] and probs_shape == [2, 1000]
    assert (classes, n_pets, n_epochs) == (["cats", "dogs"], 6, 1)
