"""Most-popular: the floor every personalised model must clear."""

from __future__ import annotations

import numpy as np

from recsys.data.interactions import UserItemRows


class MostPopular:
    """Scores every item by how many users rated it in train; the same list for everyone."""

    def fit(self, train: UserItemRows) -> MostPopular:
        self.counts = train.item_counts().astype(np.float32)
        return self

    def score(self, users: np.ndarray) -> np.ndarray:
        return np.broadcast_to(self.counts, (len(users), len(self.counts))).copy()
