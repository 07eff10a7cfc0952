"""Models: one registry and factory (``create_model``/``list_models``) and the kit's from-scratch models."""
from .registry import create_model, list_models, register_model

__all__ = ["create_model", "list_models", "register_model"]
