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

That objective separates by column: readout neuron ``j``'s synapses are the ridge regression of
movie ``j``'s column on the other movies' columns. :func:`neighbourhood_ridge` keeps that
regression but lets neuron ``j`` listen only to its ``k`` most co-rated movies, so each neuron
solves a ``k × k`` system and the whole readout holds ``n · k`` synapses in CSR form instead of
``n²``: at MovieLens-25M's 62,000 movies the dense matrix would be 15 GB and its inverse
~2·10¹⁴ flops, the neighbourhood readout (k = 200) 12 M synapses. With ``k = n - 1`` it is
exactly the dense solution (tests check it).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import Tensor, nn

from recsys.data.interactions import UserItemRows

if TYPE_CHECKING:  # scipy is a fitting tool: serving imports this module without it
    import scipy.sparse as sp

#: Candidate neighbours per readout neuron are drawn from at most this many of the most rated
#: movies: their co-rating counts with each other are kept as one dense (pool × pool) matrix
#: (8192² float32 = 256 MB), which every neuron's k × k system is read from. Under a power-law
#: popularity a movie's most co-rated movies are popular ones, so the pool loses little; below
#: this many movies it is the whole catalogue and nothing is lost.
DEFAULT_POOL = 8192


def _binary_rows(interactions: UserItemRows | np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """(indptr, items, n_items) of the rated/unrated pattern, CSR by user."""
    if isinstance(interactions, UserItemRows):
        return interactions.indptr, interactions.items, interactions.n_items
    dense = np.asarray(interactions)
    if dense.ndim != 2:
        raise ValueError(f"interactions must be a (users, items) matrix, got shape {dense.shape}")
    users, items = np.nonzero(dense)
    indptr = np.zeros(dense.shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(users, minlength=dense.shape[0]), out=indptr[1:])
    return indptr, items.astype(np.int64), dense.shape[1]


def item_item_ridge(interactions: UserItemRows | np.ndarray, l2: float) -> np.ndarray:
    """(n_items, n_items) float32 weights with a zero diagonal, from a (users, items) 0/1 matrix.

    Solved in float64: the Gram matrix of a few thousand movies is well within reach, and the
    inverse loses too much in float32 when ``l2`` is small.
    """
    if l2 <= 0:
        raise ValueError(f"l2 must be positive (the Gram matrix can be singular), got {l2}")
    if isinstance(interactions, UserItemRows):
        interactions = interactions.dense()
    x = np.asarray(interactions, dtype=np.float64)
    gram = x.T @ x
    gram[np.diag_indices_from(gram)] += l2
    precision = np.linalg.inv(gram)
    weights = -precision / np.diag(precision)
    np.fill_diagonal(weights, 0.0)
    return weights.astype(np.float32)


@dataclass(frozen=True)
class SparseSynapses:
    """An (n, n) synapse matrix in CSR form, one row per presynaptic (rated) movie.

    Rows are what a request reads (one per rated movie), so the layout is by input, not by
    readout neuron; ``indices`` holds the readout neurons each input reaches.
    """

    indptr: np.ndarray  # (n + 1,) int64
    indices: np.ndarray  # (nnz,) int32, sorted within each row
    values: np.ndarray  # (nnz,) float32
    n: int

    def dense(self) -> np.ndarray:
        out = np.zeros((self.n, self.n), dtype=np.float32)
        rows = np.repeat(np.arange(self.n), np.diff(self.indptr))
        out[rows, self.indices] = self.values
        return out


def csr_tensor(crow: Tensor, col: Tensor, values: Tensor, shape: tuple[int, int]) -> Tensor:
    """A torch CSR tensor, without torch's once-per-process "beta" warning: the operations used
    here (CSR × CSR, dense × CSR) are the stable core of it."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
        return torch.sparse_csr_tensor(crow, col, values, shape, check_invariants=False)


def neighbourhood_ridge(
    interactions: UserItemRows | np.ndarray,
    l2: float,
    neighbours: int,
    pool: int = DEFAULT_POOL,
    block: int = 256,
    solve_bytes: int = 32 * 2**20,
) -> SparseSynapses:
    """Each readout neuron's ridge regression on its ``neighbours`` most co-rated movies.

    Never forms an n × n matrix. The co-rating counts are computed ``block`` target movies at a
    time as a sparse product ``X[:, block]ᵀ X[:, pool]`` with the ``pool`` most rated movies
    (:func:`co_counts`: work at most Σ_users ratings², the same as counting co-ratings pair by
    pair, in memory bounded by the table plus one block's counts); the pool's own counts are
    kept as one dense matrix. Neuron ``j``'s synapses then solve
    ``(G[N, N] + l2 I) b = G[N, j]`` over its neighbourhood ``N`` (a batched Cholesky solve in
    float64, like the dense inverse).
    """
    if l2 <= 0:
        raise ValueError(f"l2 must be positive (the Gram matrix can be singular), got {l2}")
    indptr, items, n = _binary_rows(interactions)
    if n < 2:
        raise ValueError(f"a co-rating readout needs at least two movies, got {n}")
    if neighbours < 1:
        raise ValueError(f"neighbours must be >= 1, got {neighbours}")
    k = min(neighbours, n - 1)
    n_pool = min(n, max(pool, k + 1))
    popularity = np.bincount(items, minlength=n)
    # Most rated first; ties by index, so the pool (and every choice below) is deterministic.
    by_popularity = np.lexsort((np.arange(n), -popularity))
    pool_items = by_popularity[:n_pool]
    pool_position = np.full(n, -1, dtype=np.int64)
    pool_position[pool_items] = np.arange(n_pool)

    item_rows, pool_columns = co_count_operands(indptr, items, by_popularity, n_pool)
    pool_gram = np.zeros((n_pool, n_pool), dtype=np.float32)
    chosen = np.empty((n, k), dtype=np.int64)  # pool positions of each neuron's neighbours
    rhs = np.empty((n, k), dtype=np.float32)
    for start in range(0, n, block):
        targets = by_popularity[start : start + block]  # pool members come first, in order
        counts = co_counts(item_rows, pool_columns, start, start + len(targets))
        in_pool = pool_position[targets] >= 0
        pool_gram[pool_position[targets[in_pool]]] = counts[in_pool]
        candidates = counts.copy()
        rows = np.nonzero(in_pool)[0]
        candidates[rows, pool_position[targets[rows]]] = -1.0  # a movie never predicts itself
        top = np.argpartition(-candidates, k - 1, axis=1)[:, :k] if k < n_pool else None
        if top is None:  # the whole pool minus the movie itself
            top = np.argsort(candidates < 0, axis=1, kind="stable")[:, :k]
        top.sort(axis=1)
        chosen[targets] = top
        rhs[targets] = np.take_along_axis(counts, top, axis=1)
    pool_gram = torch.from_numpy(pool_gram)

    values = np.empty((n, k), dtype=np.float32)
    solve_batch = max(1, solve_bytes // (8 * k * k))  # float64 systems held at once
    eye = l2 * torch.eye(k, dtype=torch.float64)
    for start in range(0, n, solve_batch):
        rows = torch.from_numpy(chosen[start : start + solve_batch])
        system = pool_gram[rows[:, :, None], rows[:, None, :]].double() + eye
        right = torch.from_numpy(rhs[start : start + solve_batch]).double().unsqueeze(-1)
        factor = torch.linalg.cholesky(system)
        values[start : start + solve_batch] = torch.cholesky_solve(right, factor)[..., 0].numpy()
    return _by_input(pool_items[chosen], values, n)


def co_count_operands(
    indptr: np.ndarray, items: np.ndarray, by_popularity: np.ndarray, n_pool: int
) -> tuple[sp.csr_array, sp.csr_array]:
    """The two sides of the co-rating count, with movies renumbered by popularity rank.

    ``item_rows`` is ``Xᵀ`` (movies × users, by rank), so a block of consecutive ranks is a
    slice; ``pool_columns`` is ``X`` restricted to the ``n_pool`` most rated movies (users ×
    pool, column = rank = pool position). Both hold ones in float32: counts are integers far
    below 2²⁴, so float32 sums are exact.
    """
    import scipy.sparse as sp

    n = len(by_popularity)
    rank = np.empty(n, dtype=np.int64)
    rank[by_popularity] = np.arange(n)
    ranked = rank[items]
    n_users = len(indptr) - 1
    ones = np.ones(len(items), dtype=np.float32)
    x = sp.csr_array((ones, ranked, indptr), shape=(n_users, n))
    item_rows = x.T.tocsr()  # a counting sort by movie: users stay in order within each row
    del x
    keep = ranked < n_pool
    kept_before = np.zeros(len(items) + 1, dtype=np.int64)
    np.cumsum(keep, out=kept_before[1:])
    pool_columns = sp.csr_array(
        (ones[: kept_before[-1]], ranked[keep], kept_before[indptr]), shape=(n_users, n_pool)
    )
    return item_rows, pool_columns


def co_counts(
    item_rows: sp.csr_array, pool_columns: sp.csr_array, start: int, stop: int
) -> np.ndarray:
    """(stop - start, pool) co-rating counts of the movies ranked ``start:stop`` with the pool.

    A sparse × sparse product (scipy's row-by-row SMMP: work Σ over users of block ratings ×
    pool ratings, memory the inputs plus the block's result), so no step ever holds more than
    one ``block × pool`` array however many ratings the table has.
    """
    return (item_rows[start:stop] @ pool_columns).toarray()


def _by_input(neighbour_items: np.ndarray, values: np.ndarray, n: int) -> SparseSynapses:
    """Per-neuron (n, k) neighbour lists → CSR rows by presynaptic movie."""
    inputs = neighbour_items.ravel()
    outputs = np.repeat(np.arange(n, dtype=np.int64), neighbour_items.shape[1])
    order = np.lexsort((outputs, inputs))
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(inputs, minlength=n), out=indptr[1:])
    return SparseSynapses(
        indptr=indptr,
        indices=outputs[order].astype(np.int32),
        values=values.ravel()[order].astype(np.float32),
        n=n,
    )


def gather_rows_sum(
    synapses: SparseSynapses, rated: np.ndarray, spikes: np.ndarray | None = None
) -> np.ndarray:
    """Σ over ``rated`` of their CSR rows (each times its ``spikes`` amplitude, 1 by default),
    as a dense (n,) float32 vector, with no Python loop over the rated movies: one gather of
    every row's entries, one weighted bincount."""
    starts = synapses.indptr[rated]
    lengths = synapses.indptr[rated + 1] - starts
    offsets = np.cumsum(lengths) - lengths
    positions = np.repeat(starts - offsets, lengths) + np.arange(int(lengths.sum()))
    weights = synapses.values[positions]
    if spikes is not None:
        weights = weights * np.repeat(np.asarray(spikes, dtype=np.float32), lengths)
    summed = np.bincount(synapses.indices[positions], weights=weights, minlength=synapses.n)
    return summed.astype(np.float32)


def _valid_spikes(
    rated: np.ndarray, spikes: np.ndarray | None, n_items: int
) -> tuple[np.ndarray, np.ndarray]:
    """The rated movies the readout connects, with their spike amplitudes (1 when not given)."""
    rated = np.asarray(rated, dtype=np.int64)
    spikes = (
        np.ones(len(rated), dtype=np.float32)
        if spikes is None
        else np.asarray(spikes, dtype=np.float32)
    )
    if spikes.shape != rated.shape:
        raise ValueError(f"{len(spikes)} spike amplitudes for {len(rated)} rated movies")
    valid = (rated >= 0) & (rated < n_items)
    return rated[valid], spikes[valid]


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

    def fit(self, interactions: UserItemRows | np.ndarray, l2: float) -> CoRatingReadout:
        self.weight.copy_(torch.from_numpy(item_item_ridge(interactions, l2)))
        return self

    def forward(self, spikes: Tensor) -> Tensor:
        """(B, n_items) 0/1 rated-movie spikes → (B, n_items) readout currents."""
        return self.gain * self.synaptic_input(spikes)

    def synaptic_input(self, spikes: Tensor) -> Tensor:
        """``spikes @ B`` without the gain: what the distillation teacher reads."""
        return spikes @ self.weight

    def scores_for(self, rated: np.ndarray, spikes: np.ndarray | None = None) -> np.ndarray:
        """One user's readout currents from the indices of the movies they rated (event-driven:
        only the rows of the movies that spiked are read). ``spikes`` gives each rated movie's
        spike amplitude (signed: a disliked movie inhibits its neighbours); 1 each by default,
        as in training."""
        rated, spikes = _valid_spikes(rated, spikes, self.n_items)
        if len(rated) == 0:
            return np.zeros(self.n_items, dtype=np.float32)
        return self.gain * (spikes[:, None] * self.weight.numpy()[rated]).sum(0)

    def synapses_between(self, inputs: np.ndarray, readouts: np.ndarray) -> np.ndarray:
        """(len(inputs), len(readouts)) synaptic weights from rated movies to readout neurons,
        without the gain: what each rated movie's spike adds to each readout's current."""
        return self.weight.numpy()[np.ix_(inputs, readouts)].copy()

    def extra_repr(self) -> str:
        return f"n_items={self.n_items}, gain={self.gain}"


class SparseCoRatingReadout(nn.Module):
    """The readout with each neuron's synapses restricted to its ``neighbours`` most co-rated
    movies (:func:`neighbourhood_ridge`), stored as CSR buffers by presynaptic movie.

    Every neuron keeps exactly ``min(neighbours, n_items - 1)`` synapses, so the buffers' sizes
    follow from the configuration and a saved model loads with ``strict=True`` like any other.
    """

    def __init__(self, n_items: int, gain: float, neighbours: int) -> None:
        super().__init__()
        if n_items < 2 or neighbours < 1:
            raise ValueError(f"need n_items >= 2 and neighbours >= 1, got {n_items}, {neighbours}")
        self.gain = float(gain)
        self.neighbours = min(int(neighbours), n_items - 1)
        nnz = n_items * self.neighbours
        self.register_buffer("indptr", torch.zeros(n_items + 1, dtype=torch.int64))
        self.register_buffer("indices", torch.zeros(nnz, dtype=torch.int32))
        self.register_buffer("values", torch.zeros(nnz, dtype=torch.float32))

    @property
    def n_items(self) -> int:
        return self.indptr.shape[0] - 1

    def synapses(self) -> SparseSynapses:
        """Numpy views of the buffers (no copy)."""
        return SparseSynapses(
            self.indptr.numpy(), self.indices.numpy(), self.values.numpy(), self.n_items
        )

    def fit(
        self, interactions: UserItemRows | np.ndarray, l2: float, pool: int = DEFAULT_POOL
    ) -> SparseCoRatingReadout:
        fitted = neighbourhood_ridge(interactions, l2, self.neighbours, pool=pool)
        if fitted.n != self.n_items:
            raise ValueError(f"readout has {self.n_items} movies, the data {fitted.n}")
        self.indptr.copy_(torch.from_numpy(fitted.indptr))
        self.indices.copy_(torch.from_numpy(fitted.indices))
        self.values.copy_(torch.from_numpy(fitted.values))
        return self

    def forward(self, spikes: Tensor) -> Tensor:
        """(B, n_items) 0/1 rated-movie spikes → (B, n_items) readout currents."""
        return self.gain * self.synaptic_input(spikes)

    def synaptic_input(self, spikes: Tensor) -> Tensor:
        """``spikes @ B`` without the gain, with ``B`` kept in CSR form (never n × n)."""
        weight = csr_tensor(
            self.indptr,
            self.indices.long(),
            self.values,
            (self.n_items, self.n_items),
        )
        return spikes @ weight

    def scores_for(self, rated: np.ndarray, spikes: np.ndarray | None = None) -> np.ndarray:
        """One user's readout currents: the CSR rows of the rated movies, each scaled by its
        spike amplitude (1 by default, as in training), summed."""
        rated, spikes = _valid_spikes(rated, spikes, self.n_items)
        if len(rated) == 0:
            return np.zeros(self.n_items, dtype=np.float32)
        return self.gain * gather_rows_sum(self.synapses(), rated, spikes)

    def synapses_between(self, inputs: np.ndarray, readouts: np.ndarray) -> np.ndarray:
        """(len(inputs), len(readouts)) synaptic weights, 0 where a readout neuron does not
        listen to that movie; without the gain."""
        synapses = self.synapses()
        out = np.zeros((len(inputs), len(readouts)), dtype=np.float32)
        readouts = np.asarray(readouts, dtype=np.int64)
        for row, source in enumerate(np.asarray(inputs, dtype=np.int64)):
            start, stop = synapses.indptr[source], synapses.indptr[source + 1]
            targets = synapses.indices[start:stop]  # sorted within the row
            where = np.searchsorted(targets, readouts)
            hit = where < len(targets)
            hit[hit] = targets[where[hit]] == readouts[hit]
            out[row, hit] = synapses.values[start + where[hit]]
        return out

    def extra_repr(self) -> str:
        return f"n_items={self.n_items}, gain={self.gain}, neighbours={self.neighbours}"


def synapses_per_neuron(n_items: int, neighbours: int, dense_up_to: int) -> int:
    """0 (dense: every movie pair) for catalogues of at most ``dense_up_to`` movies or when
    ``neighbours`` is 0, else ``neighbours``: the one switch between the two readouts."""
    return neighbours if neighbours > 0 and n_items > dense_up_to else 0


def corating_readout(
    n_items: int, gain: float, neighbours: int
) -> CoRatingReadout | SparseCoRatingReadout:
    """The dense readout for ``neighbours == 0`` (every movie pair), else the sparse one."""
    if neighbours == 0:
        return CoRatingReadout(n_items, gain)
    return SparseCoRatingReadout(n_items, gain, neighbours)
