"""Models: one registry and factory (``create_model``/``list_models``) and the kit's from-scratch models.

As in timm, this package imports the modules that register models (each holds ``@register_model``
functions); the registry itself imports none of them.
"""
from clskit import _lazy_submodules
from clskit.models import pretrained, small_cnn, tiny_resnet, tiny_vit  # noqa: F401  (they register their models)
from clskit.models.registry import create_model, list_models, register_model

__all__ = ["create_model", "list_models", "register_model"]

__getattr__, __dir__ = _lazy_submodules(__name__, __path__)  # every other module, on first use
