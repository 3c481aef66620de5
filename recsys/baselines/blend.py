"""A blend of two conventional rankers: EASE + BPR-MF, the anchor the spiking hybrid must beat.

The served model is a *sum* of two rankers (spiking towers and the co-rating readout, whose
synapses are EASE's). A sum of any two good rankers usually beats each of them, so the fair
conventional anchor is a sum too: EASE plus BPR-MF, the strongest pair of simple models here.

Each model's scores are standardised per user (row mean 0, sd 1 over the catalogue), because
EASE's and BPR's scales are unrelated and differ from user to user; the blend is
``(1 - w) · z_EASE + w · z_BPR``. The weight ``w`` is chosen the way every other setting in
the benchmark is: on a validation split carved out of the data the model is fitted on (each
user's ratings 80/20, :data:`INNER_RATIO`), never on the test split. Both models are then
refitted on all of it with the chosen weight.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from recsys.constants import MOVIE_ID, RATING, USER_ID
from recsys.data.interactions import IndexedSplit, UserItemRows
from recsys.data.split import stratified_split
from recsys.evaluation.harness import evaluate_model
from recsys.metrics.names import NDCG_AT_10
from recsys.models.contract import RecommenderModel, TrainingData

#: Share of each user's training ratings the inner fit keeps; the rest choose the weight.
INNER_RATIO = 0.8
#: Blend weights tried (the weight of the second model).
WEIGHTS = tuple(round(0.1 * i, 1) for i in range(11))


def standardise_rows(scores: np.ndarray) -> np.ndarray:
    """Each row to mean 0 and sd 1 (a constant row becomes zeros), in float64."""
    scores = np.asarray(scores, dtype=np.float64)
    centred = scores - scores.mean(axis=1, keepdims=True)
    sd = centred.std(axis=1, keepdims=True)
    return np.divide(centred, sd, out=np.zeros_like(centred), where=sd > 0)


def carve_rows(rows: UserItemRows, ratio: float, seed: int) -> IndexedSplit:
    """Each user's training ratings split ``ratio`` / rest, in the same index space (the
    stratified rule of :func:`recsys.data.split.stratified_split`)."""
    users, items = rows.pairs()
    table = pd.DataFrame({USER_ID: users, MOVIE_ID: items, RATING: rows.ratings})
    split = stratified_split(table, ratio, seed)
    return IndexedSplit.from_tables(
        split.train, split.test, np.arange(rows.n_users), np.arange(rows.n_items)
    )


@dataclass
class _Blended:
    """Scores of two fitted models blended with weight ``weight`` on the second."""

    first: RecommenderModel
    second: RecommenderModel
    weight: float

    def score(self, users: np.ndarray) -> np.ndarray:
        a = standardise_rows(self.first.score(users))
        b = standardise_rows(self.second.score(users))
        return (1.0 - self.weight) * a + self.weight * b


@dataclass
class ScoreBlend:
    """Two models' row-standardised scores, summed with a weight chosen on an inner validation
    split; keeps the model contract (``fit``, ``score``)."""

    make_first: Callable[[], RecommenderModel]
    make_second: Callable[[], RecommenderModel]
    seed: int = 42
    weights: tuple[float, ...] = WEIGHTS
    #: nDCG@10 on the inner validation split for each weight tried (filled by ``fit``).
    validation: dict[float, float] = field(default_factory=dict)
    weight: float | None = None

    def fit(self, data: TrainingData) -> ScoreBlend:
        inner = carve_rows(data.rows, INNER_RATIO, self.seed)
        inner_data = TrainingData(
            inner.train, data.user_map, data.item_map, data.users, data.movies
        )
        first, second = self.make_first().fit(inner_data), self.make_second().fit(inner_data)
        self.validation = {
            w: evaluate_model(_Blended(first, second, w), inner)[NDCG_AT_10] for w in self.weights
        }
        # The best weight; ties go to the smaller weight on the second model.
        self.weight = max(self.weights, key=lambda w: (self.validation[w], -w))
        self._fitted = _Blended(
            self.make_first().fit(data), self.make_second().fit(data), self.weight
        )
        return self

    def score(self, users: np.ndarray) -> np.ndarray:
        return self._fitted.score(users)
