"""Train and evaluate one named model on the fixed protocol, in this process.

The benchmark runs each model through :func:`run_model` in a fresh subprocess, so the peak
resident memory it reports belongs to that model alone (plus the interpreter and torch, which
every model pays alike).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

from recsys import registry
from recsys.baselines import ScoreBlend
from recsys.constants import MOVIE_ID, USER_ID
from recsys.data.interactions import IndexedSplit
from recsys.data.movielens import load_movielens_100k
from recsys.data.split import DEFAULT_SEED, DEFAULT_TRAIN_RATIO, stratified_split
from recsys.evaluation import evaluate_model
from recsys.metrics.names import PEAK_MB, TRAIN_SECONDS
from recsys.models.contract import RecommenderModel, TrainingData
from training.pipeline import peak_memory_mb, train_and_evaluate


def load_tables(data_path: str | None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    ml = load_movielens_100k(data_path)
    return ml.users, ml.movies, ml.ratings


def check_settings(name: str, settings: dict[str, Any]) -> None:
    """Raise if ``name`` is not a registered model or ``settings`` do not configure it."""
    registry.lookup(name).settings(DEFAULT_SEED, settings)


def fit_baseline(
    name: str, data: TrainingData, seed: int, overrides: dict[str, Any] | None = None
) -> tuple[RecommenderModel, dict[str, Any], int]:
    """(fitted model, the settings it used, epochs) for a registered baseline on ``data``."""
    entry = registry.lookup(name)
    settings = entry.settings(seed, overrides)
    model = entry.build(settings).fit(data)
    if isinstance(model, ScoreBlend):
        return model, {**settings, "weight": model.weight, "validation": model.validation}, 0
    if isinstance(settings, dict):
        return model, settings, 0
    epochs = getattr(settings, "epochs", getattr(settings, "iterations", 0))
    return model, entry.settings_record(settings), epochs


def run_baseline(
    name: str,
    users: pd.DataFrame,
    movies: pd.DataFrame,
    ratings: pd.DataFrame,
    seed: int,
    split_seed: int = DEFAULT_SEED,
    overrides: dict[str, Any] | None = None,
) -> dict[str, Any]:
    split = stratified_split(ratings, DEFAULT_TRAIN_RATIO, split_seed)
    user_ids = sorted(set(users[USER_ID]) | set(ratings[USER_ID]))
    indexed = IndexedSplit.from_tables(split.train, split.test, user_ids, movies[MOVIE_ID])
    started = time.perf_counter()
    data = TrainingData.from_split(indexed, users, movies)
    model, settings, epochs = fit_baseline(name, data, seed, overrides)
    train_seconds = time.perf_counter() - started
    metrics = evaluate_model(model, indexed)
    return {
        "model": name,
        "metrics": metrics,
        TRAIN_SECONDS: train_seconds,
        PEAK_MB: peak_memory_mb(),
        "epochs": epochs,
        "seed": seed,
        "split_seed": split_seed,
        "settings": settings,
    }


def run_snn(
    name: str,
    users: pd.DataFrame,
    movies: pd.DataFrame,
    ratings: pd.DataFrame,
    seed: int,
    epochs: int | None = None,
    split_seed: int = DEFAULT_SEED,
    overrides: dict[str, Any] | None = None,
) -> dict[str, Any]:
    config = registry.lookup(name).settings(seed, {"split_seed": split_seed, **(overrides or {})})
    if epochs is not None:
        config = config.with_settings(epochs=epochs)
    with tempfile.TemporaryDirectory() as scratch:
        result = train_and_evaluate(users, movies, ratings, config, Path(scratch) / "artifact")
    metrics = dict(result.metrics)
    return {
        "model": name,
        "metrics": {k: v for k, v in metrics.items() if k not in (TRAIN_SECONDS, PEAK_MB)},
        TRAIN_SECONDS: metrics[TRAIN_SECONDS],
        PEAK_MB: metrics[PEAK_MB],
        "epochs": config.fit.epochs,
        "seed": seed,
        "split_seed": split_seed,
        "settings": config.to_dict(),
        "history": result.history,
    }


def run_model(
    name: str,
    data_path: str | None = None,
    seed: int = DEFAULT_SEED,
    epochs: int | None = None,
    split_seed: int = DEFAULT_SEED,
    overrides: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Train and evaluate the registered model ``name`` (:mod:`recsys.registry`)."""
    entry = registry.lookup(name)
    users, movies, ratings = load_tables(data_path)
    if entry.spiking:
        return run_snn(name, users, movies, ratings, seed, epochs, split_seed, overrides)
    return run_baseline(name, users, movies, ratings, seed, split_seed, overrides)
