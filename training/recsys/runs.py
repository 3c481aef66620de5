"""Train and evaluate one named model on the fixed protocol, in this process.

The benchmark runs each model through :func:`run_model` in a fresh subprocess, so the peak
resident memory it reports belongs to that model alone (plus the interpreter and torch, which
every model pays alike).
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import pandas as pd

from recsys.baselines import (
    EASE,
    BPRConfig,
    BPRMatrixFactorization,
    ItemKNN,
    MostPopular,
    MultDAE,
    MultDAEConfig,
)
from recsys.data import load_movielens_100k
from recsys.data.interactions import IndexedSplit
from recsys.data.split import DEFAULT_SEED, DEFAULT_TRAIN_RATIO, stratified_split
from recsys.evaluation import evaluate_scores
from training.pipeline import SNN_MODELS, TrainConfig, peak_memory_mb, train_and_evaluate

BASELINES = ("pop", "itemknn", "bpr", "ease", "multdae")
ALL_MODELS = (*BASELINES, *SNN_MODELS)
ITEMKNN_SETTINGS = {"n_neighbours": 400, "shrinkage": 0.0}
EASE_SETTINGS = {"l2": 300.0}
MULTDAE_SETTINGS = MultDAEConfig()
BPR_SETTINGS = BPRConfig(
    dim=200, epochs=200, lr=0.05, weight_decay=2e-2, batch_size=1024, cosine_decay=True
)


def load_tables(data_path: str | None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    ml = load_movielens_100k(data_path)
    return ml.users, ml.movies, ml.ratings


def fit_baseline(
    name: str, indexed: IndexedSplit, seed: int, overrides: dict[str, Any] | None = None
) -> tuple[Any, dict[str, Any], int]:
    """(fitted model, the settings it used, epochs) for a baseline on ``indexed.train``."""
    overrides = dict(overrides or {})
    if name == "pop":
        return MostPopular().fit(indexed.train), {}, 0
    if name == "itemknn":
        settings = {**ITEMKNN_SETTINGS, **overrides}
        return ItemKNN(**settings).fit(indexed.train), settings, 0
    if name == "ease":
        settings = {**EASE_SETTINGS, **overrides}
        return EASE(**settings).fit(indexed.train), settings, 0
    if name == "multdae":
        config = replace(MULTDAE_SETTINGS, seed=seed, **overrides)
        return MultDAE(config).fit(indexed.train), asdict(config), config.epochs
    if name == "bpr":
        config = replace(BPR_SETTINGS, seed=seed, **overrides)
        model = BPRMatrixFactorization(len(indexed.user_map), len(indexed.item_map), config)
        model.fit(indexed.train)
        return model, asdict(config), config.epochs
    raise ValueError(f"unknown baseline {name!r}")


def run_baseline(
    name: str,
    users: pd.DataFrame,
    movies: pd.DataFrame,
    ratings: pd.DataFrame,
    seed: int,
    split_seed: int = DEFAULT_SEED,
) -> dict[str, Any]:
    split = stratified_split(ratings, DEFAULT_TRAIN_RATIO, split_seed)
    user_ids = sorted(set(users["user_id"]) | set(ratings["user_id"]))
    indexed = IndexedSplit.from_tables(split.train, split.test, user_ids, movies["movie_id"])
    started = time.perf_counter()
    model, settings, epochs = fit_baseline(name, indexed, seed)
    train_seconds = time.perf_counter() - started
    metrics = evaluate_scores(model.score, indexed)
    return {
        "model": name,
        "metrics": metrics,
        "train_seconds": train_seconds,
        "peak_mb": peak_memory_mb(),
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
) -> dict[str, Any]:
    config = TrainConfig.named(name, seed=seed, split_seed=split_seed)
    if epochs is not None:
        config = replace(config, epochs=epochs)
    with tempfile.TemporaryDirectory() as scratch:
        result = train_and_evaluate(users, movies, ratings, config, Path(scratch) / "artifact")
    metrics = dict(result.metrics)
    return {
        "model": name,
        "metrics": {k: v for k, v in metrics.items() if k not in ("train_seconds", "peak_mb")},
        "train_seconds": metrics["train_seconds"],
        "peak_mb": metrics["peak_mb"],
        "epochs": config.epochs,
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
) -> dict[str, Any]:
    users, movies, ratings = load_tables(data_path)
    if name in BASELINES:
        return run_baseline(name, users, movies, ratings, seed, split_seed)
    if name in SNN_MODELS:
        return run_snn(name, users, movies, ratings, seed, epochs, split_seed)
    raise ValueError(f"unknown model {name!r}; choose from {', '.join(ALL_MODELS)}")
