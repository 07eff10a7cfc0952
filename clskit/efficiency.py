"""Smaller and faster models: distillation, quantisation, pruning, and measuring what they buy.

Every transformation returns a *new* model (the original is left alone), and every measurement is a
plain function returning numbers, so a notebook can put them side by side in one table
(:func:`profile_models`).

Example:
    >>> from clskit.models import create_model
    >>> m = create_model("small_cnn", num_classes=10, in_chans=1).eval()
    >>> small = prune_channels(m, 0.5)
    >>> count_parameters(small) < count_parameters(m) / 3
    True
"""
from __future__ import annotations

import copy
import io
import time
import warnings
from contextlib import contextmanager
from typing import Callable, Iterable

import torch
import torch.nn as nn
import torch.nn.functional as F

from .callbacks import Callback

# -- sizes ------------------------------------------------------------------------------------


def count_parameters(model: nn.Module) -> int:
    """Number of parameters (quantised layers included, whose packed weights are not ``parameters()``).

    Example:
        >>> count_parameters(nn.Linear(3, 2))
        8
    """
    n = sum(p.numel() for p in model.parameters())
    for m in model.modules():
        w = getattr(m, "weight", None)
        if callable(w) and not isinstance(w, torch.Tensor):  # quantised layers keep packed weights
            bias = m.bias()
            n += w().numel() + (bias.numel() if bias is not None else 0)
    return n


def model_size_mb(model: nn.Module) -> float:
    """Size of the saved ``state_dict`` in megabytes (10^6 bytes): what the file on disk would take.

    Example:
        >>> round(model_size_mb(nn.Linear(1000, 1000)), 1)
        4.0
    """
    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)
    return buf.getbuffer().nbytes / 1e6


def sparsity(model: nn.Module) -> float:
    """Fraction of exactly-zero entries among the weights of Conv2d and Linear layers.

    Example:
        >>> lin = nn.Linear(2, 2); _ = lin.weight.data.copy_(torch.tensor([[0., 1.], [0., 2.]]))
        >>> sparsity(lin)
        0.5
    """
    zeros = total = 0
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            w = m.weight.detach()
            zeros += int((w == 0).sum())
            total += w.numel()
    if total == 0:
        raise ValueError(f"{type(model).__name__} has no Conv2d or Linear float weights to measure")
    return zeros / total


# -- knowledge distillation (Hinton, Vinyals & Dean 2015) ---------------------------------------


def distillation_loss(student_logits: torch.Tensor, teacher_logits: torch.Tensor, targets: torch.Tensor,
                      temperature: float = 4.0, alpha: float = 0.7) -> torch.Tensor:
    """Knowledge-distillation loss: ``alpha * T^2 * KL(p_T || q_T) + (1 - alpha) * CE(y, q)``.

    ``p_T = softmax(teacher / T)`` and ``q_T = softmax(student / T)`` are the "softened"
    distributions; their KL divergence carries the teacher's knowledge about which wrong classes
    are *almost* right. Its gradients shrink like ``1/T^2``, hence the ``T^2`` factor (Hinton et
    al. 2015, section 2), which keeps the two terms comparable as ``T`` changes.

    Args:
        student_logits, teacher_logits: ``(B, num_classes)``.
        targets: ``(B,)`` class indices (the hard labels).
        temperature: ``T >= 1``; higher spreads the teacher's probabilities more.
        alpha: weight of the soft (teacher) term; ``0`` is plain cross-entropy.

    Example:
        >>> s, t, y = torch.zeros(2, 3), torch.zeros(2, 3), torch.tensor([0, 1])
        >>> float(distillation_loss(s, t, y, alpha=1.0))   # same distributions: no KL
        0.0
    """
    if temperature <= 0:
        raise ValueError(f"temperature must be positive; got {temperature}")
    if not 0 <= alpha <= 1:
        raise ValueError(f"alpha must lie in [0, 1]; got {alpha}")
    if student_logits.shape != teacher_logits.shape:
        raise ValueError(f"student logits {tuple(student_logits.shape)} and teacher logits "
                         f"{tuple(teacher_logits.shape)} differ; both must be (B, num_classes)")
    t = temperature
    soft = F.kl_div(F.log_softmax(student_logits / t, -1), F.log_softmax(teacher_logits / t, -1),
                    reduction="batchmean", log_target=True) * t * t
    hard = F.cross_entropy(student_logits, targets)
    return alpha * soft + (1 - alpha) * hard


class DistillationCB(Callback):
    """Train the Learner's model (the student) to match a frozen ``teacher`` as well as the labels.

    During training the loss becomes :func:`distillation_loss`; validation keeps the Learner's own
    loss so the numbers compare with a student trained without a teacher.

    Example:
        >>> from clskit import Learner                                   # doctest: +SKIP
        >>> learn = Learner(student, dls, cbs=[DistillationCB(teacher, temperature=4)])  # doctest: +SKIP
    """

    order = 5  # after the Learner computes its loss, before the recorder reads it

    def __init__(self, teacher: nn.Module, temperature: float = 4.0, alpha: float = 0.7):
        if not isinstance(teacher, nn.Module):
            raise TypeError(f"teacher must be an nn.Module; got {type(teacher).__name__}")
        self.teacher, self.temperature, self.alpha = teacher, temperature, alpha

    def before_fit(self):
        self.teacher.to(self.learn.device).eval()
        for p in self.teacher.parameters():
            p.requires_grad_(False)

    def after_loss(self):
        learn = self.learn
        if not learn.training:
            return
        with torch.no_grad():
            teacher_logits = self.teacher(learn.xb)
        learn.loss = distillation_loss(learn.preds, teacher_logits, learn.yb, self.temperature, self.alpha)


# -- post-training quantisation ----------------------------------------------------------------


@contextmanager
def _quiet_quantization_warnings():
    # torch.ao.quantization warns that it is deprecated in favour of torchao; it still works on
    # this torch (2.14) and torchao is not installed. Keep the message out of every notebook cell.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*torch.ao.quantization is deprecated.*")
        warnings.filterwarnings("ignore", message=".*quantize_per_tensor.*deprecated.*")
        warnings.filterwarnings("ignore", message=".*reduce_range will be deprecated.*")
        warnings.filterwarnings("ignore", category=DeprecationWarning, module="torch.ao")
        yield


def quantize_dynamic(model: nn.Module, layers: tuple[type, ...] = (nn.Linear,)) -> nn.Module:
    """Dynamic int8 quantisation: weights of ``layers`` stored as int8, activations quantised on the fly.

    Only Linear (and LSTM) layers are supported by PyTorch's dynamic mode, so for a CNN it shrinks
    the classifier head only; use :func:`quantize_static` for the convolutions.

    Example:
        >>> q = quantize_dynamic(nn.Sequential(nn.Linear(8, 4)))
        >>> q[0]._get_name()
        'DynamicQuantizedLinear'
    """
    from torch.ao.quantization import quantize_dynamic as _qd

    with _quiet_quantization_warnings():
        return _qd(copy.deepcopy(model).cpu().eval(), set(layers), dtype=torch.qint8)


def quantize_static(model: nn.Module, calibration: Iterable, num_batches: int = 8,
                    backend: str = "x86") -> nn.Module:
    """Static int8 quantisation with FX graph mode: fuse conv-BN-ReLU, calibrate, convert.

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
        raise ValueError(f"quantisation backend {backend!r} is not available here; "
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
                             "quantisation needs a traceable model (no data-dependent Python control flow)") from None
        with torch.no_grad():
            for xb in batches:
                prepared(xb.cpu())
        return convert_fx(prepared)


# -- pruning -----------------------------------------------------------------------------------


def _prunable(model: nn.Module) -> list[tuple[nn.Module, str]]:
    return [(m, "weight") for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


def prune_unstructured(model: nn.Module, amount: float) -> nn.Module:
    """Global unstructured magnitude pruning: zero the ``amount`` fraction of smallest |weights|.

    One threshold across all Conv2d and Linear layers (``torch.nn.utils.prune.global_unstructured``
    with L1), made permanent, so the result is a plain model whose weights contain zeros. The
    tensors stay dense: same file size, same dense kernels.

    Example:
        >>> m = prune_unstructured(nn.Sequential(nn.Linear(10, 10)), 0.3)
        >>> round(sparsity(m), 2)
        0.3
    """
    import torch.nn.utils.prune as prune

    if not 0 <= amount < 1:
        raise ValueError(f"amount (fraction of weights to remove) must lie in [0, 1); got {amount}")
    model = copy.deepcopy(model)
    params = _prunable(model)
    if not params:
        raise ValueError(f"{type(model).__name__} has no Conv2d or Linear layers to prune")
    prune.global_unstructured(params, pruning_method=prune.L1Unstructured, amount=amount)
    for m, name in params:
        prune.remove(m, name)  # fold the mask into the weight: no hooks left behind
    return model


def prune_channels(model: nn.Module, amount: float, example_input: torch.Tensor | None = None) -> nn.Module:
    """Structured pruning that really removes channels: a smaller dense model.

    In each Conv2d, ``torch.nn.utils.prune.ln_structured`` (L1 norm over each output filter, Li et
    al. 2017) picks the ``amount`` fraction of filters to drop; then the conv, the BatchNorm after
    it and the *input* side of the next conv (or of the final Linear after global pooling) are
    rebuilt without them. Works for plain chains of layers such as the kit's ``small_cnn``;
    residual networks need the channels of added branches pruned together (a library such as
    torch-pruning tracks those dependencies).

    Args:
        amount: fraction of output channels removed from every conv (at least one is kept).
        example_input: when given, the pruned model is run on it to check that it still works.

    Example:
        >>> from clskit.models import create_model
        >>> m = prune_channels(create_model("small_cnn", in_chans=1, widths=(8, 16)), 0.5)
        >>> [c.out_channels for c in m.modules() if isinstance(c, nn.Conv2d)]
        [4, 4, 8, 8]
    """
    import torch.nn.utils.prune as prune

    if not 0 <= amount < 1:
        raise ValueError(f"amount (fraction of channels to remove) must lie in [0, 1); got {amount}")
    model = copy.deepcopy(model).eval()
    layers = [m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.BatchNorm2d, nn.Linear))]
    convs = [m for m in layers if isinstance(m, nn.Conv2d)]
    if not convs:
        raise ValueError(f"{type(model).__name__} has no Conv2d layers to prune")
    for a, b in zip(convs, convs[1:]):
        if b.in_channels != a.out_channels or a.groups != 1 or b.groups != 1:
            raise ValueError(f"prune_channels handles plain chains of convolutions; {type(model).__name__} has a conv "
                             f"with {a.out_channels} outputs followed by one with {b.in_channels} inputs (a branch "
                             "or grouped conv). Prune residual networks with a dependency-aware tool")
    for i, layer in enumerate(layers):
        if not isinstance(layer, nn.Conv2d):
            continue
        n_out = layer.out_channels
        prune.ln_structured(layer, "weight", amount=amount, n=1, dim=0)   # mask whole output filters
        keep = layer.weight_mask.flatten(1).any(1).nonzero().flatten()      # indices of the kept filters
        prune.remove(layer, "weight")
        _slice_out(layer, keep)
        for nxt in layers[i + 1:]:
            if isinstance(nxt, nn.BatchNorm2d) and nxt.num_features == n_out:
                _slice_bn(nxt, keep)
                continue
            if isinstance(nxt, nn.Conv2d):
                _slice_in(nxt, keep)
            elif isinstance(nxt, nn.Linear):
                if nxt.in_features != n_out:
                    raise ValueError(f"the Linear layer after the last conv takes {nxt.in_features} features, not "
                                     f"its {n_out} channels; prune_channels needs global pooling before the head")
                nxt.weight = nn.Parameter(nxt.weight.detach()[:, keep].clone())
                nxt.in_features = len(keep)
            break
    if example_input is not None:
        with torch.no_grad():
            model(example_input)
    return model


def _slice_out(conv: nn.Conv2d, keep: torch.Tensor) -> None:
    conv.weight = nn.Parameter(conv.weight.detach()[keep].clone())
    if conv.bias is not None:
        conv.bias = nn.Parameter(conv.bias.detach()[keep].clone())
    conv.out_channels = len(keep)


def _slice_in(conv: nn.Conv2d, keep: torch.Tensor) -> None:
    conv.weight = nn.Parameter(conv.weight.detach()[:, keep].clone())
    conv.in_channels = len(keep)


def _slice_bn(bn: nn.BatchNorm2d, keep: torch.Tensor) -> None:
    bn.weight = nn.Parameter(bn.weight.detach()[keep].clone())
    bn.bias = nn.Parameter(bn.bias.detach()[keep].clone())
    bn.running_mean = bn.running_mean[keep].clone()
    bn.running_var = bn.running_var[keep].clone()
    bn.num_features = len(keep)


# -- measuring ---------------------------------------------------------------------------------


class ChannelsLast(nn.Module):
    """Run ``model`` in the channels-last memory layout (NHWC), which many CPU conv kernels prefer.

    The input is converted inside ``forward``, so measured latency includes that cost.

    Example:
        >>> m = ChannelsLast(nn.Conv2d(3, 4, 3))
        >>> m(torch.rand(1, 3, 8, 8)).shape
        torch.Size([1, 4, 6, 6])
    """

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = copy.deepcopy(model).to(memory_format=torch.channels_last)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x.contiguous(memory_format=torch.channels_last))


@contextmanager
def num_threads(n: int | None):
    """Temporarily set torch's intra-op thread count (``None`` leaves it alone).

    Example:
        >>> with num_threads(1):
        ...     torch.get_num_threads()
        1
    """
    old = torch.get_num_threads()
    if n is not None:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def measure_latency(model: nn.Module, input_shape: tuple[int, ...], batch_size: int = 1, n_iter: int = 20,
                    warmup: int = 3, threads: int | None = None) -> dict:
    """Wall-clock latency of ``model`` on random input, on the CPU, without autograd.

    Reports the *median* over ``n_iter`` timed calls after ``warmup`` untimed ones (the median
    ignores the occasional slow call when other programs share the machine).

    Args:
        input_shape: one image's shape ``(C, H, W)``.
        batch_size: images per call.
        threads: torch intra-op threads during the measurement (``None``: the current setting).

    Returns:
        ``{"batch_size", "median_ms", "min_ms", "throughput"}``; throughput is images per second at
        the median latency.

    Example:
        >>> r = measure_latency(nn.Conv2d(1, 4, 3), (1, 8, 8), n_iter=3, warmup=1)
        >>> sorted(r)
        ['batch_size', 'median_ms', 'min_ms', 'throughput']
    """
    if batch_size < 1 or n_iter < 1:
        raise ValueError(f"batch_size and n_iter must be at least 1; got {batch_size} and {n_iter}")
    x = torch.rand(batch_size, *input_shape, generator=torch.Generator().manual_seed(0))
    model = model.cpu().eval() if not _is_quantized(model) else model.eval()
    times = []
    with num_threads(threads), torch.inference_mode():
        for _ in range(warmup):
            model(x)
        for _ in range(n_iter):
            t0 = time.perf_counter()
            model(x)
            times.append(time.perf_counter() - t0)
    times.sort()
    median = times[len(times) // 2] * 1e3
    return {"batch_size": batch_size, "median_ms": median, "min_ms": times[0] * 1e3,
            "throughput": batch_size / (median / 1e3)}


def _is_quantized(model: nn.Module) -> bool:
    return any(getattr(v, "is_quantized", False) for v in model.state_dict().values() if isinstance(v, torch.Tensor))


@torch.inference_mode()
def evaluate(model: nn.Module, dl: Iterable) -> float:
    """Accuracy of ``model`` over a loader of ``(x, y)`` batches (on the CPU).

    Example:
        >>> evaluate(nn.Linear(2, 2), [(torch.eye(2), torch.tensor([0, 1]))]) in (0.0, 0.5, 1.0)
        True
    """
    model = model.cpu().eval() if not _is_quantized(model) else model.eval()
    correct = total = 0
    for xb, yb in dl:
        correct += int((model(xb.cpu()).argmax(1) == yb.cpu()).sum())
        total += len(yb)
    if total == 0:
        raise ValueError("the loader gave no samples to evaluate")
    return correct / total


def profile_models(models: dict[str, nn.Module], input_shape: tuple[int, ...], dl: Iterable | None = None,
                   batch_sizes: tuple[int, ...] = (1, 32), n_iter: int = 20, threads: int | None = 1,
                   extra: dict[str, dict] | None = None) -> list[dict]:
    """One row per model: parameters, size on disk, sparsity, accuracy (with ``dl``) and latency.

    Args:
        models: name -> model (float, quantised, pruned, wrapped in :class:`ChannelsLast`, ...).
        input_shape: one image's shape ``(C, H, W)``.
        dl: optional loader of ``(x, y)`` for the accuracy column.
        batch_sizes: a latency column (median ms per call) for each; throughput uses the largest.
        threads: torch threads while timing (1 by default: steadier on a shared machine).
        extra: name -> more columns to add to that model's row (e.g. training time).

    Returns:
        A list of plain dicts (one per model), ready for ``pandas.DataFrame`` or :class:`ProfileTable`.

    Example:
        >>> rows = profile_models({"conv": nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten())}, (1, 8, 8), n_iter=2)
        >>> sorted(rows[0])
        ['latency_b1_ms', 'latency_b32_ms', 'model', 'params', 'size_mb', 'sparsity', 'throughput_b32']
    """
    rows = []
    for name, model in models.items():
        row = {"model": name, "params": count_parameters(model), "size_mb": round(model_size_mb(model), 3)}
        try:
            row["sparsity"] = round(sparsity(model), 3)
        except ValueError:  # quantised layers keep no float weights
            row["sparsity"] = float("nan")
        if dl is not None:
            row["accuracy"] = round(evaluate(model, dl), 4)
        for bs in batch_sizes:
            r = measure_latency(model, input_shape, batch_size=bs, n_iter=n_iter, threads=threads)
            row[f"latency_b{bs}_ms"] = round(r["median_ms"], 3)
        biggest = max(batch_sizes)
        row[f"throughput_b{biggest}"] = round(biggest / row[f"latency_b{biggest}_ms"] * 1e3, 1)  # images/s
        row.update((extra or {}).get(name, {}))
        rows.append(row)
    return rows
