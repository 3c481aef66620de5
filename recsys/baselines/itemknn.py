"""Item-kNN: score an item by its cosine similarity to what the user rated.

Keeping only each item's strongest neighbours (``n_neighbours``) removes the long tail of weak,
noisy co-occurrences; ``shrinkage`` damps similarities built on few common users. The defaults
are the benchmark's settings (chosen on the validation split, docs/benchmarks.md), so what a bare
``ItemKNN()`` fits is what the benchmark reports.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from recsys.features.schema import UserQuery
from recsys.models.contract import TrainingData


class ItemKNN:
    def __init__(self, n_neighbours: int = 400, shrinkage: float = 0.0) -> None:
        self.n_neighbours = n_neighbours
        self.shrinkage = shrinkage

    def fit(self, data: TrainingData) -> ItemKNN:
        self.data = data
        interactions = data.rows.dense()
        co_counts = interactions.T @ interactions
        norms = np.sqrt(np.diag(co_counts))
        similarity = co_counts / (np.outer(norms, norms) + self.shrinkage + 1e-9)
        np.fill_diagonal(similarity, 0.0)
        if self.n_neighbours < similarity.shape[0]:
            weakest = np.argpartition(-similarity, self.n_neighbours, axis=0)[self.n_neighbours :]
            np.put_along_axis(similarity, weakest, 0.0, axis=0)
        self.similarity = similarity.astype(np.float32)
        return self

    def score(self, users: np.ndarray) -> np.ndarray:
        return self.data.rows.dense(users) @ self.similarity

    def score_queries(self, queries: Sequence[UserQuery]) -> np.ndarray:
        return self.data.bags(queries) @ self.similarity
