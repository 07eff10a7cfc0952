"""One registry for datasets: ``list_datasets()`` and ``load_dataset(name, **options)``."""
from __future__ import annotations

import fnmatch
from typing import Callable

_REGISTRY: dict[str, Callable] = {}


def register_dataset(fn: Callable) -> Callable:
    """Decorator: register ``fn`` as a dataset loader under its function name.

    The registry imports none of the loader modules: ``clskit/datasets/__init__.py`` imports them
    (as timm does for models), so a broken loader fails on import instead of vanishing from
    :func:`list_datasets`. A second, different function under a taken name raises; registering the
    same function again (a reloaded module, a re-run notebook cell) replaces it.

    Example:
        >>> @register_dataset
        ... def my_set(**options):
        ...     return load_dataset("digits", **options)
        >>> "my_set" in list_datasets()
        True
    """
    name = fn.__name__
    old = _REGISTRY.get(name)
    if old is not None and (old.__module__, old.__qualname__) != (fn.__module__, fn.__qualname__):
        raise ValueError(f"a dataset named {name!r} is already registered (by {old.__module__}.{old.__qualname__}); "
                         f"give {fn.__module__}.{fn.__qualname__} another name")
    _REGISTRY[name] = fn
    return fn


def list_datasets(pattern: str = "*") -> list[str]:
    """Names of the registered datasets that match a glob ``pattern``.

    Example:
        >>> "digits" in list_datasets()
        True
    """
    return sorted(n for n in _REGISTRY if fnmatch.fnmatch(n, pattern))


def load_dataset(name: str, **options):
    """Load a registered dataset by name; ``options`` go to its loader.

    Example:
        >>> load_dataset("digits").num_classes
        10
    """
    if name not in _REGISTRY:
        raise KeyError(f"unknown dataset {name!r}; available: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[name](**options)

