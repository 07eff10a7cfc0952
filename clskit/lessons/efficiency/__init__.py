"""Smaller and faster models: distillation, quantization, pruning, and measuring what they buy.

Every transformation returns a *new* model (the original is left alone), and every measurement is a
plain function returning numbers, so a notebook can put them side by side in one table
(:func:`profile_models`).

| module          | holds                                                                     |
|-----------------|---------------------------------------------------------------------------|
| ``distillation``| ``distillation_loss``, :class:`DistillationCB`                            |
| ``quantization``| ``quantize_dynamic``, ``quantize_static``                                 |
| ``pruning``     | ``prune_unstructured``, ``prune_channels``, ``sparsity``                  |
| ``profiling``   | ``profile_models``, :class:`ChannelsLast`; the measurements from :mod:`clskit.models.measure` |

The measurements themselves (``count_parameters``, ``model_size_mb``, ``measure_latency``) live in
:mod:`clskit.models.measure`, shared with the model cards.

Example:
    >>> from clskit.models import create_model
    >>> from clskit.models.measure import count_parameters
    >>> m = create_model("small_cnn", num_classes=10, in_chans=1).eval()
    >>> small = prune_channels(m, 0.5)
    >>> count_parameters(small) < count_parameters(m) / 3
    True
"""
from clskit.lessons.efficiency.distillation import DistillationCB, distillation_loss
from clskit.lessons.efficiency.profiling import ChannelsLast, profile_models
from clskit.lessons.efficiency.pruning import prune_channels, prune_unstructured, sparsity
from clskit.lessons.efficiency.quantization import quantize_dynamic, quantize_static

__all__ = ["ChannelsLast", "DistillationCB", "distillation_loss", "profile_models", "prune_channels",
           "prune_unstructured", "quantize_dynamic", "quantize_static", "sparsity"]
