"""Smaller and faster models: distillation, quantisation, pruning, and measuring what they buy.

Every transformation returns a *new* model (the original is left alone), and every measurement is a
plain function returning numbers, so a notebook can put them side by side in one table
(:func:`profile_models`).

| module          | holds                                                                     |
|-----------------|---------------------------------------------------------------------------|
| ``distillation``| ``distillation_loss``, :class:`DistillationCB`                            |
| ``quantisation``| ``quantize_dynamic``, ``quantize_static``                                 |
| ``pruning``     | ``prune_unstructured``, ``prune_channels``, ``sparsity``                  |
| ``profiling``   | ``profile_models``, :class:`ChannelsLast`; the measurements from :mod:`clskit.models.measure` |

Every name is importable from ``clskit.efficiency`` itself.

Example:
    >>> from clskit.models import create_model
    >>> m = create_model("small_cnn", num_classes=10, in_chans=1).eval()
    >>> small = prune_channels(m, 0.5)
    >>> count_parameters(small) < count_parameters(m) / 3
    True
"""
from .distillation import DistillationCB, distillation_loss
from .profiling import (_is_quantized, ChannelsLast, count_parameters, measure_latency,  # noqa: F401
                        model_size_mb, num_threads, profile_models)
from .pruning import _prunable, _slice_bn, _slice_in, _slice_out, prune_channels, prune_unstructured, sparsity  # noqa: F401
from .quantisation import _quiet_quantization_warnings, quantize_dynamic, quantize_static  # noqa: F401

__all__ = ["ChannelsLast", "DistillationCB", "count_parameters", "distillation_loss", "measure_latency",
           "model_size_mb", "num_threads", "profile_models", "prune_channels", "prune_unstructured",
           "quantize_dynamic", "quantize_static", "sparsity"]
