"""The default model trained on the real MovieLens-100K, as the site serves it, for tests of
what a visitor meets.

Training takes a minute or two, so the artifact is kept under ``data/test/`` (ignored by git,
emptied by ``make clean-data``) in a folder named by a digest of the code that trains and serves
it: the second test run of a CI job reuses it, and any change to that code trains anew. The data
come from ``data/raw/`` when present, else from the official download, else from the RecBole
wheel on PyPI (recsys.data.movielens).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from recsys.data.movielens import MovieLens, load_movielens_100k
from recsys.paths import PROJECT_ROOT

#: The code whose change changes the trained model or how it serves.
MODEL_CODE = ("recsys", "snn_models", "training")


def code_digest() -> str:
    digest = hashlib.blake2b(digest_size=8)
    for package in MODEL_CODE:
        for path in sorted((PROJECT_ROOT / package).rglob("*.py")):
            digest.update(str(path.relative_to(PROJECT_ROOT)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def movielens() -> MovieLens:
    return load_movielens_100k()


def real_artifact() -> Path:
    """The trained default model's artifact folder (trained now unless already cached)."""
    from recsys.models.config import TrainConfig
    from training.pipeline import train_and_evaluate

    cache = PROJECT_ROOT / "data" / "test" / "ml100k-default"
    folder = cache / code_digest()
    if (folder / "manifest.json").exists():
        return folder
    data = movielens()
    cache.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(dir=cache, prefix=".training-"))
    try:
        train_and_evaluate(
            data.users,
            data.movies,
            data.ratings,
            TrainConfig(torch_threads=2),
            scratch / "artifact",
            show_progress=False,
        )
        for old in cache.iterdir():  # artifacts of older code are never read again
            if old.is_dir() and not old.name.startswith("."):
                shutil.rmtree(old, ignore_errors=True)
        os.replace(scratch / "artifact", folder)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return folder


def title_index(movies: pd.DataFrame) -> dict[tuple[str, int], int]:
    """(title, year) → movie id over a movies table."""
    years = movies["year"].fillna(0).astype(int)
    return {
        (str(t), int(y)): int(m)
        for m, t, y in zip(movies["movie_id"], movies["title"], years, strict=True)
    }
