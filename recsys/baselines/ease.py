"""EASE (Steck 2019, "Embarrassingly Shallow Autoencoders for Sparse Data").

A closed-form item-item model: ``B = argmin ||X - X B||² + l2 ||B||²`` with a zero diagonal,
scores ``X_u B``. On this protocol it is the strongest simple model, fitted in about a second,
so it is the bar the spiking ranker is measured against. The solver is the one the spiking
ranker's co-rating readout uses (:func:`recsys.models.corating.item_item_ridge`): the baseline
is that readout alone, with no towers and no spikes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from recsys.features.schema import UserQuery
from recsys.models.contract import TrainingData
from recsys.models.corating import item_item_ridge


class EASE:
    def __init__(self, l2: float = 300.0) -> None:
        self.l2 = l2

    def fit(self, data: TrainingData) -> EASE:
        self.data = data
        self.weights = item_item_ridge(data.rows.dense(), self.l2)
        return self

    def score(self, users: np.ndarray) -> np.ndarray:
        return self.data.rows.dense(users) @ self.weights

    def score_queries(self, queries: Sequence[UserQuery]) -> np.ndarray:
        return self.data.bags(queries) @ self.weights
