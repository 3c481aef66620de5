"""Tuning runs: train on the validation split's 80%, score on its 20%, never touch the test 25%.

Every setting in the benchmark was chosen with these runs; each prints and returns the full
configuration, so a line of the tuning log can be re-run exactly.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd

from recsys import registry
from recsys.constants import MOVIE_ID, USER_ID
from recsys.data.interactions import IndexedSplit
from recsys.data.split import DEFAULT_SEED, VALIDATION_RATIO, validation_split
from recsys.evaluation import evaluate_model
from recsys.metrics.names import PEAK_MB, TRAIN_SECONDS
from recsys.models.contract import TrainingData
from recsys.models.diagnostics import spike_rates
from recsys.models.fitting import SpikingRanker
from recsys.models.trainer import FitConfig
from training.pipeline import TrainConfig, monitor_on, peak_memory_mb
from training.recsys.runs import fit_baseline


def _indexed(
    users: pd.DataFrame,
    movies: pd.DataFrame,
    ratings: pd.DataFrame,
    seed: int,
    validation_ratio: float,
) -> IndexedSplit:
    split = validation_split(ratings, seed=seed, validation_ratio=validation_ratio)
    user_ids = np.union1d(users[USER_ID].to_numpy(np.int64), ratings[USER_ID].to_numpy())
    return IndexedSplit.from_tables(split.train, split.test, user_ids, movies[MOVIE_ID])


def validate_snn(
    config: TrainConfig,
    users: pd.DataFrame,
    movies: pd.DataFrame,
    ratings: pd.DataFrame,
    validation_ratio: float = VALIDATION_RATIO,
) -> dict[str, Any]:
    """Validation metrics of one spiking configuration, with the per-epoch validation curve."""
    indexed = _indexed(users, movies, ratings, config.split_seed, validation_ratio)
    data = TrainingData.from_split(indexed, users, movies)
    ranker = SpikingRanker(config, evaluate=monitor_on(indexed), show_progress=True).fit(data)
    train_seconds = ranker.train_seconds
    metrics = evaluate_model(ranker, indexed)
    metrics.update(spike_rates(ranker.fitted.model, ranker.fitted.inputs))
    return {
        "model": config.model,
        "split": "validation",
        "validation_ratio": validation_ratio,
        "metrics": metrics,
        TRAIN_SECONDS: train_seconds,
        PEAK_MB: peak_memory_mb(),
        "settings": config.to_dict(),
        "curve": [h.metric for h in ranker.fitted.history],
    }


def validate_baseline(
    name: str,
    settings: dict[str, Any],
    users: pd.DataFrame,
    movies: pd.DataFrame,
    ratings: pd.DataFrame,
    seed: int,
    validation_ratio: float = VALIDATION_RATIO,
) -> dict[str, Any]:
    indexed = _indexed(users, movies, ratings, DEFAULT_SEED, validation_ratio)
    started = time.perf_counter()
    data = TrainingData.from_split(indexed, users, movies)
    model, used, _ = fit_baseline(name, data, seed, settings)
    train_seconds = time.perf_counter() - started
    return {
        "model": name,
        "split": "validation",
        "validation_ratio": validation_ratio,
        "metrics": evaluate_model(model, indexed),
        TRAIN_SECONDS: train_seconds,
        PEAK_MB: peak_memory_mb(),
        "settings": used,
    }


def validate(
    name: str,
    overrides: dict[str, Any],
    tables: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
    seed: int | None = None,
    validation_ratio: float = VALIDATION_RATIO,
) -> dict[str, Any]:
    """One tuning run of model ``name`` with ``overrides`` of its default settings.

    ``validation_ratio`` is the share of the protocol's train part the model trains on (the
    rest is scored). The protocol's model trains on all of it, and which of two models leads
    can change with the amount of training data, so a larger share is the closer rehearsal
    (with fewer ratings to score, hence noisier). ``tables`` are (users, movies, ratings) as
    :func:`~training.recsys.runs.load_tables` returns them, read once for a series of runs.
    """
    users, movies, ratings = tables
    entry = registry.lookup(name)
    if entry.spiking:
        # Built by the registry entry, as training and the benchmark build it.
        config = entry.settings(FitConfig.seed if seed is None else seed, overrides)
        return validate_snn(config, users, movies, ratings, validation_ratio)
    seed = FitConfig.seed if seed is None else seed  # seed 0 is a seed
    return validate_baseline(name, overrides, users, movies, ratings, seed, validation_ratio)
