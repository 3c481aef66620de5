"""Train → evaluate → artifact: the one pipeline behind the CLI and the web app's retraining.

The served model is the one trained on the protocol's 75% split, so the metrics stored with it
describe exactly what is served (no refit on 100% with numbers borrowed from a different
model). Nothing is lost at serving time: the user tower is inductive and reads each user's
*current* ratings, test-split ratings and post-training ratings included.
"""

from __future__ import annotations

import hashlib
import resource
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from recsys.data.interactions import IndexedSplit
from recsys.data.split import DEFAULT_SEED, DEFAULT_TRAIN_RATIO, stratified_split
from recsys.evaluation import evaluate_scores
from recsys.features.items import ItemFeatureSpec
from recsys.metrics.names import NDCG_AT_10
from recsys.models import defaults
from recsys.models.fit import FittedRanker, fit_ranker
from recsys.models.inputs import energy_summary, score_function, spike_rates
from recsys.models.ranker import RankerConfig, TwoTowerRanker
from recsys.models.towers import TowerConfig
from recsys.models.training import EpochReport, FitConfig, TowerInputs
from recsys.serving.artifact import write_artifact
from training.export import artifact_contents

#: name -> (training mode, synapse, blocks per tower; None = the config's ``n_blocks``,
#: co-rating readout beside the towers). With one block per tower, local and BPTT updates
#: coincide (see docs/recsys.md), so the two-block variants are what shows the effect of
#: training locally. ``snn-towers`` is the default model without its co-rating path.
SNN_MODELS: dict[str, tuple[str, str, int | None, bool]] = {
    "snn-local": ("local", "bilinear", None, True),
    "snn-bptt": ("bptt", "bilinear", None, True),
    "snn-local-linear": ("local", "linear", None, True),
    "snn-towers": ("local", "bilinear", None, False),
    "snn-towers-linear": ("local", "linear", None, False),
    "snn-local-2block": ("local", "bilinear", 2, False),
    "snn-bptt-2block": ("bptt", "bilinear", 2, False),
    "snn-local-deep": ("local", "bilinear", 2, True),
}
#: Settings a model name implies beyond SNN_MODELS (``TrainConfig.named`` applies them).
#: ``snn-local-deep``: the two-block towers of docs/benchmarks.md §2.0 *Depth* (round 3).
MODEL_SETTINGS: dict[str, dict[str, Any]] = {
    "snn-local-deep": {
        "readout": "sum",
        "skip_input": True,
        "block_input": "rates",
        "deep_lr_scale": 0.3,
    },
}
MONITOR_METRIC = NDCG_AT_10


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a training run; printed and stored, so a run can be repeated.

    The one place a run's settings are chosen: the tower, ranker and fit configurations are
    derived from it (:meth:`ranker_config`, :meth:`fit_config`), and every default comes from
    :mod:`recsys.models.defaults`, which those configurations share."""

    model: str = "snn-local"
    epochs: int = defaults.EPOCHS
    dim: int = defaults.DIM
    hidden: int = defaults.HIDDEN
    n_blocks: int = 1
    members: int = defaults.MEMBERS
    deep_hidden: int = 0
    readout: str = "last"
    block_input: str = "spikes"
    skip_input: bool = False
    num_steps: int = defaults.NUM_STEPS
    tau: float = defaults.TAU
    threshold: float = defaults.THRESHOLD
    bias_init: float = defaults.BIAS_INIT
    input_weight_scale: float = defaults.INPUT_WEIGHT_SCALE
    rank: int = defaults.RANK
    lambda_init: float = defaults.LAMBDA_INIT
    hidden_weight_gain: float = defaults.HIDDEN_WEIGHT_GAIN
    lr: float = defaults.LR
    weight_decay: float = defaults.WEIGHT_DECAY
    batch_size: int = defaults.BATCH_SIZE
    bag_dropout: float = defaults.BAG_DROPOUT
    history_dropout: float = defaults.HISTORY_DROPOUT
    item_id_dropout: float = defaults.ITEM_ID_DROPOUT
    profile_dropout: float = defaults.PROFILE_DROPOUT
    loss: str = defaults.LOSS
    negative_weight: float = defaults.NEGATIVE_WEIGHT
    sparse_inputs: bool = True
    n_text_buckets: int = 32
    seed: int = DEFAULT_SEED  # training randomness: initialisation, batches, corruptions
    split_seed: int = DEFAULT_SEED  # the protocol's 75/25 split, fixed whatever ``seed`` is
    train_ratio: float = DEFAULT_TRAIN_RATIO
    eval_every: int = 1
    torch_threads: int | None = None
    corating_gain: float = defaults.CORATING_GAIN  # the co-rating readout's weight
    corating_l2: float = defaults.CORATING_L2  # its ridge
    distill_weight: float = 0.0  # local mode: teacher (co-rating) share of deeper blocks' targets
    distill_from: int = 1  # the first block that learns from the teacher
    distill_mode: str = "negatives"  # how the teacher enters the target ("negatives", "mix")
    deep_lr_scale: float = 1.0  # local mode: deeper blocks' learning rate, × lr

    @classmethod
    def named(cls, model: str, **overrides: Any) -> TrainConfig:
        """The configuration of ``model`` with the settings its name implies, then ``overrides``."""
        return cls(model=model, **{**MODEL_SETTINGS.get(model, {}), **overrides})

    @classmethod
    def small(cls, **overrides: Any) -> TrainConfig:
        """A seconds-long configuration for tests, smoke runs and small sites.

        Smaller towers than this (or fewer time steps) stay silent on a few dozen users: with
        almost no spikes every item gets the same embedding and the ranking is a tie.
        """
        base = cls(epochs=30, dim=16, hidden=32, members=1, num_steps=4, batch_size=32, lr=1e-2)
        return replace(base, **overrides)

    def __post_init__(self) -> None:
        if self.model not in SNN_MODELS:
            raise ValueError(f"model must be one of {sorted(SNN_MODELS)}, got {self.model!r}")

    def ranker_config(self) -> RankerConfig:
        _, synapse, blocks, corating = SNN_MODELS[self.model]
        tower = TowerConfig(
            hidden=self.hidden,
            n_blocks=blocks or self.n_blocks,
            deep_hidden=self.deep_hidden,
            readout=self.readout,
            block_input=self.block_input,
            skip_input=self.skip_input,
            synapse=synapse,
            rank=self.rank,
            lambda_init=self.lambda_init,
            hidden_weight_gain=self.hidden_weight_gain,
            num_steps=self.num_steps,
            threshold=self.threshold,
            tau=self.tau,
            bias_init=self.bias_init,
            input_weight_scale=self.input_weight_scale,
        )
        return RankerConfig(
            dim=self.dim,
            user=tower,
            item=tower,
            members=self.members,
            corating_gain=self.corating_gain if corating else 0.0,
        )

    def fit_config(self) -> FitConfig:
        mode, _, _, _ = SNN_MODELS[self.model]
        return FitConfig(
            mode=mode,
            epochs=self.epochs,
            batch_size=self.batch_size,
            lr=self.lr,
            weight_decay=self.weight_decay,
            bag_dropout=self.bag_dropout,
            history_dropout=self.history_dropout,
            item_id_dropout=self.item_id_dropout,
            profile_dropout=self.profile_dropout,
            loss=self.loss,
            negative_weight=self.negative_weight,
            sparse_inputs=self.sparse_inputs,
            seed=self.seed,
            eval_every=self.eval_every,
            corating_l2=self.corating_l2,
            distill_weight=self.distill_weight,
            distill_from=self.distill_from,
            distill_mode=self.distill_mode,
            deep_lr_scale=self.deep_lr_scale,
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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


def peak_memory_mb() -> float:
    """Peak resident memory of this process (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def data_fingerprint(movies: pd.DataFrame, ratings: pd.DataFrame) -> dict[str, Any]:
    """A content hash of what the model learned from, to tell two snapshots apart."""
    table = ratings[["user_id", "movie_id", "rating"]].sort_values(["user_id", "movie_id"])
    digest = hashlib.sha256()
    digest.update(np.ascontiguousarray(table.to_numpy(dtype=np.int64)).tobytes())
    digest.update(np.sort(movies["movie_id"].to_numpy(dtype=np.int64)).tobytes())
    return {
        "sha256": digest.hexdigest(),
        "n_ratings": int(len(ratings)),
        "n_users": int(ratings["user_id"].nunique()),
        "n_movies": int(len(movies)),
    }


def _check_tables(users: pd.DataFrame, movies: pd.DataFrame, ratings: pd.DataFrame) -> None:
    for name, table, columns in (
        ("ratings", ratings, ("user_id", "movie_id", "rating")),
        ("movies", movies, ("movie_id", "genres")),
        ("users", users, ("user_id",)),
    ):
        missing = [c for c in columns if c not in table.columns]
        if missing:
            raise ValueError(f"{name} table lacks column(s): {', '.join(missing)}")
    if ratings.empty:
        raise ValueError("no ratings to train on")
    unknown = ~ratings["movie_id"].isin(movies["movie_id"])
    if unknown.any():
        raise ValueError(
            f"{int(unknown.sum())} ratings refer to movies missing from the movies table"
        )


def fit_monitored(
    users: pd.DataFrame,
    movies: pd.DataFrame,
    train: pd.DataFrame,
    config: TrainConfig,
    user_ids: np.ndarray,
    monitor_split: IndexedSplit | None,
    on_epoch: Callable[[EpochReport], None] | None = None,
    show_progress: bool = True,
) -> tuple[FittedRanker, float]:
    """Fit one configuration, scoring ``monitor_split`` after every epoch for the curve.

    Returns the fitted ranker and its training seconds. The per-epoch monitor is reporting,
    not training, so its time is not counted.
    """
    monitor_seconds = [0.0]

    def monitor(trained: TwoTowerRanker, inputs: TowerInputs) -> float:
        started_monitor = time.perf_counter()
        value = evaluate_scores(score_function(trained, inputs), monitor_split)[MONITOR_METRIC]
        monitor_seconds[0] += time.perf_counter() - started_monitor
        return value

    started = time.perf_counter()
    fitted = fit_ranker(
        users,
        movies,
        train,
        config.ranker_config(),
        config.fit_config(),
        user_ids=user_ids,
        item_spec=ItemFeatureSpec(config.n_text_buckets),
        evaluate=monitor if monitor_split is not None else None,
        on_epoch=on_epoch,
        show_progress=show_progress,
    )
    return fitted, time.perf_counter() - started - monitor_seconds[0]


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
    _check_tables(users, movies, ratings)
    report(ProgressEvent("split", total_epochs=config.epochs, fraction=0.0))
    split = stratified_split(ratings, config.train_ratio, config.split_seed)
    user_ids = np.union1d(users["user_id"].to_numpy(dtype=np.int64), ratings["user_id"].to_numpy())
    indexed = IndexedSplit.from_tables(split.train, split.test, user_ids, movies["movie_id"])
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

    report(ProgressEvent("features", total_epochs=config.epochs, fraction=0.02))
    fitted, train_seconds = fit_monitored(
        users,
        movies,
        split.train,
        config,
        user_ids,
        indexed if has_test else None,
        on_epoch=on_epoch,
        show_progress=show_progress,
    )

    report(ProgressEvent("evaluate", config.epochs, config.epochs, fraction=0.92))
    metrics: dict[str, float] = {}
    if has_test:
        metrics.update(evaluate_scores(score_function(fitted.model, fitted.inputs), indexed))
        if fitted.model.corating is not None:
            towers = evaluate_scores(score_function(fitted.model, fitted.inputs, False), indexed)
            metrics.update(
                {f"towers_only/{k}": v for k, v in towers.items() if k != "n_eval_users"}
            )
    metrics["train_seconds"] = train_seconds
    metrics["peak_mb"] = peak_memory_mb()
    metrics.update(spike_rates(fitted.model, fitted.inputs))
    metrics.update(energy_summary(fitted.model, fitted.inputs))

    report(ProgressEvent("artifact", config.epochs, config.epochs, fraction=0.96))
    contents = artifact_contents(
        fitted,
        metrics,
        data_fingerprint(movies, ratings),
        extra_config={
            "model": config.model,
            "train": config.to_dict(),
            "served_model": "trained on the protocol's train split; metrics are its test scores",
        },
    )
    write_artifact(Path(out_dir), contents)
    history_rows = contents.metrics["history"]
    report(ProgressEvent("done", config.epochs, config.epochs, fraction=1.0))
    return TrainResult(
        metrics=metrics, artifact_path=Path(out_dir), config=config, history=history_rows
    )
