"""Real datasets on request: downloads with checksums, resumable, atomic; safe extraction.

Nothing here runs unless you ask for a dataset by name, e.g. ``load_dataset("hymenoptera")``.
Files are cached under :func:`data_dir` (``~/.cache/clskit``, or ``$CLSKIT_DATA``):

- a download goes to ``<file>.part`` and only becomes ``<file>`` after its checksum (MD5 or
  SHA-256, as the source publishes) matches, so the cache never holds a corrupt file;
- an interrupted download resumes where it stopped (an HTTP ``Range`` request with ``If-Range``, so
  a file changed on the server is fetched again, not spliced);
- a file already at the destination with another checksum is moved aside, never deleted;
- offline, the error says which URL to fetch by hand and where to put the file;
- archives are extracted to a temporary folder, then renamed; members that would land outside
  the target folder (``../``, absolute paths, links out) are refused.

Registered datasets (each has a data card in the repository's ``datasets/`` folder):
``hymenoptera``, ``imagenette``, ``oxford_pets``, ``cifar10``, ``pneumoniamnist``.
"""
from __future__ import annotations

import gzip
import hashlib
import lzma
import os
import shutil
import tarfile
import warnings
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from clskit.datasets._http import fetch_part, free_name, record_path
from clskit.datasets.base import ImageDataset
from clskit.datasets.registry import register_dataset
from clskit.datasets.splits import ON_DISK


class DownloadError(RuntimeError):
    """A download or an extraction failed; the message says what to do."""


def data_dir() -> Path:
    """Where downloaded datasets are cached: ``$CLSKIT_DATA`` if set, else ``~/.cache/clskit``.

    Example:
        >>> data_dir().name in ("clskit", os.path.basename(os.environ.get("CLSKIT_DATA", "")))
        True
    """
    env = os.environ.get("CLSKIT_DATA")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "clskit"


def file_hash(path, algorithm: str = "sha256", chunk: int = 1 << 20) -> str:
    """Hex digest of a file (``"md5"`` or ``"sha256"``), read in chunks.

    Example:
        >>> import tempfile; p = tempfile.mktemp(); _ = open(p, "wb").write(b"abc")
        >>> file_hash(p, "md5")
        '900150983cd24fb0d6963f7d28e17f72'
    """
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def _expected(md5: str | None, sha256: str | None) -> tuple[str, str] | None:
    if sha256:
        return "sha256", sha256.lower()
    if md5:
        return "md5", md5.lower()
    return None


def _manual_hint(url: str, dest: Path, md5: str | None, sha256: str | None) -> str:
    check = f" (sha256 {sha256})" if sha256 else f" (md5 {md5})" if md5 else ""
    return (f"Download it by hand from {url}{check} and save it as {dest}; "
            "or set CLSKIT_DATA to a folder that already holds it. Then run this again.")


def download_url(url: str, dest, *, md5: str | None = None, sha256: str | None = None, progress: bool = True,
                 timeout: float = 30.0, chunk_size: int = 1 << 16) -> Path:
    """Download ``url`` to ``dest`` unless a file with the right checksum is already there.

    Writes to ``dest + ".part"``, checks the checksum, then renames (atomic); a checksum mismatch
    deletes the partial file. A partial download resumes with ``Range`` and ``If-Range`` (the ETag or
    Last-Modified it started with, kept in ``<file>.part.json``), so a changed server file restarts.
    A file already at ``dest`` with another checksum (placed by hand) is never deleted: it stays until
    a verified download exists, then moves to ``<file>.checksum-mismatch`` (a warning says so).

    Args:
        url: http(s) or file URL.
        dest: the final file path.
        md5, sha256: expected checksum (SHA-256 is used when both are given); ``None`` skips the check.
        progress: show a tqdm progress bar.
        timeout: seconds to wait for the server.

    Returns:
        ``dest`` as a Path.

    Example:
        >>> download_url("https://download.pytorch.org/tutorial/hymenoptera_data.zip",
        ...              data_dir() / "hymenoptera" / "hymenoptera_data.zip")   # doctest: +SKIP
    """
    import http.client
    import urllib.error
    import urllib.parse

    dest = Path(dest)
    if urllib.parse.urlsplit(str(url)).scheme.lower() not in ("http", "https", "ftp", "file"):
        raise DownloadError(f"url={url!r} is not an address to download from (it needs http:// or https://); "
                            f"pass the full URL, e.g. 'https://example.org/{Path(str(url)).name}'. For a file you "
                            f"already have, copy it to {dest} (or pass its path where a file is expected)")
    want = _expected(md5, sha256)
    mismatched = None   # a file at dest with another checksum: kept until a verified replacement exists
    if dest.is_file():
        if want is None or file_hash(dest, want[0]) == want[1]:
            return dest
        mismatched = dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    kept = f" The file already at {dest} (its {want[0]} differs) is left as it was." if mismatched else ""
    try:
        fetch_part(url, part, timeout, chunk_size, progress, dest.name)
    except (urllib.error.URLError, http.client.HTTPException, OSError, TimeoutError, ValueError) as e:
        reason = getattr(e, "reason", e)
        resume = f" The partial file {part.name} is kept; running again resumes it." if part.is_file() else ""
        raise DownloadError(f"could not download {url}: {reason}.{resume}{kept} "
                            + _manual_hint(url, dest, md5, sha256)) from e
    if want is not None:
        got = file_hash(part, want[0])
        if got != want[1]:
            part.unlink()
            record_path(part).unlink(missing_ok=True)
            raise DownloadError(f"checksum mismatch for {dest.name}: expected {want[0]} {want[1]}, got {got}. "
                                f"The damaged download was deleted.{kept} Run again to retry, or "
                                + _manual_hint(url, dest, md5, sha256))
    if mismatched is not None:
        aside = free_name(dest.with_name(dest.name + ".checksum-mismatch"))
        os.replace(dest, aside)
        warnings.warn(f"{dest.name}: the file that was there did not match the expected {want[0]}; it was moved to "
                      f"{aside} (not deleted) and replaced by a verified download. Delete it if you do not need it",
                      stacklevel=2)
    os.replace(part, dest)
    record_path(part).unlink(missing_ok=True)
    return dest


def _inside(base: Path, name: str) -> bool:
    target = (base / name).resolve()
    return target == base or base in target.parents


def _head(path: Path, n: int = 4) -> bytes:
    with open(path, "rb") as f:
        return f.read(n)


def extract_archive(archive, dest) -> Path:
    """Extract a zip or tar(.gz/.bz2/.xz) archive into folder ``dest`` safely and atomically.

    Refuses members with absolute paths, ``..`` that climbs out of ``dest``, and links pointing
    outside it. Extraction goes to a temporary sibling folder that is renamed to ``dest`` at the end,
    so an interrupted extraction leaves no half-filled ``dest``.

    Example:
        >>> extract_archive(data_dir() / "hymenoptera" / "hymenoptera_data.zip",
        ...                 data_dir() / "hymenoptera" / "extracted")        # doctest: +SKIP
    """
    archive, dest = Path(archive), Path(dest)
    if dest.is_dir():
        return dest
    tmp = dest.with_name(dest.name + ".extracting")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    base = tmp.resolve()
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as z:
                for name in z.namelist():
                    if name.startswith(("/", "\\")) or not _inside(base, name):
                        raise DownloadError(f"refusing to extract {archive.name}: member {name!r} would land "
                                            f"outside the target folder")
                z.extractall(tmp)
        elif tarfile.is_tarfile(archive):
            with tarfile.open(archive) as t:
                members = t.getmembers()
                for m in members:
                    bad = m.name.startswith("/") or not _inside(base, m.name)
                    if m.issym() or m.islnk():
                        link = m.linkname if m.islnk() else str(Path(m.name).parent / m.linkname)
                        bad = bad or m.linkname.startswith("/") or not _inside(base, link)
                    if bad or m.isdev():
                        raise DownloadError(f"refusing to extract {archive.name}: member {m.name!r} would land "
                                            f"outside the target folder (or is a device file)")
                if hasattr(tarfile, "data_filter"):
                    t.extractall(tmp, members=members, filter="data")
                else:  # Python < 3.11.4: the checks above already ran
                    t.extractall(tmp, members=members)
        elif _head(archive) == b"PK\x03\x04":   # a zip's start without its end (the index)
            raise zipfile.BadZipFile("the zip index at its end is missing")
        else:
            raise DownloadError(f"{archive.name} is not a zip or tar archive; delete it and download again")
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, zlib.error, lzma.LZMAError, gzip.BadGzipFile) as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise DownloadError(f"{archive.name} is truncated or damaged ({type(e).__name__}: {e}); delete {archive} "
                            "and run again to download it afresh (or download it again by hand)") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    os.replace(tmp, dest)
    return dest


@dataclass(frozen=True)
class RemoteFile:
    """One file of a dataset: where it comes from and the checksum its source publishes."""

    url: str
    filename: str
    md5: str | None = None
    sha256: str | None = None
    extract: bool = False


# URLs and checksums as published by the sources (torchvision and MedMNIST carry the MD5s in their code).
REMOTE: dict[str, list[RemoteFile]] = {
    # PyTorch transfer-learning tutorial data; no checksum is published (see datasets/hymenoptera.md).
    "hymenoptera": [RemoteFile("https://download.pytorch.org/tutorial/hymenoptera_data.zip",
                               "hymenoptera_data.zip", extract=True)],
    "imagenette": [RemoteFile("https://s3.amazonaws.com/fast-ai-imageclas/imagenette2-160.tgz",
                              "imagenette2-160.tgz", md5="e793b78cc4c9e9a4ccc0c1155377a412", extract=True)],
    "oxford_pets": [
        RemoteFile("https://www.robots.ox.ac.uk/~vgg/data/pets/data/images.tar.gz", "images.tar.gz",
                   md5="5c4f3ee8e5d25df40f4fd59a7f44e54c", extract=True),
        RemoteFile("https://www.robots.ox.ac.uk/~vgg/data/pets/data/annotations.tar.gz", "annotations.tar.gz",
                   md5="95a8c909bbe2e81eed6a22bccdf3f68f", extract=True),
    ],
    "cifar10": [RemoteFile("https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz", "cifar-10-python.tar.gz",
                           md5="c58f30108f718f92721af3b95e74349a", extract=True)],
    "pneumoniamnist": [RemoteFile("https://zenodo.org/record/6496656/files/pneumoniamnist.npz?download=1",
                                  "pneumoniamnist.npz", md5="28209eda62fecd6e6a2d98b1501bb15f")],
}


def fetch(name: str, download: bool = True, progress: bool = True) -> Path:
    """Make sure dataset ``name``'s files are in the cache (downloading and extracting if needed).

    Returns the dataset's cache folder, ``data_dir() / name``. With ``download=False`` a missing
    file raises an error that says where to put it.

    Example:
        >>> fetch("pneumoniamnist")   # doctest: +SKIP
    """
    if name not in REMOTE:
        raise KeyError(f"no remote dataset {name!r}; available: {', '.join(sorted(REMOTE))}")
    folder = data_dir() / name
    for rf in REMOTE[name]:
        path = folder / rf.filename
        out = folder / (Path(rf.filename).name.split(".")[0] + "_files")
        if rf.extract and out.is_dir():
            continue
        if not path.is_file() and not download:
            raise DownloadError(f"{name}: {path} is missing and download=False. "
                                + _manual_hint(rf.url, path, rf.md5, rf.sha256))
        download_url(rf.url, path, md5=rf.md5, sha256=rf.sha256, progress=progress)
        if rf.extract:
            extract_archive(path, out)
    return folder


def _files(name: str, filename: str) -> Path:
    return data_dir() / name / (filename.split(".")[0] + "_files")


# -- the datasets --------------------------------------------------------------------------------
@register_dataset
def hymenoptera(split: str = "train", size: int = 64, download: bool = True) -> ImageDataset:
    """Ants vs bees (PyTorch's transfer-learning tutorial set): about 245 train and 153 valid photos.

    Example:
        >>> ds = hymenoptera(split="valid", size=64)   # doctest: +SKIP
    """
    from clskit.datasets.folders import load_image_folder

    if split not in ("train", "valid"):
        raise ValueError(f"split must be 'train' or 'valid'; got {split!r}")
    fetch("hymenoptera", download)
    root = _files("hymenoptera", "hymenoptera_data.zip") / "hymenoptera_data"
    return load_image_folder(root / ON_DISK[split], size)


IMAGENETTE_CLASSES = {"n01440764": "tench", "n02102040": "English springer", "n02979186": "cassette player",
                      "n03000684": "chain saw", "n03028079": "church", "n03394916": "French horn",
                      "n03417042": "garbage truck", "n03425413": "gas pump", "n03445777": "golf ball",
                      "n03888257": "parachute"}


@register_dataset
def imagenette(split: str = "train", size: int = 64, max_per_class: int | None = None,
               download: bool = True, seed: int = 0) -> ImageDataset:
    """Imagenette (160 px version): 10 easy ImageNet classes, 9,469 train and 3,925 valid photos.

    ``max_per_class`` reads a random subset per class (faster, less memory).

    Example:
        >>> ds = imagenette(split="valid", size=64, max_per_class=50)   # doctest: +SKIP
    """
    from clskit.datasets.folders import _read_many, scan_image_folder

    if split not in ("train", "valid"):
        raise ValueError(f"split must be 'train' or 'valid'; got {split!r}")
    fetch("imagenette", download)
    root = _files("imagenette", "imagenette2-160.tgz") / "imagenette2-160" / ON_DISK[split]
    paths, targets, wnids = scan_image_folder(root)
    targets = np.asarray(targets)
    if max_per_class is not None:
        rng = np.random.default_rng(seed)
        keep = np.concatenate([rng.permutation(np.flatnonzero(targets == k))[:max_per_class] for k in range(len(wnids))])
        keep.sort()
        paths, targets = [paths[i] for i in keep], targets[keep]
    images, kept = _read_many(paths, size, "crop", root)
    return ImageDataset(torch.from_numpy(np.stack(images)), torch.from_numpy(targets[kept]),
                        [IMAGENETTE_CLASSES.get(w, w) for w in wnids])


@register_dataset
def oxford_pets(split: str = "trainval", size: int = 64, species: bool = False, download: bool = True) -> ImageDataset:
    """Oxford-IIIT Pet: 37 cat and dog breeds (3,680 trainval and 3,669 test photos); ``species=True``
    gives the binary cat/dog task.

    Example:
        >>> ds = oxford_pets(split="test", species=True)   # doctest: +SKIP
    """
    from clskit.datasets.folders import _read_many

    if split not in ("trainval", "test"):
        raise ValueError(f"split must be 'trainval' or 'test'; got {split!r}")
    fetch("oxford_pets", download)
    ann = _files("oxford_pets", "annotations.tar.gz") / "annotations" / f"{split}.txt"
    img_root = _files("oxford_pets", "images.tar.gz") / "images"
    names, breed, kind = [], [], []
    for line in ann.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            stem, class_id, species_id, _ = line.split()
            names.append(stem)
            breed.append(int(class_id) - 1)
            kind.append(int(species_id) - 1)
    breeds = {}
    for stem, b in zip(names, breed):
        breeds.setdefault(b, stem.rsplit("_", 1)[0].replace("_", " "))
    images, kept = _read_many([img_root / f"{s}.jpg" for s in names], size, "crop", img_root)
    y = np.asarray(kind if species else breed)[kept]
    classes = ["cat", "dog"] if species else [breeds[k] for k in sorted(breeds)]
    return ImageDataset(torch.from_numpy(np.stack(images)), torch.from_numpy(y), classes)


CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


@register_dataset
def cifar10(split: str = "train", max_images: int | None = None, download: bool = True) -> ImageDataset:
    """CIFAR-10: 60,000 colour images of 32x32 in 10 classes (50,000 train, 10,000 test).

    Example:
        >>> ds = cifar10(split="test", max_images=1000)   # doctest: +SKIP
    """
    from clskit.datasets.unpickle import restricted_load  # the batches are pickles: allow arrays and plain data only

    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test'; got {split!r}")
    fetch("cifar10", download)
    folder = _files("cifar10", "cifar-10-python.tar.gz") / "cifar-10-batches-py"
    names = [f"data_batch_{i}" for i in range(1, 6)] if split == "train" else ["test_batch"]
    xs, ys = [], []
    for n in names:
        with open(folder / n, "rb") as f:
            d = restricted_load(f, encoding="latin1")
        xs.append(np.asarray(d["data"], dtype=np.uint8).reshape(-1, 3, 32, 32))
        ys.append(np.asarray(d["labels"]))
    x, y = np.concatenate(xs)[:max_images], np.concatenate(ys)[:max_images]
    return ImageDataset(torch.from_numpy(x), torch.from_numpy(y), CIFAR10_CLASSES)


@register_dataset
def pneumoniamnist(split: str = "train", rgb: bool = False, download: bool = True) -> ImageDataset:
    """PneumoniaMNIST (MedMNIST v2): chest X-rays of children at 28x28, normal vs pneumonia
    (4,708 train, 524 val, 624 test; imbalanced, about 3:1 pneumonia).

    Args:
        split: ``"train"``, ``"valid"`` or ``"test"`` (the official split).
        rgb: repeat the grey channel three times (for models pretrained on colour images).

    Example:
        >>> ds = pneumoniamnist(split="test")   # doctest: +SKIP
    """
    if split not in ON_DISK:
        raise ValueError(f"split must be 'train', 'valid' or 'test'; got {split!r}")
    path = fetch("pneumoniamnist", download) / "pneumoniamnist.npz"
    with np.load(path) as d:
        x, y = d[f"{ON_DISK[split]}_images"], d[f"{ON_DISK[split]}_labels"].reshape(-1)
    x = torch.from_numpy(x)[:, None]
    if rgb:
        x = x.repeat(1, 3, 1, 1)
    return ImageDataset(x, torch.from_numpy(y.astype(np.int64)), ["normal", "pneumonia"])
