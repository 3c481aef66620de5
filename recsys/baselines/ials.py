"""iALS (Hu, Koren & Volinsky 2008) through the maintained ``implicit`` library.

Implicit-feedback matrix factorisation by alternating least squares: every rated movie is a
positive with confidence ``1 + alpha``, every other movie a zero with confidence 1. Rendle et
al. (2022, "Revisiting the performance of iALS on item recommendation benchmarks") show that a
well-tuned iALS is competitive with much newer models, so it is an anchor worth having; its
settings are chosen on the validation split like every other model's (docs/benchmarks.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from recsys.models.contract import TrainingData


@dataclass
class IALSConfig:
    """The defaults are the benchmark's settings, chosen on the validation split from factors
    64/128/256 × regularization 10–100 × alpha 2–30 (docs/benchmarks.md, *Fair anchors*)."""

    factors: int = 128
    regularization: float = 30.0
    alpha: float = 3.0  # confidence of a rated movie is 1 + alpha
    iterations: int = 15
    seed: int = 42
    threads: int = 1  # implicit's own OpenMP threads (the benchmark runs at one core)


class IALS:
    """Keeps the model contract (``fit``, ``score``) but not ``score_queries``: its user vectors
    are solved per training user."""

    def __init__(self, config: IALSConfig | None = None) -> None:
        self.config = config or IALSConfig()

    def fit(self, data: TrainingData) -> IALS:
        from implicit.cpu.als import AlternatingLeastSquares
        from threadpoolctl import threadpool_limits

        rows = data.rows
        users, items = rows.pairs()
        matrix = sparse.csr_matrix(
            (np.ones(len(items), dtype=np.float32), (users, items)),
            shape=(rows.n_users, rows.n_items),
        )
        # implicit scales the stored 1s by alpha: a rated movie's confidence is 1 + alpha. It
        # runs its own threads; a BLAS thread pool under them only oversubscribes.
        with threadpool_limits(1, "blas"):
            model = AlternatingLeastSquares(
                factors=self.config.factors,
                regularization=self.config.regularization,
                alpha=self.config.alpha,
                iterations=self.config.iterations,
                random_state=self.config.seed,
                num_threads=self.config.threads,
            )
            model.fit(matrix, show_progress=False)
        self.user_factors = np.asarray(model.user_factors)
        self.item_factors = np.asarray(model.item_factors)
        return self

    def score(self, users: np.ndarray) -> np.ndarray:
        return self.user_factors[np.asarray(users)] @ self.item_factors.T
