"""One registry for datasets: ``list_datasets()`` and ``load_dataset(name, **options)``."""
from __future__ import annotations

import fnmatch
from typing import Callable

_REGISTRY: dict[str, Callable] = {}


def register_dataset(fn: Callable) -> Callable:
    """Decorator: register ``fn`` as a dataset loader under its function name."""
    _REGISTRY[fn.__name__] = fn
    return fn


def list_datasets(pattern: str = "*") -> list[str]:
    """Names of the registered datasets that match a glob ``pattern``.

    Example:
        >>> "digits" in list_datasets()
        True
    """
    _load_all()
    return sorted(n for n in _REGISTRY if fnmatch.fnmatch(n, pattern))


def load_dataset(name: str, **options):
    """Load a registered dataset by name; ``options`` go to its loader.

    Example:
        >>> load_dataset("digits").num_classes
        10
    """
    _load_all()
    if name not in _REGISTRY:
        raise KeyError(f"unknown dataset {name!r}; available: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[name](**options)


def _load_all() -> None:
    # Loader modules register themselves on import; import them lazily so `import clskit` stays light.
    from . import digits, embedded  # noqa: F401
    try:
        from . import synthetic  # noqa: F401
    except ImportError:
        pass
    try:
        from . import remote  # noqa: F401
    except ImportError:
        pass
