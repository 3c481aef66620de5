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
    IALS,
    BPRConfig,
    BPRMatrixFactorization,
    IALSConfig,
    ItemKNN,
    MostPopular,
    MultDAE,
    MultDAEConfig,
    ScoreBlend,
)
from recsys.constants import MOVIE_ID, USER_ID
from recsys.data.interactions import IndexedSplit
from recsys.data.movielens import load_movielens_100k
from recsys.data.split import DEFAULT_SEED, DEFAULT_TRAIN_RATIO, stratified_split
from recsys.evaluation import evaluate_model
from recsys.metrics.names import PEAK_MB, TRAIN_SECONDS
from recsys.models.contract import RecommenderModel, TrainingData
from training.pipeline import SNN_MODELS, TrainConfig, peak_memory_mb, train_and_evaluate

BASELINES = ("pop", "itemknn", "bpr", "ease", "multdae", "ials", "ease+bpr")
ALL_MODELS = (*BASELINES, *SNN_MODELS)
ITEMKNN_SETTINGS = {"n_neighbours": 400, "shrinkage": 0.0}
EASE_SETTINGS = {"l2": 300.0}
MULTDAE_SETTINGS = MultDAEConfig()
BPR_SETTINGS = BPRConfig(
    dim=200, epochs=200, lr=0.05, weight_decay=2e-2, batch_size=1024, cosine_decay=True
)
#: Chosen on the validation split from factors 64/128/256 × regularization 10–100 × alpha
#: 2–30 (docs/benchmarks.md, *Fair anchors*).
IALS_SETTINGS = IALSConfig(factors=128, regularization=30.0, alpha=3.0, iterations=15)


def load_tables(data_path: str | None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    ml = load_movielens_100k(data_path)
    return ml.users, ml.movies, ml.ratings


def baseline_settings(name: str, seed: int, overrides: dict[str, Any] | None = None) -> Any:
    """The settings baseline ``name`` runs with: its benchmark settings, then ``overrides``.
    An unknown name or setting raises ``ValueError`` / ``TypeError``."""
    overrides = dict(overrides or {})
    if name == "pop":
        if overrides:
            raise ValueError(f"pop has no settings, got {', '.join(overrides)}")
        return {}
    if name == "itemknn":
        return _known_keys(name, {**ITEMKNN_SETTINGS, **overrides}, ITEMKNN_SETTINGS)
    if name == "ease":
        return _known_keys(name, {**EASE_SETTINGS, **overrides}, EASE_SETTINGS)
    if name == "multdae":
        return replace(MULTDAE_SETTINGS, seed=seed, **overrides)
    if name == "bpr":
        return replace(BPR_SETTINGS, seed=seed, **overrides)
    if name == "ials":
        return replace(IALS_SETTINGS, seed=seed, **overrides)
    if name == "ease+bpr":
        # The two parts run with their own benchmark settings; the weight is chosen in fit.
        if overrides:
            raise ValueError(f"ease+bpr has no settings, got {', '.join(overrides)}")
        return {
            "seed": seed,
            "ease": EASE_SETTINGS,
            "bpr": asdict(replace(BPR_SETTINGS, seed=seed)),
        }
    raise ValueError(f"unknown baseline {name!r}")


def _known_keys(name: str, settings: dict[str, Any], known: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(settings) - set(known))
    if unknown:
        raise ValueError(f"{name} has no setting {', '.join(unknown)}; it has {', '.join(known)}")
    return settings


def check_settings(name: str, settings: dict[str, Any]) -> None:
    """Raise if ``settings`` do not make a valid configuration of model ``name``."""
    if name in SNN_MODELS:
        TrainConfig.for_model(name, **settings)
    else:
        baseline_settings(name, DEFAULT_SEED, settings)


def build_baseline(name: str, settings: Any) -> RecommenderModel:
    """An unfitted baseline with ``settings`` (from :func:`baseline_settings`)."""
    if name == "pop":
        return MostPopular()
    if name == "itemknn":
        return ItemKNN(**settings)
    if name == "ease":
        return EASE(**settings)
    if name == "multdae":
        return MultDAE(settings)
    if name == "bpr":
        return BPRMatrixFactorization(settings)
    if name == "ials":
        return IALS(settings)
    if name == "ease+bpr":
        bpr = BPRConfig(**settings["bpr"])
        return ScoreBlend(
            lambda: EASE(**settings["ease"]),
            lambda: BPRMatrixFactorization(bpr),
            seed=settings["seed"],
        )
    raise ValueError(f"unknown baseline {name!r}")


def fit_baseline(
    name: str, data: TrainingData, seed: int, overrides: dict[str, Any] | None = None
) -> tuple[RecommenderModel, dict[str, Any], int]:
    """(fitted model, the settings it used, epochs) for a baseline on ``data``."""
    settings = baseline_settings(name, seed, overrides)
    model = build_baseline(name, settings).fit(data)
    if isinstance(model, ScoreBlend):
        return model, {**settings, "weight": model.weight, "validation": model.validation}, 0
    if isinstance(settings, dict):
        return model, settings, 0
    return model, asdict(settings), getattr(settings, "epochs", getattr(settings, "iterations", 0))


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
    config = TrainConfig.for_model(
        name, **{"seed": seed, "split_seed": split_seed, **(overrides or {})}
    )
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
    users, movies, ratings = load_tables(data_path)
    if name in BASELINES:
        return run_baseline(name, users, movies, ratings, seed, split_seed, overrides)
    if name in SNN_MODELS:
        return run_snn(name, users, movies, ratings, seed, epochs, split_seed, overrides)
    raise ValueError(f"unknown model {name!r}; choose from {', '.join(ALL_MODELS)}")
