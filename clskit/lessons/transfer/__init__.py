"""Transfer learning: reuse a pretrained backbone on a small dataset, four ways behind one function.

| strategy         | what trains                                  | cost                     |
|------------------|----------------------------------------------|--------------------------|
| ``linear_probe`` | a logistic regression on frozen embeddings   | one forward pass, cached |
| ``head``         | only the new head (body frozen, BN in eval)  | forward per epoch        |
| ``fine_tune``    | head first (a linear probe), then everything with discriminative learning rates (earlier layers smaller) | forward + backward |
| ``full``         | everything at one learning rate from the start | forward + backward     |
| ``scratch``      | the same (or another) architecture from random weights | forward + backward |

``train_transfer(strategy, train, valid)`` runs any of them and returns a :class:`TransferResult`
(accuracy, the trained model, time). Embeddings are cached in memory (keyed by a fingerprint of the
backbone's weights, the images and the preprocessing) and optionally on disk, so a sweep over data
sizes computes each embedding once.

| module         | holds                                                                         |
|----------------|-------------------------------------------------------------------------------|
| ``freezing``   | ``freeze_body``, ``unfreeze``, ``freeze_batchnorm``, :class:`FreezeBNCB`, ``discriminative_param_groups`` |
| ``embeddings`` | ``pre_logits``, ``embed`` (cached), ``clear_embedding_cache``                 |
| ``probe``      | ``linear_probe``, ``probe_to_linear``                                         |
| ``strategies`` | ``train_transfer``, :class:`TransferResult`, ``sample_per_class`` |

Every name is importable from ``clskit.lessons.transfer`` itself.

Example:
    >>> from clskit.datasets import load_dataset, split_dataset
    >>> tr, va, _ = split_dataset(load_dataset("shapes", n_per_class=20))
    >>> res = train_transfer("linear_probe", tr, va, size=64)      # doctest: +SKIP
    >>> round(res.accuracy, 2)                                      # doctest: +SKIP
"""
from clskit.lessons.transfer.embeddings import clear_embedding_cache, dataset_fingerprint, embed, pre_logits
from clskit.lessons.transfer.freezing import (FreezeBNCB, discriminative_param_groups, freeze_batchnorm, freeze_body, set_frozen_bn_eval,
                       unfreeze)
from clskit.lessons.transfer.probe import linear_probe, probe_to_linear
from clskit.lessons.transfer.strategies import (STRATEGIES, TransferResult, per_class_indices, sample_per_class,
                         train_transfer)

__all__ = ["STRATEGIES", "FreezeBNCB", "TransferResult", "clear_embedding_cache", "dataset_fingerprint",
           "discriminative_param_groups", "embed", "freeze_batchnorm", "freeze_body",
           "linear_probe", "per_class_indices", "pre_logits", "probe_to_linear", "sample_per_class",
           "set_frozen_bn_eval", "train_transfer", "unfreeze"]
