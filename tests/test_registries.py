"""The model and dataset registries say what went wrong: duplicates raise, broken modules fail on import."""
from __future__ import annotations

import subprocess
import sys

import pytest
import torch.nn as nn

from clskit.datasets import list_datasets, load_dataset, register_dataset
from clskit.datasets import registry as dataset_registry
from clskit.models import create_model, list_models, register_model
from clskit.models import registry as model_registry


def _make_model_fn(module: str):
    def dup_model(num_classes=10, pretrained=False, in_chans=3, **kw):
        return nn.Linear(in_chans, num_classes)
    dup_model.__module__ = module
    return dup_model


def test_duplicate_model_name_raises_and_reregistering_the_same_function_replaces():
    fn = register_model(_make_model_fn("tests.one"))
    try:
        assert "dup_model" in list_models() and isinstance(create_model("dup_model", num_classes=2), nn.Linear)
        assert register_model(fn) is fn                      # the same function again: a re-run cell
        with pytest.raises(ValueError, match="already registered.*tests.one"):
            register_model(_make_model_fn("tests.two"))      # another function under the same name
        with pytest.raises(ValueError, match="small_cnn.*already registered"):
            register_model(_renamed("small_cnn"))
    finally:
        model_registry._REGISTRY.pop("dup_model", None)
    assert "small_cnn" in list_models()


def _renamed(name):
    fn = _make_model_fn("tests.other")
    fn.__name__ = fn.__qualname__ = name
    return fn


def test_duplicate_dataset_name_raises():
    def digits(**options):
        return None
    with pytest.raises(ValueError, match="dataset named 'digits' is already registered"):
        register_dataset(digits)
    assert load_dataset("digits").num_classes == 10


def test_registries_import_none_of_their_modules():
    import ast
    import inspect

    for reg in (model_registry, dataset_registry):
        tree = ast.parse(inspect.getsource(reg))
        relative = [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level == 1
                    and n.module not in ("heads", "hub")]
        assert not relative, f"{reg.__name__} imports {[n.module for n in relative]}"


@pytest.mark.parametrize("broken", ["clskit.models.tiny_vit", "clskit.datasets.synthetic"])
def test_a_broken_module_fails_on_import_instead_of_vanishing(broken):
    # a module that cannot be imported (None in sys.modules makes `import` raise ImportError)
    code = (f"import sys; sys.modules[{broken!r}] = None\n"
            "import clskit.models, clskit.datasets\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode != 0 and f"import of {broken} halted" in r.stderr, r.stderr[-500:]


def test_every_registered_name_is_listed():
    assert {"small_cnn", "tiny_resnet", "tiny_vit", "efficientnet_lite0"} <= set(list_models())
    assert {"digits", "shapes", "imagenette_mini", "pneumoniamnist_balanced"} <= set(list_datasets())


def test_pretrained_cfg_has_the_same_keys_everywhere():
    from clskit.models.pretrained import make_pretrained_cfg

    random_init = create_model("efficientnet_lite0", pretrained=False, num_classes=3).pretrained_cfg
    weights = create_model("efficientnet_lite0", pretrained=True, num_classes=1000).pretrained_cfg
    assert set(random_init) == set(weights)
    assert {"mean", "std", "input_size", "label_names", "tag", "source"} <= set(random_init)
    assert random_init["tag"] == "random init" and random_init["label_names"] is None
    assert len(weights["label_names"]) == 1000 and weights["tag"] == "in1k"
    assert set(make_pretrained_cfg(mean=(0.5,), std=(0.5,), input_size=(1, 8, 8), label_names=None,
                                   tag="t", source=None)) == {"mean", "std", "input_size", "label_names", "tag", "source"}


def test_hub_torchvision_needs_pretrained_true():
    from clskit.models.hub import create_torchvision_model

    with pytest.raises(ValueError, match="create_model\\('tv:resnet18', pretrained=False"):
        create_torchvision_model("resnet18", pretrained=False)
