"""Most-popular: the floor every personalised model must clear."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from recsys.features.schema import UserQuery
from recsys.models.contract import TrainingData


class MostPopular:
    """Scores every item by how many users rated it in train; the same list for everyone."""

    def fit(self, data: TrainingData) -> MostPopular:
        self.counts = data.rows.item_counts().astype(np.float32)
        return self

    def score(self, users: np.ndarray) -> np.ndarray:
        return self._same_for(len(users))

    def score_queries(self, queries: Sequence[UserQuery]) -> np.ndarray:
        return self._same_for(len(queries))

    def _same_for(self, n_rows: int) -> np.ndarray:
        return np.broadcast_to(self.counts, (n_rows, len(self.counts))).copy()
