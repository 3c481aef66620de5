"""Co-rating synapses: one readout neuron per movie, driven by the spikes of the rated movies.

Each movie the user rated emits one spike; movie ``j``'s readout neuron (a non-spiking leaky
integrator) adds ``B[k, j]`` for every rated movie ``k``. That is a full-rank item-item path:
the towers compress a user into a few dozen numbers, which caps how much of the co-rating
structure of the catalogue they can express (a movie activates ~9 of 512 item neurons; the
item embeddings had effective rank 39 of 64). Summed with the towers' score in the same readout
neuron, the two paths make different ranking errors and their sum ranks better than either
(docs/recsys.md).

The synapses are fitted in closed form, as a ridge-regression readout of input spikes (the
usual way to train the readout of a spiking reservoir): minimise ``||X - X B||² + l2 ||B||²``
with ``diag(B) = 0`` so no movie predicts itself (Steck 2019, "Embarrassingly shallow
autoencoders"). The solution is ``B = I - P / diag(P)`` with ``P = (XᵀX + l2 I)⁻¹``.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn


def item_item_ridge(interactions: np.ndarray, l2: float) -> np.ndarray:
    """(n_items, n_items) float32 weights with a zero diagonal, from a (users, items) 0/1 matrix.

    Solved in float64: the Gram matrix of a few thousand movies is well within reach, and the
    inverse loses too much in float32 when ``l2`` is small.
    """
    if l2 <= 0:
        raise ValueError(f"l2 must be positive (the Gram matrix can be singular), got {l2}")
    x = np.asarray(interactions, dtype=np.float64)
    gram = x.T @ x
    gram[np.diag_indices_from(gram)] += l2
    precision = np.linalg.inv(gram)
    weights = -precision / np.diag(precision)
    np.fill_diagonal(weights, 0.0)
    return weights.astype(np.float32)


class CoRatingReadout(nn.Module):
    """``gain · B`` applied to the rated-movie spikes: one input spike per rated movie.

    ``weight`` is a buffer, not a parameter: it is fitted in closed form and saved with the
    model, never touched by an optimizer. Movies added after training have no row or column:
    a rating of a new movie sends no spike here, and a new movie's readout gets nothing from
    this path (its score comes from the towers, which embed it from its content).
    """

    def __init__(self, n_items: int, gain: float) -> None:
        super().__init__()
        self.gain = float(gain)
        self.register_buffer("weight", torch.zeros(n_items, n_items))

    @property
    def n_items(self) -> int:
        return self.weight.shape[0]

    def fit(self, interactions: np.ndarray, l2: float) -> CoRatingReadout:
        self.weight.copy_(torch.from_numpy(item_item_ridge(interactions, l2)))
        return self

    def forward(self, spikes: Tensor) -> Tensor:
        """(B, n_items) 0/1 rated-movie spikes → (B, n_items) readout currents."""
        return self.gain * (spikes @ self.weight)

    def scores_for(self, rated: np.ndarray) -> np.ndarray:
        """One user's readout currents from the indices of the movies they rated (event-driven:
        only the rows of the movies that spiked are read)."""
        rated = np.asarray(rated, dtype=np.int64)
        rated = rated[(rated >= 0) & (rated < self.n_items)]
        if len(rated) == 0:
            return np.zeros(self.n_items, dtype=np.float32)
        return self.gain * self.weight.numpy()[rated].sum(0)

    def extra_repr(self) -> str:
        return f"n_items={self.n_items}, gain={self.gain}"
