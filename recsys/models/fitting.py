"""From training data to a fitted spiking ranker, and the ranker behind the model contract.

:class:`SpikingRanker` is the spiking ranker as a :class:`~recsys.models.contract.RecommenderModel`
(and a :class:`~recsys.models.contract.QueryScorer`): built from the one run configuration,
fitted on :class:`~recsys.models.contract.TrainingData`, scoring the whole catalogue. The
training pipeline adds the protocol split, evaluation and the artifact around it; tests and
notebooks can call ``SpikingRanker(config).fit(data)`` directly (no split, no files), with
:meth:`~recsys.models.contract.TrainingData.from_tables` for plain tables. That is the one
public way to fit it; the functions below are its parts.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from recsys.data.genres import GENRES
from recsys.data.interactions import IdMap, UserItemRows
from recsys.features.builder import FeatureBuilder
from recsys.features.items import ItemFeatureSpec
from recsys.features.schema import UserQuery
from recsys.models.batches import TowerInputs
from recsys.models.config import TrainConfig
from recsys.models.contract import TrainingData
from recsys.models.ranker import RankerConfig, TwoTowerRanker
from recsys.models.scoring import RankerScores, all_embeddings
from recsys.models.teacher import CoRatingTeacher
from recsys.models.trainer import EpochReport, FitConfig, fit_two_tower


@dataclass
class FittedRanker:
    model: TwoTowerRanker
    builder: FeatureBuilder
    inputs: TowerInputs
    user_map: IdMap
    item_map: IdMap
    history: list[EpochReport]

    def item_matrix(self) -> np.ndarray:
        return all_embeddings(self.model, self.inputs)[1]


def build_tower_inputs(
    builder: FeatureBuilder,
    users: pd.DataFrame,
    user_map: IdMap,
    train: UserItemRows,
    item_map: IdMap,
) -> TowerInputs:
    static = builder.training_user_static(users, user_map, train, item_map)
    n_genres = len(GENRES)
    return TowerInputs(
        train=train,
        user_static=np.ascontiguousarray(static),
        mix_columns=slice(static.shape[1] - n_genres, static.shape[1]),
        profile_groups=tuple(builder.user_spec.profile_groups()),
        item_content=builder.item_content,
        item_cold_content=builder.cold_item_content(),
    )


def _features(
    data: TrainingData, item_spec: ItemFeatureSpec | None = None
) -> tuple[FeatureBuilder, TowerInputs]:
    """Fitted feature builder and tower inputs; the ranker reads profiles and content."""
    if data.users is None or data.movies is None:
        raise ValueError("the spiking ranker needs the users and movies tables in TrainingData")
    builder = FeatureBuilder.fit(data.movies, data.users, data.rows, data.item_map, item_spec)
    inputs = build_tower_inputs(builder, data.users, data.user_map, data.rows, data.item_map)
    return builder, inputs


def _fit_ranker(
    data: TrainingData,
    ranker_config: RankerConfig,
    fit_config: FitConfig,
    item_spec: ItemFeatureSpec | None = None,
    evaluate: Callable[[TwoTowerRanker, TowerInputs], float] | None = None,
    on_epoch: Callable[[EpochReport], None] | None = None,
    show_progress: bool = True,
) -> FittedRanker:
    """The fit behind :meth:`SpikingRanker.fit`, on the two parts of the run configuration.

    Private: :meth:`SpikingRanker.fit` is the one public way to fit. The tests reach it
    directly because they train tower combinations that no named model pins (a BPTT tower
    with linear synapses, say), which a :class:`TrainConfig` refuses by design."""
    builder, inputs = _features(data, item_spec)
    ranker_config = ranker_config.fitted_to(data.n_items)
    torch.manual_seed(fit_config.seed)
    model = TwoTowerRanker(builder.n_user_inputs, builder.n_item_inputs, ranker_config)
    teacher = None
    if model.corating is not None:
        # Closed form and independent of the towers: fitted first, so the per-epoch monitor
        # already scores the whole model. It is also the distillation teacher (same ``l2``,
        # same dense/neighbourhood switch), so the teacher is not fitted a second time.
        model.corating.fit(inputs.train, fit_config.corating_l2)
        teacher = CoRatingTeacher(model.corating)
    history = fit_two_tower(
        model,
        inputs,
        fit_config,
        evaluate=(lambda m: evaluate(m, inputs)) if evaluate is not None else None,
        on_epoch=on_epoch,
        show_progress=show_progress,
        teacher=teacher,
    )
    return FittedRanker(model, builder, inputs, data.user_map, data.item_map, history)


class SpikingRanker:
    """The spiking ranker behind the model contract.

    ``config`` is the run's :class:`~recsys.models.config.TrainConfig` (its ``ranker``, ``fit``
    and ``n_text_buckets``; the split settings belong to the pipeline). ``evaluate`` and
    ``on_epoch`` are the training monitor (reported, never used to stop or select).
    """

    def __init__(
        self,
        config: TrainConfig | None = None,
        evaluate: Callable[[TwoTowerRanker, TowerInputs], float] | None = None,
        on_epoch: Callable[[EpochReport], None] | None = None,
        show_progress: bool = False,
    ) -> None:
        self.config = config or TrainConfig()
        self._evaluate = evaluate
        self._on_epoch = on_epoch
        self._show_progress = show_progress
        self.fitted: FittedRanker | None = None
        self._scores: RankerScores | None = None
        #: Seconds :meth:`fit` took, less the time spent in ``evaluate``: the monitor is
        #: reporting, not training, so it is not counted.
        self.train_seconds = 0.0

    def features(self, data: TrainingData) -> tuple[FeatureBuilder, TowerInputs]:
        """The fitted feature builder and tower inputs :meth:`fit` starts from, without
        training (the committee's members and the scale runs build their models on them)."""
        return _features(data, ItemFeatureSpec(self.config.n_text_buckets))

    def fit(self, data: TrainingData) -> SpikingRanker:
        monitor_seconds = 0.0
        evaluate = self._evaluate

        def timed_evaluate(model: TwoTowerRanker, inputs: TowerInputs) -> float:
            nonlocal monitor_seconds
            started_monitor = time.perf_counter()
            value = evaluate(model, inputs)
            monitor_seconds += time.perf_counter() - started_monitor
            return value

        started = time.perf_counter()
        self.fitted = _fit_ranker(
            data,
            self.config.ranker,
            self.config.fit,
            ItemFeatureSpec(self.config.n_text_buckets),
            timed_evaluate if evaluate is not None else None,
            self._on_epoch,
            self._show_progress,
        )
        self.train_seconds = time.perf_counter() - started - monitor_seconds
        self._scores = None  # embeddings are computed on the first score, not in training
        return self

    def score(self, users: np.ndarray) -> np.ndarray:
        """Towers plus the co-rating readout of each user's training ratings."""
        return self._fitted_scores().score(users)

    def towers_only(self) -> RankerScores:
        """The towers' part of :meth:`score` alone, to measure what the readout adds."""
        fitted = self._require_fitted()
        return RankerScores(fitted.model, fitted.inputs, with_corating=False)

    @torch.no_grad()
    def score_queries(self, queries: Sequence[UserQuery]) -> np.ndarray:
        """Scores from each query's profile and current ratings, as the site computes them."""
        fitted = self._require_fitted()
        rows = np.stack([fitted.builder.user_row(q, fitted.item_map) for q in queries])
        users = fitted.model.user_embeddings(torch.from_numpy(rows)).numpy()
        scores = users @ self._fitted_scores().item_matrix.T
        corating = fitted.model.corating
        if corating is not None:
            spikes = np.zeros((len(queries), len(fitted.item_map)), dtype=np.float32)
            for row, query in enumerate(queries):
                spikes[row, fitted.item_map.indices_of(_known(query, fitted.item_map))] = 1.0
            scores = scores + corating(torch.from_numpy(spikes)).numpy()
        return scores

    def _require_fitted(self) -> FittedRanker:
        if self.fitted is None:
            raise RuntimeError("SpikingRanker.fit has not been called")
        return self.fitted

    def _fitted_scores(self) -> RankerScores:
        if self._scores is None:
            fitted = self._require_fitted()
            self._scores = RankerScores(fitted.model, fitted.inputs)
        return self._scores


def _known(query: UserQuery, item_map: IdMap) -> list[int]:
    return [movie for movie in query.ratings if movie in item_map]
