"""clskit: a Jupyter-first teaching and exploration kit for image classification.

``import clskit`` is light: the names below load their module (and torch) on first use.
"""
from __future__ import annotations

import importlib

__version__ = "0.1.0"

# public name -> module that defines it (PEP 562 lazy re-exports)
_EXPORTS = {
    # data
    "ImageDataset": "datasets", "ArrayLoader": "datasets", "DataLoaders": "datasets",
    "list_datasets": "datasets", "load_dataset": "datasets", "split_dataset": "datasets",
    # models
    "create_model": "models", "list_models": "models",
    # training
    "Learner": "learner", "Callback": "callbacks", "Recorder": "callbacks",
    "seed_everything": "utils", "default_device": "utils",
    "save_checkpoint": "checkpoint", "load_checkpoint": "checkpoint",
    # evaluation
    "accuracy": "metrics",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'clskit' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
