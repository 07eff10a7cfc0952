"""Views: Display objects (compute, then draw) and the ipywidgets built on them."""
from clskit import _lazy_submodules

__getattr__, __dir__ = _lazy_submodules(__name__, __path__)  # every module, on first use
