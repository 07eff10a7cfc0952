"""clskit: a Jupyter-first teaching and exploration kit for image classification.

``import clskit`` is light: the names below load their module (and torch) on first use.
"""
from __future__ import annotations

import importlib

__version__ = "0.1.0"

# public name -> module that defines it (PEP 562 lazy re-exports)
_EXPORTS = {
    # data
    "ImageDataset": "datasets", "ArrayLoader": "datasets", "DataLoaders": "datasets",
    "list_datasets": "datasets", "load_dataset": "datasets", "split_dataset": "datasets",
    "show_images": "datasets", "class_count_table": "datasets", "find_leaks": "datasets",
    "OverSampler": "datasets", "WeightedSampler": "datasets", "load_image_folder": "datasets",
    "data_path": "datasets",
    "augment": "transforms", "Augment": "transforms", "MixUp": "transforms", "CutMix": "transforms",
    "with_mixing": "transforms",
    # models
    "create_model": "models", "list_models": "models", "replace_head": "models.heads",
    "load_model_cards": "models.cards", "feature_maps": "features", "FeatureExtractor": "features",
    # training
    "Learner": "learner", "Callback": "callbacks", "Recorder": "callbacks",
    "LiveCurvesCB": "callbacks", "EarlyStoppingCB": "callbacks", "CheckpointCB": "callbacks",
    "TrackBestCB": "callbacks", "GradientClipCB": "callbacks", "TerminateOnNaNCB": "callbacks",
    "MixedPrecisionCB": "callbacks", "plot_history": "plots",
    "seed_everything": "utils", "default_device": "utils", "record_result": "utils",
    "save_checkpoint": "checkpoint", "load_checkpoint": "checkpoint",
    # evaluation
    "accuracy": "metrics",
    "classification_report_df": "metrics", "threshold_sweep": "metrics",
    "ConfusionMatrixDisplay": "displays", "RocCurveDisplay": "displays", "PrecisionRecallDisplay": "displays",
    "ReliabilityDisplay": "displays", "ThresholdDisplay": "displays",
    "FocalLoss": "losses", "class_weights": "losses", "tune_threshold": "imbalance",
    # interpretability and efficiency
    "GradCAM": "interpret", "GradCAMPlusPlus": "interpret", "saliency": "interpret", "smoothgrad": "interpret",
    "attention_rollout": "interpret", "rollout_map": "interpret", "overlay": "interpret", "show_cam_grid": "camgrid",
    "DistillationCB": "efficiency", "distillation_loss": "efficiency", "quantize_dynamic": "efficiency",
    "quantize_static": "efficiency", "prune_unstructured": "efficiency", "prune_channels": "efficiency",
    "profile_models": "efficiency", "measure_latency": "models.measure", "model_size_mb": "models.measure",
    "Ensemble": "ensemble", "TTA": "ensemble", "tta_views": "ensemble",
    # transfer learning, few-shot, domain shift, own photos
    "train_transfer": "transfer", "embed": "transfer", "linear_probe": "transfer",
    "evaluate_episodes": "fewshot", "corrupt": "shift", "adapt_bn": "shift",
    "Predictor": "predict", "export_model": "predict", "predict_probs": "inference",
    # lessons: statistics and claim checks
    "wilson_interval": "stats", "spread": "stats", "paired_difference": "stats", "claim": "claims",
}

__all__ = sorted(_EXPORTS)
_SUBMODULES = {"datasets", "models", "metrics", "exercises", "transforms", "widgets", "displays", "callbacks",
               "learner", "losses", "interpret", "efficiency", "transfer", "fewshot", "shift", "utils", "ensemble",
               "predict", "imbalance", "plots", "features", "checkpoint", "notebooks", "distributed", "fastai_interop",
               "inference", "projection", "stats", "claims"}


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:  # `clskit.exercises.check(...)` works after a bare `import clskit`
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'clskit' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
