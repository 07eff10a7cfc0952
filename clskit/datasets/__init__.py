"""Datasets: one registry (``list_datasets``/``load_dataset``), in-memory sets, loaders and splits."""
from .base import ArrayLoader, DataLoaders, ImageDataset
from .registry import list_datasets, load_dataset, register_dataset
from .splits import split_dataset, split_indices

__all__ = ["ArrayLoader", "DataLoaders", "ImageDataset", "list_datasets", "load_dataset",
           "register_dataset", "split_dataset", "split_indices"]
