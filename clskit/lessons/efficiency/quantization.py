"""Post-training int8 quantization: dynamic (Linear layers) and static (FX graph mode, calibrated)."""
from __future__ import annotations

import copy
import warnings
from contextlib import contextmanager
from typing import Iterable

import torch
import torch.nn as nn


@contextmanager
def _quiet_quantization_warnings():
    # torch.ao.quantization warns that it is deprecated in favour of torchao, which the kit does not
    # install; the warning says nothing a learner can act on, so keep it out of every notebook cell.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*torch.ao.quantization is deprecated.*")
        warnings.filterwarnings("ignore", message=".*quantize_per_tensor.*deprecated.*")
        warnings.filterwarnings("ignore", message=".*reduce_range will be deprecated.*")
        warnings.filterwarnings("ignore", category=DeprecationWarning, module="torch.ao")
        yield


#: the layer types PyTorch's dynamic int8 mode quantises (``torch.ao.quantization``'s default dynamic
#: mappings, less Embedding/EmbeddingBag, which need a weight-only float-qparams config instead)
_DYNAMIC_LAYERS = (nn.Linear, nn.LSTM, nn.GRU, nn.LSTMCell, nn.GRUCell, nn.RNNCell)


def quantize_dynamic(model: nn.Module, layers: tuple[type, ...] = (nn.Linear,)) -> nn.Module:
    """Dynamic int8 quantization: weights of ``layers`` stored as int8, activations quantized on the fly.

    Only Linear (and LSTM) layers are supported by PyTorch's dynamic mode, so for a CNN it shrinks
    the classifier head only; use :func:`quantize_static` for the convolutions.

    Example:
        >>> q = quantize_dynamic(nn.Sequential(nn.Linear(8, 4)))
        >>> q[0]._get_name()
        'DynamicQuantizedLinear'
    """
    from torch.ao.quantization import quantize_dynamic as _qd

    layers = tuple(layers) if isinstance(layers, (tuple, list, set)) else (layers,)
    for layer in layers:
        if not (isinstance(layer, type) and issubclass(layer, _DYNAMIC_LAYERS)):
            name = getattr(layer, "__name__", repr(layer))
            raise ValueError(f"quantize_dynamic cannot quantise {name}: PyTorch's dynamic mode quantises only "
                             f"{', '.join(t.__name__ for t in _DYNAMIC_LAYERS)} layers and would leave {name} in "
                             "float, silently. Pass layers=(nn.Linear,); for convolutions use "
                             "quantize_static(model, calibration_batches)")
    with _quiet_quantization_warnings():
        return _qd(copy.deepcopy(model).cpu().eval(), set(layers), dtype=torch.qint8)


def quantize_static(model: nn.Module, calibration: Iterable, num_batches: int = 8,
                    backend: str = "x86") -> nn.Module:
    """Static int8 quantization with FX graph mode: fuse conv-BN-ReLU, calibrate, convert.

    Observers record the range of every activation on a few calibration batches; then weights and
    activations are stored as int8 with those scales, so the convolutions run int8 kernels.

    Args:
        model: a float model that ``torch.fx`` can trace (plain ``nn.Sequential``-style models can).
        calibration: an iterable of ``(x, y)`` batches (or of ``x``), e.g. the training loader.
        num_batches: calibration batches to use.
        backend: ``"x86"`` (fbgemm/onednn, desktop CPUs) or ``"qnnpack"`` (ARM, phones).

    Example:
        >>> from clskit.models import create_model
        >>> m = create_model("small_cnn", num_classes=3, in_chans=1).eval()
        >>> q = quantize_static(m, [torch.rand(4, 1, 8, 8)])
        >>> q(torch.rand(2, 1, 8, 8)).shape
        torch.Size([2, 3])
    """
    from torch.ao.quantization import get_default_qconfig_mapping
    from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx

    if backend not in torch.backends.quantized.supported_engines:
        raise ValueError(f"quantization backend {backend!r} is not available here; "
                         f"supported: {torch.backends.quantized.supported_engines}")
    batches = [b[0] if isinstance(b, (tuple, list)) else b for _, b in zip(range(num_batches), calibration)]
    if not batches:
        raise ValueError("calibration gave no batches; pass a loader or a list of input tensors")
    torch.backends.quantized.engine = backend
    float_model = copy.deepcopy(model).cpu().eval()
    with _quiet_quantization_warnings():
        try:
            prepared = prepare_fx(float_model, get_default_qconfig_mapping(backend), example_inputs=(batches[0].cpu(),))
        except Exception as e:
            raise ValueError(f"torch.fx could not trace {type(model).__name__} ({type(e).__name__}: {e}); static "
                             "quantization needs a traceable model (no data-dependent Python control flow)") from None
        with torch.no_grad():
            for xb in batches:
                prepared(xb.cpu())
        return convert_fx(prepared)
