"""Choosing the co-rating readout's neighbourhood size on the validation split.

The readout is fitted in closed form and independently of the towers (training never reads
it), so one tower training per seed serves every readout setting: the towers are trained once
on the validation split's train part, then scored with the dense readout and with the sparse
readout at each neighbourhood size. Several training seeds, since the sum depends on the
towers; the test 25% is never read.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from recsys.constants import MOVIE_ID, USER_ID
from recsys.data.interactions import IndexedSplit, UserItemRows
from recsys.data.split import VALIDATION_RATIO, stratified_split, validation_split
from recsys.evaluation import evaluate_model
from recsys.metrics.names import MAP_AT_10, NDCG_AT_10
from recsys.models import defaults
from recsys.models.contract import TrainingData
from recsys.models.corating import corating_readout
from recsys.models.fitting import SpikingRanker
from recsys.models.scoring import RankerScores
from training.pipeline import TrainConfig
from training.recsys.validation import _indexed


def sweep_neighbours(
    tables: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
    neighbours: list[int],
    seed: int,
    validation_ratio: float = VALIDATION_RATIO,
    overrides: dict[str, Any] | None = None,
    protocol: bool = False,
) -> list[dict[str, Any]]:
    """One row per neighbourhood size (0 = dense): validation metrics and readout fit seconds.

    ``protocol`` scores the protocol's test 25% instead (training on its 75%), to *report* the
    size chosen on the validation split beside the dense readout, on the same trained towers.
    """
    users, movies, ratings = tables
    config = TrainConfig.for_model("snn-local", **{"seed": seed, **(overrides or {})})
    if protocol:
        split = stratified_split(ratings, config.train_ratio, config.split_seed)
        user_ids = np.union1d(users[USER_ID].to_numpy(np.int64), ratings[USER_ID].to_numpy())
        indexed = IndexedSplit.from_tables(split.train, split.test, user_ids, movies[MOVIE_ID])
    else:
        indexed = _indexed(users, movies, ratings, config.split_seed, validation_ratio)
    ranker = SpikingRanker(config).fit(TrainingData.from_split(indexed, users, movies))
    model, inputs = ranker.fitted.model, ranker.fitted.inputs
    rows = []
    for k in neighbours:
        model.corating, fit_seconds, fit_cpu_seconds = _timed_readout(
            inputs.train, config.ranker.corating_gain, k, config.fit.corating_l2
        )
        metrics = evaluate_model(RankerScores(model, inputs), indexed)
        rows.append(
            {
                "neighbours": k,
                "seed": seed,
                "split": "protocol test" if protocol else "validation",
                "validation_ratio": None if protocol else validation_ratio,
                "metrics": metrics,
                "readout_fit_seconds": fit_seconds,
                "readout_fit_cpu_seconds": fit_cpu_seconds,
                "tower_train_seconds": ranker.train_seconds,
            }
        )
        print(
            f"{'protocol' if protocol else 'validation'} seed {seed} neighbours {k or 'all (dense)'}: nDCG@10 {metrics[NDCG_AT_10]:.4f} "
            f"MAP@10 {metrics[MAP_AT_10]:.4f}  readout fit {fit_seconds:.2f}s",
            flush=True,
        )
    return rows


def _timed_readout(
    train: UserItemRows, gain: float, neighbours: int, l2: float
) -> tuple[torch.nn.Module, float, float]:
    """A readout with ``neighbours`` synapses per movie (0 = dense) fitted on ``train``, and the
    fit's wall-clock and CPU seconds."""
    started, started_cpu = time.perf_counter(), time.process_time()
    readout = corating_readout(train.n_items, gain, neighbours).fit(train, l2)
    return readout, time.perf_counter() - started, time.process_time() - started_cpu


class _ReadoutScores:
    """The readout alone as a model of the harness's contract (scores from training ratings)."""

    def __init__(self, readout: torch.nn.Module, split: IndexedSplit) -> None:
        self.readout, self.split = readout, split

    def score(self, users: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return self.readout(torch.from_numpy(self.split.train.dense(users))).numpy()


def write_jsonl(rows: list[dict[str, Any]], path: str) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as log:
        for row in rows:
            log.write(json.dumps(row) + "\n")


def _validation_carve(
    tables: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
    validation_seed: int,
    validation_ratio: float,
) -> IndexedSplit:
    """One validation carve-out of the protocol's train part, indexed: what a closed-form
    readout is scored on alone, a new ``validation_seed`` standing in for a training seed."""
    users, movies, ratings = tables
    split = validation_split(
        ratings, validation_ratio=validation_ratio, validation_seed=validation_seed
    )
    user_ids = np.union1d(users[USER_ID].to_numpy(np.int64), ratings[USER_ID].to_numpy())
    return IndexedSplit.from_tables(split.train, split.test, user_ids, movies[MOVIE_ID])


def _alone_row(
    setting: dict[str, Any],
    validation_seed: int,
    validation_ratio: float,
    metrics: dict[str, float],
    fit_seconds: float,
) -> dict[str, Any]:
    """A readout-alone result row: its ``setting``, where it was scored and what it scored."""
    return {
        **setting,
        "readout_only": True,
        "validation_seed": validation_seed,
        "validation_ratio": validation_ratio,
        "metrics": metrics,
        "readout_fit_seconds": fit_seconds,
    }


def sweep_readout_alone(
    tables: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
    neighbours: list[int],
    validation_seed: int,
    validation_ratio: float = VALIDATION_RATIO,
) -> list[dict[str, Any]]:
    """The readout on its own (towers off: the EASE-like path), per neighbourhood size.

    Closed form, so no training seed moves it; ``validation_seed`` draws another validation
    carve-out of the protocol's train part instead. Seconds per size, against the minutes of a
    tower training: the cheap first look at what the neighbourhood loses.
    """
    indexed = _validation_carve(tables, validation_seed, validation_ratio)
    rows = []
    for k in neighbours:
        readout, fit_seconds, fit_cpu_seconds = _timed_readout(
            indexed.train, 1.0, k, defaults.CORATING_L2
        )
        metrics = evaluate_model(_ReadoutScores(readout, indexed), indexed)
        row = _alone_row({"neighbours": k}, validation_seed, validation_ratio, metrics, fit_seconds)
        rows.append({**row, "readout_fit_cpu_seconds": fit_cpu_seconds})
        print(
            f"readout alone, validation draw {validation_seed}, neighbours {k or 'all (dense)'}: "
            f"nDCG@10 {metrics[NDCG_AT_10]:.4f} MAP@10 {metrics[MAP_AT_10]:.4f}  "
            f"fit {fit_seconds:.2f}s",
            flush=True,
        )
    return rows


def sweep_pair_units_alone(
    tables: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
    settings: list[tuple[int, float]],
    validation_seed: int,
    validation_ratio: float = VALIDATION_RATIO,
) -> list[dict[str, Any]]:
    """The second-order readout on its own (no towers), per ``(n_pairs, pair_l2)`` setting,
    ``(0, 0)`` being the linear readout: closed form, so ``validation_seed`` draws another
    validation carve-out of the protocol's train part instead of a training seed."""
    from recsys.models.pairwise import PairwiseCoRatingReadout

    indexed = _validation_carve(tables, validation_seed, validation_ratio)
    rows = []
    for n_pairs, pair_l2 in settings:
        started = time.perf_counter()
        if n_pairs == 0:
            readout = corating_readout(indexed.train.n_items, 1.0, 0)
        else:
            readout = PairwiseCoRatingReadout(indexed.train.n_items, 1.0, n_pairs, pair_l2)
        readout.fit(indexed.train, defaults.CORATING_L2)
        fit_seconds = time.perf_counter() - started
        metrics = evaluate_model(_ReadoutScores(readout, indexed), indexed)
        setting = {"n_pairs": n_pairs, "pair_l2": pair_l2}
        rows.append(_alone_row(setting, validation_seed, validation_ratio, metrics, fit_seconds))
        print(
            f"readout alone, validation draw {validation_seed}, pairs {n_pairs} pair_l2 "
            f"{pair_l2:g}: nDCG@10 {metrics[NDCG_AT_10]:.4f}  fit {fit_seconds:.1f}s",
            flush=True,
        )
    return rows


def sweep_pair_units(
    tables: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
    settings: list[tuple[int, float]],
    seed: int,
    validation_ratio: float = VALIDATION_RATIO,
    overrides: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """The served model with the second-order readout (:mod:`recsys.models.pairwise`) against
    its own linear readout, on the same trained towers: one row per ``(n_pairs, pair_l2)``
    setting, ``(0, 0)`` being the linear readout. Each row holds the full model's and the
    readout's own validation metrics, so the pair units' effect is read twice — alone (the
    EASE-like path) and beside the towers. The test 25% is never read.
    """
    from recsys.models.pairwise import PairwiseCoRatingReadout

    users, movies, ratings = tables
    config = TrainConfig.for_model("snn-local", **{"seed": seed, **(overrides or {})})
    indexed = _indexed(users, movies, ratings, config.split_seed, validation_ratio)
    ranker = SpikingRanker(config).fit(TrainingData.from_split(indexed, users, movies))
    train_seconds = ranker.train_seconds
    model, inputs = ranker.fitted.model, ranker.fitted.inputs
    gain, l2 = config.ranker.corating_gain, config.fit.corating_l2
    rows = []
    for n_pairs, pair_l2 in settings:
        started = time.perf_counter()
        if n_pairs == 0:
            readout = corating_readout(inputs.train.n_items, gain, 0).fit(inputs.train, l2)
        else:
            readout = PairwiseCoRatingReadout(inputs.train.n_items, gain, n_pairs, pair_l2)
            readout.fit(inputs.train, l2)
        fit_seconds = time.perf_counter() - started
        model.corating = readout
        full = evaluate_model(RankerScores(model, inputs), indexed)
        alone = evaluate_model(_ReadoutScores(readout, indexed), indexed)
        rows.append(
            {
                "n_pairs": n_pairs,
                "pair_l2": pair_l2,
                "seed": seed,
                "split": "validation",
                "validation_ratio": validation_ratio,
                "metrics": full,
                "readout_alone_metrics": alone,
                "readout_fit_seconds": fit_seconds,
                "tower_train_seconds": train_seconds,
            }
        )
        print(
            f"validation seed {seed} pairs {n_pairs} pair_l2 {pair_l2:g}: served nDCG@10 "
            f"{full[NDCG_AT_10]:.4f}, readout alone {alone[NDCG_AT_10]:.4f}  "
            f"fit {fit_seconds:.1f}s",
            flush=True,
        )
    return rows
