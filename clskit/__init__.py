"""clskit: a Jupyter-first teaching and exploration kit for image classification.

Every public name a notebook or the README uses is importable from here, and a notebook imports it
from here: ``import clskit`` and ``from clskit import load_dataset, Learner``. Two namespaces stay
modules on purpose: ``from clskit import metrics as M`` for the metric functions (as
``from sklearn import metrics``; ``accuracy`` is also here), and ``clskit.models.scratch`` for the
convolution and pooling written by hand, whose names (``conv2d``, ``max_pool2d``) mirror
``torch.nn.functional``'s. Every submodule (``clskit.stats``, ``clskit.views.widgets``, ...) is reachable
as an attribute after ``import clskit``.

``import clskit`` is light: the names below load their module (and torch) on first use.
"""
from __future__ import annotations

import importlib
import pkgutil

__version__ = "0.1.0"

# public name -> module that defines it (PEP 562 lazy re-exports)
_EXPORTS = {
    # data
    "ImageDataset": "datasets", "ArrayLoader": "datasets", "DataLoaders": "datasets",
    "list_datasets": "datasets", "load_dataset": "datasets", "split_dataset": "datasets",
    "split_indices": "datasets.splits", "show_images": "datasets", "class_count_table": "datasets",
    "plot_class_counts": "datasets", "find_leaks": "datasets", "WeightedSampler": "datasets",
    "load_image_folder": "datasets", "load_image_csv": "datasets", "data_path": "datasets",
    "thumbnails": "datasets",
    "augment": "datasets.transforms", "Augment": "datasets.transforms", "MixUp": "datasets.transforms", "CutMix": "datasets.transforms",
    "PerSample": "datasets.transforms", "with_mixing": "datasets.transforms",
    # models
    "create_model": "models", "list_models": "models", "find_head": "models.heads",
    "BasicBlock": "models.tiny_resnet", "count_parameters": "models.measure", "measure_latency": "models.measure",
    "model_size_mb": "models.measure", "load_model_cards": "models.cards", "cards_table": "models.cards",
    "plot_cards": "models.cards", "preprocess_for": "models.pretrained", "Preprocess": "models.pretrained",
    "imagenet_classes": "models.pretrained", "decode_predictions": "models.pretrained",
    "feature_maps": "models.features", "plot_filters": "models.features",
    "describe_layers": "models.features",
    "cls_attention": "models.features", "tile": "models.features",
    # training
    "Learner": "training.learner", "EarlyStoppingCB": "training.callbacks", "CheckpointCB": "training.callbacks",
    "SnapshotCB": "training.callbacks", "StackedRuns": "training.runs",
    "seed_everything": "utils", "record_result": "utils", "load_stored_run": "utils",
    # evaluation
    "accuracy": "metrics", "accuracy_of": "inference", "predict_probs": "inference", "predict_logits": "inference",
    "ConfusionMatrixDisplay": "views.displays", "RocCurveDisplay": "views.displays",
    "PrecisionRecallDisplay": "views.displays", "ReliabilityDisplay": "views.displays", "EmbeddingDisplay": "views.displays",
    "metrics_at_prevalence": "metrics.tuning", "tune_threshold_at_prevalence": "metrics.tuning",
    "tune_label_thresholds": "metrics.tuning", "FocalLoss": "training.losses", "class_weights": "training.losses",
    # statistics, claim checks and exercises
    "wilson_interval": "stats", "paired_difference": "stats", "claim": "exercises.claims",
    "check": "exercises",
    # interpretability and efficiency
    "GradCAM": "interpret",
    "rollout_map": "interpret", "explain": "interpret", "show_cam_grid": "interpret.camgrid",
    "DistillationCB": "lessons.efficiency", "distillation_loss": "lessons.efficiency", "quantize_dynamic": "lessons.efficiency",
    "quantize_static": "lessons.efficiency", "prune_unstructured": "lessons.efficiency", "prune_channels": "lessons.efficiency",
    "sparsity": "lessons.efficiency", "ChannelsLast": "lessons.efficiency", "profile_models": "lessons.efficiency",
    "Ensemble": "lessons.ensemble", "TTA": "lessons.ensemble", "tta_views": "lessons.ensemble",
    # transfer learning, few-shot, domain shift, fine-grained, own photos, fastai
    "train_transfer": "lessons.transfer", "embed": "lessons.transfer", "linear_probe": "lessons.transfer",
    "per_class_indices": "lessons.transfer", "freeze_body": "lessons.transfer", "set_frozen_bn_eval": "lessons.transfer",
    "discriminative_param_groups": "lessons.transfer", "evaluate_episodes": "lessons.fewshot",
    "probe_to_linear": "lessons.transfer",
    "adapt_bn": "lessons.shift", "blend_bn": "lessons.shift", "corrupt_dataset": "lessons.shift",
    "IMAGENETTE_GROUPS": "lessons.finegrained", "imagenet_logits": "lessons.finegrained", "group_hits": "lessons.finegrained",
    "retention_difference": "lessons.finegrained",
    "Predictor": "inference.predict", "export_model": "inference.predict",
    "LiveCurvesCallback": "lessons.fastai_interop", "fastai_preds": "lessons.fastai_interop",
    # widgets (ipywidgets is imported when one is built)
    "AugmentPlayground": "views.widgets", "CAMViewer": "views.widgets", "ConfusionMatrixWidget": "views.widgets",
    "FeatureMapViewer": "views.widgets", "ModelPicker": "views.widgets", "ProfileTable": "views.widgets",
    "ThresholdWidget": "views.widgets", "MultiLabelThresholdWidget": "views.widgets", "PhotoClassifier": "views.widgets",
    "FolderTrainer": "lessons.own_photos",
}

__all__ = sorted(_EXPORTS)


def _lazy_submodules(package: str, path, exports: dict[str, str] | None = None) -> tuple:
    """``__getattr__`` and ``__dir__`` (PEP 562) for a package of clskit: its modules, and the names in
    ``exports`` (public name -> module, relative to ``package``), load on first use. So ``import clskit`` stays
    light, and every module is an attribute after it (``clskit.lessons.fewshot.evaluate_episodes``)."""
    import sys

    exports = exports or {}
    modules = {m.name for m in pkgutil.iter_modules(path) if not m.name.startswith("_")}

    def __getattr__(name: str):
        if name in exports:
            value = getattr(importlib.import_module(f".{exports[name]}", package), name)
            setattr(sys.modules[package], name, value)
            return value
        if name in modules:
            return importlib.import_module(f".{name}", package)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__():
        return sorted(set(vars(sys.modules[package])) | set(exports) | modules)

    return __getattr__, __dir__


__getattr__, __dir__ = _lazy_submodules(__name__, __path__, _EXPORTS)
