"""Training: the Learner, its callbacks, losses, checkpoints and multi-process runs."""
from clskit import _lazy_submodules

__getattr__, __dir__ = _lazy_submodules(__name__, __path__)  # every module, on first use
