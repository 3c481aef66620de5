"""Train → evaluate → artifact: the one pipeline behind the CLI and the web app's retraining.

The served model is the one trained on the protocol's 75% split (its 25% also calibrates the
predicted match, training/calibration.py), so the metrics stored with it describe exactly what
is served (no refit on 100% with numbers borrowed
from a different model). Nothing is lost at serving time: the user tower is inductive and reads each user's
*current* ratings, test-split ratings and post-training ratings included.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from recsys.constants import MOVIE_ID, RATING, USER_ID
from recsys.data.interactions import IndexedSplit
from recsys.data.split import RatingSplit, stratified_split
from recsys.evaluation import evaluate_model
from recsys.metrics.names import N_EVAL_USERS, NDCG_AT_10, PEAK_MB, TRAIN_SECONDS
from recsys.models.batches import TowerInputs
from recsys.models.config import SNN_MODELS, TrainConfig
from recsys.models.contract import TrainingData
from recsys.models.diagnostics import energy_summary, spike_rates
from recsys.models.fitting import SpikingRanker
from recsys.models.ranker import TwoTowerRanker
from recsys.models.scoring import RankerScores
from recsys.models.trainer import EpochReport
from recsys.serving.artifact import write_artifact
from recsys.serving.recommender import build_recommender
from recsys.serving.taste import DEFAULT_TASTE, taste_to_dict
from training.calibration import calibrate_on_held_out
from training.export import artifact_contents
from training.measure import peak_memory_mb

MONITOR_METRIC = NDCG_AT_10
#: The run configuration lives in recsys (the spiking ranker's contract class reads it too);
#: importing it from here keeps working.
__all__ = ["SNN_MODELS", "ProgressEvent", "TrainConfig", "TrainResult", "train_and_evaluate"]


@dataclass(frozen=True)
class ProgressEvent:
    """One progress update; ``fraction`` runs from 0 to 1 over the whole pipeline."""

    stage: str  # "split", "features", "train", "evaluate", "artifact", "done"
    epoch: int = 0
    total_epochs: int = 0
    loss: float | None = None
    metric_name: str | None = None
    metric_value: float | None = None
    fraction: float = 0.0


@dataclass
class TrainResult:
    metrics: dict[str, float]
    artifact_path: Path
    config: TrainConfig
    history: list[dict[str, Any]] = field(default_factory=list)


def data_fingerprint(movies: pd.DataFrame, ratings: pd.DataFrame) -> dict[str, Any]:
    """A content hash of what the model learned from, to tell two snapshots apart."""
    table = ratings[[USER_ID, MOVIE_ID, RATING]].sort_values([USER_ID, MOVIE_ID])
    digest = hashlib.sha256()
    digest.update(np.ascontiguousarray(table.to_numpy(dtype=np.int64)).tobytes())
    digest.update(np.sort(movies[MOVIE_ID].to_numpy(dtype=np.int64)).tobytes())
    return {
        "sha256": digest.hexdigest(),
        "n_ratings": int(len(ratings)),
        "n_users": int(ratings[USER_ID].nunique()),
        "n_movies": int(len(movies)),
    }


def _check_tables(users: pd.DataFrame, movies: pd.DataFrame, ratings: pd.DataFrame) -> None:
    for name, table, columns in (
        ("ratings", ratings, (USER_ID, MOVIE_ID, RATING)),
        ("movies", movies, (MOVIE_ID, "genres")),
        ("users", users, (USER_ID,)),
    ):
        missing = [c for c in columns if c not in table.columns]
        if missing:
            raise ValueError(f"{name} table lacks column(s): {', '.join(missing)}")
    if ratings.empty:
        raise ValueError("no ratings to train on")
    unknown = ~ratings[MOVIE_ID].isin(movies[MOVIE_ID])
    if unknown.any():
        raise ValueError(
            f"{int(unknown.sum())} ratings refer to movies missing from the movies table"
        )


def monitor_on(split: IndexedSplit) -> Callable[[TwoTowerRanker, TowerInputs], float]:
    """The per-epoch monitor of :class:`SpikingRanker`: ``MONITOR_METRIC`` on ``split``, for the
    training curve (reported, never used to stop or select)."""

    def monitor(trained: TwoTowerRanker, inputs: TowerInputs) -> float:
        return evaluate_model(RankerScores(trained, inputs), split)[MONITOR_METRIC]

    return monitor


def train_and_evaluate(
    users: pd.DataFrame,
    movies: pd.DataFrame,
    ratings: pd.DataFrame,
    config: TrainConfig,
    out_dir: Path,
    progress: Callable[[ProgressEvent], None] | None = None,
    show_progress: bool = True,
) -> TrainResult:
    """Split (fixed protocol), train, evaluate on the held-out 25%, write the artifact."""
    report = progress or (lambda event: None)
    if config.torch_threads:
        torch.set_num_threads(config.torch_threads)
    report(ProgressEvent("split", total_epochs=config.fit.epochs, fraction=0.0))
    split, indexed = split_tables(users, movies, ratings, config)
    has_test = len(indexed.eval_users()) > 0

    def on_epoch(epoch_report: EpochReport) -> None:
        report(
            ProgressEvent(
                "train",
                epoch=epoch_report.epoch,
                total_epochs=epoch_report.total_epochs,
                loss=epoch_report.loss,
                metric_name=MONITOR_METRIC if epoch_report.metric is not None else None,
                metric_value=epoch_report.metric,
                fraction=0.05 + 0.85 * epoch_report.epoch / epoch_report.total_epochs,
            )
        )

    report(ProgressEvent("features", total_epochs=config.fit.epochs, fraction=0.02))
    ranker = SpikingRanker(
        config,
        evaluate=monitor_on(indexed) if has_test else None,
        on_epoch=on_epoch,
        show_progress=show_progress,
    ).fit(TrainingData.from_split(indexed, users, movies))
    return evaluate_and_write(
        ranker,
        split,
        indexed,
        users,
        movies,
        ratings,
        config,
        out_dir,
        ranker.train_seconds,
        report,
    )


def split_tables(
    users: pd.DataFrame, movies: pd.DataFrame, ratings: pd.DataFrame, config: TrainConfig
) -> tuple[RatingSplit, IndexedSplit]:
    """The protocol's split of checked tables, and the same split as model indices."""
    _check_tables(users, movies, ratings)
    split = stratified_split(ratings, config.train_ratio, config.split_seed)
    user_ids = np.union1d(users[USER_ID].to_numpy(dtype=np.int64), ratings[USER_ID].to_numpy())
    indexed = IndexedSplit.from_tables(split.train, split.test, user_ids, movies[MOVIE_ID])
    return split, indexed


def evaluate_and_write(
    ranker: SpikingRanker,
    split: RatingSplit,
    indexed: IndexedSplit,
    users: pd.DataFrame,
    movies: pd.DataFrame,
    ratings: pd.DataFrame,
    config: TrainConfig,
    out_dir: Path,
    train_seconds: float,
    report: Callable[[ProgressEvent], None],
) -> TrainResult:
    """Evaluate a fitted ranker on the held-out split, calibrate its match, write the artifact.

    Why a function of its own: a committee trained member by member in separate processes
    (training/committee.py) ends exactly as one trained here, through this same code.
    """
    has_test = len(indexed.eval_users()) > 0
    fitted = ranker.fitted

    report(ProgressEvent("evaluate", config.fit.epochs, config.fit.epochs, fraction=0.92))
    metrics: dict[str, float] = {}
    if has_test:
        metrics.update(evaluate_model(ranker, indexed))
        if fitted.model.corating is not None:
            towers = evaluate_model(ranker.towers_only(), indexed)
            metrics.update({f"towers_only/{k}": v for k, v in towers.items() if k != N_EVAL_USERS})
    metrics[TRAIN_SECONDS] = train_seconds
    metrics[PEAK_MB] = peak_memory_mb()
    metrics.update(spike_rates(fitted.model, fitted.inputs))
    metrics.update(energy_summary(fitted.model, fitted.inputs))

    extra_config: dict[str, Any] = {
        "model": config.model,
        "train": config.to_dict(),
        "served_model": "trained on the protocol's train split; metrics are its test scores",
        # How serving combines a visitor's signals; the match below is calibrated under them.
        "taste": taste_to_dict(DEFAULT_TASTE),
    }
    contents = artifact_contents(
        fitted, metrics, data_fingerprint(movies, ratings), extra_config=extra_config
    )
    # The match is calibrated on what the site computes: the served recommender's taste scores.
    calibration, match_metrics = calibrate_on_held_out(
        build_recommender(contents), users, split.train, split.test, config.split_seed
    )
    contents.metrics.update(match_metrics)
    metrics.update(match_metrics)
    if calibration is not None:
        contents.config["calibration"] = calibration.to_dict()

    report(ProgressEvent("artifact", config.fit.epochs, config.fit.epochs, fraction=0.96))
    write_artifact(Path(out_dir), contents)
    history_rows = contents.metrics["history"]
    report(ProgressEvent("done", config.fit.epochs, config.fit.epochs, fraction=1.0))
    return TrainResult(
        metrics=metrics, artifact_path=Path(out_dir), config=config, history=history_rows
    )
