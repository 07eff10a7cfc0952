"""clskit: a Jupyter-first teaching and exploration kit for image classification.

Every public name a notebook or the README uses is importable from here, and a notebook imports it
from here: ``import clskit`` and ``from clskit import load_dataset, Learner``. Two namespaces stay
modules on purpose: ``from clskit import metrics as M`` for the metric functions (as
``from sklearn import metrics``; ``accuracy`` is also here), and ``clskit.models.scratch`` for the
convolution and pooling written by hand, whose names (``conv2d``, ``max_pool2d``) mirror
``torch.nn.functional``'s. Every submodule (``clskit.stats``, ``clskit.widgets``, ...) is reachable
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
    "augment": "transforms", "Augment": "transforms", "MixUp": "transforms", "CutMix": "transforms",
    "PerSample": "transforms", "with_mixing": "transforms",
    # models
    "create_model": "models", "list_models": "models", "find_head": "models.heads",
    "BasicBlock": "models.tiny_resnet", "count_parameters": "models.measure", "measure_latency": "models.measure",
    "model_size_mb": "models.measure", "load_model_cards": "models.cards", "cards_table": "models.cards",
    "plot_cards": "models.cards", "preprocess_for": "models.pretrained", "Preprocess": "models.pretrained",
    "imagenet_classes": "models.pretrained", "decode_predictions": "models.pretrained",
    "feature_maps": "features", "plot_feature_maps": "features", "plot_filters": "features",
    "describe_layers": "features", "conv_layer_names": "features", "pooled_features": "features",
    "cls_attention": "features", "tile": "features",
    # training
    "Learner": "learner", "EarlyStoppingCB": "callbacks", "CheckpointCB": "callbacks",
    "seed_everything": "utils", "record_result": "utils",
    # evaluation
    "accuracy": "metrics", "accuracy_of": "inference", "predict_probs": "inference", "predict_logits": "inference",
    "ConfusionMatrixDisplay": "displays", "RocCurveDisplay": "displays",
    "PrecisionRecallDisplay": "displays", "ReliabilityDisplay": "displays", "EmbeddingDisplay": "displays",
    "metrics_at_prevalence": "imbalance", "tune_threshold_at_prevalence": "imbalance",
    "tune_label_thresholds": "imbalance", "FocalLoss": "losses", "class_weights": "losses",
    # statistics, claim checks and exercises
    "wilson_interval": "stats", "spread": "stats", "paired_difference": "stats", "claim": "claims",
    "check": "exercises",
    # interpretability and efficiency
    "GradCAM": "interpret", "CAMS": "interpret",
    "rollout_map": "interpret", "explain": "interpret", "show_cam_grid": "camgrid",
    "DistillationCB": "efficiency", "distillation_loss": "efficiency", "quantize_dynamic": "efficiency",
    "quantize_static": "efficiency", "prune_unstructured": "efficiency", "prune_channels": "efficiency",
    "sparsity": "efficiency", "ChannelsLast": "efficiency", "profile_models": "efficiency",
    "Ensemble": "ensemble", "TTA": "ensemble", "tta_views": "ensemble",
    # transfer learning, few-shot, domain shift, fine-grained, own photos, fastai
    "train_transfer": "transfer", "embed": "transfer", "linear_probe": "transfer",
    "per_class_indices": "transfer", "freeze_body": "transfer", "set_frozen_bn_eval": "transfer",
    "discriminative_param_groups": "transfer", "evaluate_episodes": "fewshot",
    "adapt_bn": "shift", "blend_bn": "shift", "corrupt_dataset": "shift",
    "IMAGENET_DOGS": "finegrained", "imagenet_logits": "finegrained", "in_group_accuracy": "finegrained",
    "accuracy_among": "finegrained",
    "Predictor": "predict", "export_model": "predict",
    "LiveCurvesCallback": "fastai_interop", "fastai_preds": "fastai_interop",
    # widgets (ipywidgets is imported when one is built)
    "AugmentPlayground": "widgets", "CAMViewer": "widgets", "ConfusionMatrixWidget": "widgets",
    "FeatureMapViewer": "widgets", "ModelPicker": "widgets", "ProfileTable": "widgets",
    "ThresholdWidget": "widgets", "MultiLabelThresholdWidget": "widgets", "PhotoClassifier": "widgets",
    "FolderTrainer": "widgets",
}

__all__ = sorted(_EXPORTS)
# every module and package of clskit, so `clskit.stats.spread(...)` works after a bare `import clskit`
_SUBMODULES = {m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")}


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'clskit' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS) | _SUBMODULES)
