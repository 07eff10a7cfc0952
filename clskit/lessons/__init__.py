"""Lesson helpers: one topic each; they may import any layer, and no layer imports them."""
from clskit import _lazy_submodules

__getattr__, __dir__ = _lazy_submodules(__name__, __path__)  # every module, on first use
