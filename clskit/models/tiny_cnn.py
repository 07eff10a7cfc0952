"""Old name of :mod:`clskit.models.small_cnn` (the file is named after the model it holds now).

Importing from here keeps working; new code imports ``clskit.models.small_cnn``.
"""
from .small_cnn import SmallCNN, SmallCNNConfig, conv_bn, small_cnn  # noqa: F401

__all__ = ["SmallCNN", "SmallCNNConfig", "conv_bn", "small_cnn"]
