"""Second-order co-rating readout: coincidence units for pairs of rated movies.

The co-rating readout (:mod:`recsys.models.corating`) is linear in the rated-movie spikes:
movie ``j``'s readout neuron adds ``B[k, j]`` for every rated movie ``k``, so what two rated
movies say together is the sum of what each says alone. Some pairs mean more (or less) than
their sum — two sequels rated together, two films of one director — and a linear readout
cannot express that, however wide. Steck & Liang (2021, "Negative interactions for improved
collaborative filtering: don't go deeper, go higher") add such pairs to EASE as extra input
units ``x_a · x_b`` and fit both weight matrices jointly in closed form / ADMM.

In spiking terms a pair unit is a coincidence detector: an AND of two input spikes, the point
of a second-order (bilinear) synapse. Each readout neuron ``j`` then receives

    ``Σ_k x_k B[k, j]  +  Σ_p (x_a(p) · x_b(p)) C[p, j]``

with ``diag(B) = 0`` and ``C[p, j] = 0`` when ``j`` is one of the pair's own movies (a pair
would otherwise announce a rating of its own member). The pairs are the ``n_pairs`` most
co-rated movie pairs of the training ratings, as in the paper.

Fitting (the paper's ADMM, in float64): ``B`` is EASE's closed form on the residual
``X - Z C`` (the diagonal constraint by a Lagrange correction), ``C`` a ridge regression of the
residual ``X - X B`` on the pair units, and the zero constraint on ``C`` is enforced through an
auxiliary copy ``D`` (``C → D`` by a penalty ``rho``); the served pair weights are ``D``.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn

from recsys.data.interactions import UserItemRows
from recsys.models.corating import _valid_spikes


def top_pairs(x: np.ndarray, n_pairs: int, min_count: int = 2) -> np.ndarray:
    """(P, 2) int64 movie pairs ``a < b``, the ``n_pairs`` most co-rated (ties by index), each
    co-rated by at least ``min_count`` users; fewer when fewer pairs qualify."""
    if n_pairs < 1:
        return np.zeros((0, 2), dtype=np.int64)
    gram = x.T @ x
    a, b = np.triu_indices(gram.shape[0], k=1)
    counts = gram[a, b]
    keep = counts >= min_count
    a, b, counts = a[keep], b[keep], counts[keep]
    order = np.lexsort((b, a, -counts))[:n_pairs]
    return np.stack([a[order], b[order]], axis=1).astype(np.int64)


def pair_units(spikes: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """(users, P) coincidence-unit activity: fires when both movies of a pair spiked.

    For 0/1 spikes this is ``x_a · x_b``; signed serving-time amplitudes (a disliked movie
    inhibits) are clipped at 0 first, so an AND of two inhibitory inputs never fires.
    """
    positive = np.maximum(spikes, 0.0)
    return positive[:, pairs[:, 0]] * positive[:, pairs[:, 1]]


def fit_higher_order(
    interactions: UserItemRows | np.ndarray,
    pairs: np.ndarray,
    l2: float,
    pair_l2: float,
    rho: float | None = None,
    iterations: int = 20,
) -> tuple[np.ndarray, np.ndarray]:
    """(B, D): (n, n) linear synapses with a zero diagonal and (P, n) pair synapses, zero
    where the readout neuron is one of the pair's movies; float32.

    With no pairs ``B`` is exactly EASE's closed form (tests check it). ``rho`` is the ADMM
    penalty (default ``pair_l2``, large enough that ``C`` and ``D`` agree after a few
    iterations on small catalogues).
    """
    if l2 <= 0 or pair_l2 <= 0:
        raise ValueError(f"l2 and pair_l2 must be positive, got {l2}, {pair_l2}")
    if isinstance(interactions, UserItemRows):
        interactions = interactions.dense()
    x = np.asarray(interactions, dtype=np.float64)
    n = x.shape[1]
    rho = pair_l2 if rho is None else rho
    gram = x.T @ x
    precision = np.linalg.inv(gram + l2 * np.eye(n))
    p_diag = np.diag(precision)
    z = pair_units(x, pairs)
    ztx = z.T @ x
    pair_count = len(pairs)
    if pair_count == 0:
        weights = -precision / p_diag
        np.fill_diagonal(weights, 0.0)
        return weights.astype(np.float32), np.zeros((0, n), dtype=np.float32)
    pair_precision = np.linalg.inv(z.T @ z + (pair_l2 + rho) * np.eye(pair_count))
    mask = np.ones((pair_count, n))
    rows = np.arange(pair_count)
    mask[rows, pairs[:, 0]] = 0.0
    mask[rows, pairs[:, 1]] = 0.0
    c = np.zeros((pair_count, n))
    d = np.zeros((pair_count, n))
    u = np.zeros((pair_count, n))
    b = np.zeros((n, n))
    for _ in range(iterations):
        b = precision @ (gram - ztx.T @ d)
        b -= precision * (np.diag(b) / p_diag)  # the Lagrange step that zeroes diag(B)
        c = pair_precision @ (ztx - ztx @ b + rho * (d - u))
        d = c * mask
        u += c - d
    np.fill_diagonal(b, 0.0)
    return b.astype(np.float32), d.astype(np.float32)


class PairwiseCoRatingReadout(nn.Module):
    """The dense co-rating readout plus ``n_pairs`` coincidence units (``gain · (xB + zD)``).

    Same contract as :class:`~recsys.models.corating.CoRatingReadout` (``forward``,
    ``synaptic_input``, ``scores_for``, ``synapses_between``); the pairs and both weight
    matrices are buffers, fitted in closed form, saved with the model.
    """

    def __init__(self, n_items: int, gain: float, n_pairs: int, pair_l2: float) -> None:
        super().__init__()
        if n_pairs < 1:
            raise ValueError(f"n_pairs must be >= 1, got {n_pairs}")
        self.gain = float(gain)
        self.pair_l2 = float(pair_l2)
        self.register_buffer("weight", torch.zeros(n_items, n_items))
        self.register_buffer("pairs", torch.zeros(n_pairs, 2, dtype=torch.int64))
        self.register_buffer("pair_weight", torch.zeros(n_pairs, n_items))

    @property
    def n_items(self) -> int:
        return self.weight.shape[0]

    @property
    def n_pairs(self) -> int:
        return self.pairs.shape[0]

    def fit(self, interactions: UserItemRows | np.ndarray, l2: float) -> PairwiseCoRatingReadout:
        """Fit on 0/1 ``interactions``; if fewer than ``n_pairs`` pairs are co-rated twice,
        the rest are unit pairs (0, 1) with zero weights, so the buffers keep their size."""
        dense = interactions.dense() if isinstance(interactions, UserItemRows) else interactions
        dense = np.asarray(dense, dtype=np.float64)
        pairs = top_pairs(dense, self.n_pairs)
        weight, pair_weight = fit_higher_order(dense, pairs, l2, self.pair_l2)
        self.weight.copy_(torch.from_numpy(weight))
        self.pairs.zero_()
        self.pairs[:, 1] = 1
        self.pair_weight.zero_()
        self.pairs[: len(pairs)] = torch.from_numpy(pairs)
        self.pair_weight[: len(pairs)] = torch.from_numpy(pair_weight)
        return self

    def forward(self, spikes: Tensor) -> Tensor:
        """(B, n_items) 0/1 rated-movie spikes → (B, n_items) readout currents."""
        return self.gain * self.synaptic_input(spikes)

    def synaptic_input(self, spikes: Tensor) -> Tensor:
        positive = spikes.clamp(min=0.0)
        coincidences = positive[:, self.pairs[:, 0]] * positive[:, self.pairs[:, 1]]
        return spikes @ self.weight + coincidences @ self.pair_weight

    def scores_for(self, rated: np.ndarray, spikes: np.ndarray | None = None) -> np.ndarray:
        """One user's readout currents from the movies they rated (with spike amplitudes, 1 by
        default): the rows of the rated movies, plus the rows of the pairs that fired."""
        rated, spikes = _valid_spikes(rated, spikes, self.n_items)
        if len(rated) == 0:
            return np.zeros(self.n_items, dtype=np.float32)
        amplitude = np.zeros(self.n_items, dtype=np.float32)
        amplitude[rated] = spikes
        linear = (spikes[:, None] * self.weight.numpy()[rated]).sum(0)
        units = pair_units(amplitude[None, :], self.pairs.numpy())[0]
        fired = np.nonzero(units)[0]
        pairwise = (units[fired, None] * self.pair_weight.numpy()[fired]).sum(0)
        return self.gain * (linear + pairwise)

    def synapses_between(self, inputs: np.ndarray, readouts: np.ndarray) -> np.ndarray:
        """The linear synapses only (what one rated movie alone adds), without the gain."""
        return self.weight.numpy()[np.ix_(inputs, readouts)].copy()

    def extra_repr(self) -> str:
        return f"n_items={self.n_items}, gain={self.gain}, n_pairs={self.n_pairs}"
