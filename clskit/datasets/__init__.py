"""Datasets: one registry (``list_datasets``/``load_dataset``), in-memory sets, loaders and splits.

As in timm, this package imports the modules that register loaders (each holds
``@register_dataset`` functions); the registry itself imports none of them.
"""
from clskit import _lazy_submodules
from clskit.datasets import digits, embedded, font_digits, remote, synthetic  # noqa: F401  (they register their datasets)
from clskit.datasets.base import ArrayLoader, DataLoaders, ImageDataset
from clskit.datasets.embedded import data_path
from clskit.datasets.registry import list_datasets, load_dataset, register_dataset
from clskit.datasets.samplers import OverSampler, WeightedSampler
from clskit.datasets.show import show_images
from clskit.datasets.splits import class_count_table, find_leaks, plot_class_counts, split_dataset, split_indices, thumbnails

__all__ = ["ArrayLoader", "DataLoaders", "ImageDataset", "OverSampler", "WeightedSampler", "class_count_table", "data_path",
           "find_leaks", "list_datasets", "load_dataset", "plot_class_counts",
           "register_dataset", "show_images", "split_dataset", "split_indices", "thumbnails"]


# Folder loaders import PIL; load them on first use so `import clskit.datasets` stays light.
__getattr__, __dir__ = _lazy_submodules(__name__, __path__, {"load_image_folder": "folders", "load_image_csv": "folders",
                                                             "ImageFolderDataset": "folders"})
