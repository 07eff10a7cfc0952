"""Scaling out with Hugging Face Accelerate: the same Learner on several GPUs or processes.

``Learner(model, dls, accelerator=Accelerator())`` adds :class:`AccelerateCB`, which

* prepares the model (moved to the process's device, wrapped in DistributedDataParallel when
  there are several processes, so gradients are averaged across processes after ``backward``)
  and the optimiser;
* runs the backward pass as ``accelerator.backward(loss)`` (in ``before_backward``, which then
  cancels the Learner's own) and unscales the gradients before the step when the Accelerator uses
  float16 mixed precision (so ``GradientClipCB`` clips the true gradients);
* gives each process its share of every training batch (process ``r`` of ``n`` takes rows
  ``r, r + n, ...``), so ``n`` processes together take the same optimiser steps as one process
  with the whole batch;
* averages the logged training loss over processes and gathers the training predictions for the
  metrics; validation runs on the whole validation set in every process (it is cheap, and then
  every process reports the same metrics).

Launch it from a notebook with ``accelerate.notebook_launcher(train, num_processes=2)`` or from a
shell with ``accelerate launch train.py``; :func:`cpu_launch` runs several CPU processes (gloo) on
one machine, for trying it out and for tests. accelerate is imported only when this is used.
"""
from __future__ import annotations

from typing import Callable

import torch

from clskit.training.callbacks import Callback, CancelBackwardException


class ShardedLoader:
    """Wraps a loader so that process ``rank`` of ``world`` sees rows ``rank::world`` of every batch.

    Every process iterates the same batches in the same order (same seed), so the shards of one
    step are disjoint and together form the whole batch.

    Example:
        >>> batches = [(torch.arange(4.0), torch.arange(4))]
        >>> [x.tolist() for x, y in ShardedLoader(batches, rank=1, world=2)]
        [[1.0, 3.0]]
    """

    def __init__(self, loader, rank: int, world: int):
        if not 0 <= rank < world:
            raise ValueError(f"rank must lie in 0..{world - 1}; got {rank}")
        self.loader, self.rank, self.world = loader, rank, world

    def __iter__(self):
        for xb, yb in self.loader:
            if len(yb) < self.world:
                raise ValueError(f"a batch of {len(yb)} cannot be shared by {self.world} processes; "
                                 "use a larger batch size or drop_last=True")
            yield xb[self.rank::self.world], yb[self.rank::self.world]

    def __len__(self) -> int:
        return len(self.loader)


def gather_uneven(accelerator, t: torch.Tensor) -> torch.Tensor:
    """Concatenate a tensor from every process along dim 0 even when the lengths differ."""
    if accelerator.num_processes == 1:
        return t
    sizes = accelerator.gather(torch.tensor([len(t)], device=t.device)).tolist()
    padded = accelerator.pad_across_processes(t.contiguous(), dim=0)
    gathered = accelerator.gather(padded)
    width = max(sizes)
    return torch.cat([gathered[i * width:i * width + n] for i, n in enumerate(sizes)])


class AccelerateCB(Callback):
    """Runs the Learner under an ``accelerate.Accelerator`` (added by ``Learner(accelerator=...)``).

    Example:
        >>> from accelerate import Accelerator                        # doctest: +SKIP
        >>> learn = Learner(model, dls, accelerator=Accelerator())     # doctest: +SKIP
    """

    order = -15  # before DeviceCB, which then moves batches to the accelerator's device
    run_in_lr_find = True

    def __init__(self, accelerator):
        self.accelerator = accelerator
        self._prepared = False
        self._loaders: dict[int, object] = {}

    def before_fit(self):
        learn, acc = self.learn, self.accelerator
        learn.device = acc.device
        if not self._prepared:
            learn.model = acc.prepare_model(learn.model)
            self._prepared = True
        from accelerate.optimizer import AcceleratedOptimizer

        if not isinstance(learn.opt, AcceleratedOptimizer):
            # the schedule was built on the plain optimiser: both share the same param_groups
            learn.opt = acc.prepare_optimizer(learn.opt)

    def before_train(self):
        acc = self.accelerator
        if acc.num_processes == 1:
            return
        dl = self.learn.dl
        if id(dl) not in self._loaders:
            if isinstance(dl, torch.utils.data.DataLoader):
                self._loaders[id(dl)] = acc.prepare_data_loader(dl)
            else:
                self._loaders[id(dl)] = ShardedLoader(dl, acc.process_index, acc.num_processes)
        self.learn.dl = self._loaders[id(dl)]

    def before_backward(self):
        self.accelerator.backward(self.learn.loss_grad)  # scales the loss under Accelerator(mixed_precision="fp16")
        raise CancelBackwardException()

    def before_step(self):
        self.accelerator.unscale_gradients(self.learn.opt)  # a no-op without float16 mixed precision

    def after_step(self):
        learn, acc = self.learn, self.accelerator
        if acc.num_processes == 1:
            return
        # log what the whole batch did: the mean loss over processes, all predictions and targets
        learn.loss = acc.reduce(learn.loss.detach(), reduction="mean")
        learn.preds = gather_uneven(acc, learn.preds.detach())
        learn.yb = gather_uneven(acc, learn.yb)


def cpu_launch(fn: Callable, args: tuple = (), num_processes: int = 2) -> None:
    """Run ``fn(*args)`` in ``num_processes`` CPU processes that form one distributed group (gloo).

    Inside ``fn`` create ``Accelerator()`` and the Learner; each process gets its rank from
    ``accelerator.process_index``. This is ``accelerate.debug_launcher``: for trying the
    distributed path on a laptop and for tests. On GPUs use ``accelerate.notebook_launcher`` or
    ``accelerate launch``.

    Example:
        >>> def train():
        ...     from accelerate import Accelerator
        ...     learn = Learner(model, dls, accelerator=Accelerator())
        ...     learn.fit(2)
        >>> cpu_launch(train, num_processes=2)        # doctest: +SKIP
    """
    if num_processes < 1:
        raise ValueError(f"num_processes must be at least 1; got {num_processes}")
    import socket
    import tempfile

    from accelerate.utils import PrepareForLaunch, patch_environment
    from torch.multiprocessing import start_processes

    # accelerate.debug_launcher forks; a fork after torch has started its OpenMP threads can hang the
    # children, so start fresh interpreters ("spawn", the default on macOS and Windows) on a free port.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with tempfile.NamedTemporaryFile() as rdv, patch_environment(
            world_size=num_processes, master_addr="127.0.0.1", master_port=str(port),
            accelerate_mixed_precision="no", accelerate_debug_rdv_file=rdv.name,
            accelerate_use_cpu="yes", gloo_socket_ifname="lo"):
        start_processes(PrepareForLaunch(fn, debug=True), args=args, nprocs=num_processes, start_method="spawn")
