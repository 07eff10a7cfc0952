"""Read a pickle that should hold only data (NumPy arrays, lists, dicts, strings, numbers).

The official CIFAR-10 batches are Python pickles. The archive is verified by its checksum before
it is unpacked, but a pickle can run code while it loads, so the batches are read with an
unpickler that allows only what they hold: plain containers and NumPy arrays. Anything else (a
function to call, a class to build) is refused before it runs.

Example:
    >>> import io, pickle, numpy as np
    >>> restricted_load(io.BytesIO(pickle.dumps({"data": np.zeros(3, np.uint8), "labels": [1, 2]})))["labels"]
    [1, 2]
"""
from __future__ import annotations

import importlib
import pickle

# (module, name) of the globals NumPy arrays need to be rebuilt; NumPy 2 moved numpy.core to numpy._core
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
    ("numpy", "ndarray"), ("numpy", "dtype"),
    ("_codecs", "encode"),  # how protocol-2 pickles written by Python 3 rebuild bytes (text -> bytes, no side effects)
}


class _DataOnlyUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(
                f"refused to load {module}.{name}: this file should hold only arrays, lists, dicts, strings "
                "and numbers, and loading anything else could run code. Delete the file and download it again")
        if module.startswith("numpy.core."):  # a file pickled by NumPy 1: the same object lives in numpy._core
            try:
                return getattr(importlib.import_module("numpy._core." + module.split(".", 2)[2]), name)
            except ImportError:  # NumPy 1
                pass
        return getattr(importlib.import_module(module), name)


def restricted_load(file, encoding: str = "ASCII"):
    """``pickle.load`` that builds only NumPy arrays, dtypes and plain Python data.

    Raises:
        pickle.UnpicklingError: the pickle asks for anything else (it is refused before it runs).

    Example:
        >>> import io, pickle, os
        >>> restricted_load(io.BytesIO(pickle.dumps(os.getcwd)))   # doctest: +IGNORE_EXCEPTION_DETAIL
        Traceback (most recent call last):
        _pickle.UnpicklingError: refused to load posix.getcwd ...
    """
    return _DataOnlyUnpickler(file, encoding=encoding).load()
