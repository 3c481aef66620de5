"""The distillation teacher: the co-rating readout's scores of a batch's train ratings.

Deeper tower blocks can learn the unrated movies' targets from a teacher (``FitConfig``'s
``distill_*``): the co-rating (EASE-like) scores ``ratings @ B``. The teacher *is* the ranker's
co-rating readout without its gain, fitted the same way and with the same switch
(:func:`recsys.models.corating.synapses_per_neuron`): the exact dense ``B`` up to
``dense_up_to`` movies, above it each neuron's ``neighbours`` most co-rated movies in CSR
form, so at MovieLens-25M's 62,000 movies no n × n matrix is built for training either.

The teacher lives in the fitter, never in the saved or served model.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from recsys.data.interactions import UserItemRows
from recsys.models import defaults
from recsys.models.corating import (
    CoRatingReadout,
    SparseCoRatingReadout,
    SparseSynapses,
    corating_readout,
    csr_tensor,
    synapses_per_neuron,
)
from recsys.models.ranker import RankerConfig


class CoRatingTeacher:
    """Teacher scores from a fitted co-rating readout (dense or neighbourhood).

    A neighbourhood readout's synapses are also kept by readout neuron (``Bᵀ`` in CSR, 150 MB
    at 62,000 movies and k = 200): a batch's scores are then one sparse × dense product, whose
    work is the synapse count times the batch. Through the readout's own layout (by rated
    movie) torch's dense × CSR product took 2.1 s per batch of 64 at ML-25M's shape, this
    0.1 s (docs/scaling.md).
    """

    def __init__(self, readout: CoRatingReadout | SparseCoRatingReadout) -> None:
        self.readout = readout
        self._by_neuron: SparseSynapses | None = None
        self._by_neuron_tensor: Tensor | None = None
        if isinstance(readout, SparseCoRatingReadout):
            self._by_neuron = _by_neuron(readout.synapses())
            self._by_neuron_tensor = _tensor(self._by_neuron, np.arange(readout.n_items))

    @classmethod
    def fit(
        cls,
        train: UserItemRows,
        l2: float,
        neighbours: int = defaults.CORATING_NEIGHBOURS,
        dense_up_to: int = defaults.CORATING_DENSE_UP_TO,
    ) -> CoRatingTeacher:
        """Fit the readout the ranker would fit for ``train`` (gain 1: the teacher's scale is
        the ridge solution's, as the distillation weight was chosen for)."""
        k = synapses_per_neuron(train.n_items, neighbours, dense_up_to)
        return cls(corating_readout(train.n_items, 1.0, k).fit(train, l2))

    @classmethod
    def for_ranker(cls, config: RankerConfig, train: UserItemRows, l2: float) -> CoRatingTeacher:
        """The teacher with ``config``'s readout switch (``corating_neighbours`` above
        ``corating_dense_up_to`` movies), whether or not the ranker serves a readout."""
        return cls.fit(train, l2, config.corating_neighbours, config.corating_dense_up_to)

    @property
    def is_sparse(self) -> bool:
        return isinstance(self.readout, SparseCoRatingReadout)

    def scores(self, ratings: Tensor, columns: np.ndarray | None = None) -> Tensor:
        """(B, n_items) 0/1 train ratings → (B, n_items) teacher scores ``ratings @ B``, or
        only the readout neurons ``columns`` (a step that scores a sample of the catalogue):
        (B, len(columns)), reading only those neurons' synapses.

        ``ratings`` may be a torch sparse tensor (sparse tower inputs): it is made dense, a
        (B, n_items) array like the scores themselves."""
        if ratings.layout != torch.strided:
            ratings = ratings.to_dense()
        if self._by_neuron is None:
            if columns is None:
                return self.readout.synaptic_input(ratings)
            return ratings @ self.readout.weight[:, torch.from_numpy(np.asarray(columns))]
        weights = (
            self._by_neuron_tensor
            if columns is None
            else _tensor(self._by_neuron, np.asarray(columns, dtype=np.int64))
        )
        return torch.sparse.mm(weights, ratings.T.contiguous()).T.contiguous()


def _by_neuron(synapses: SparseSynapses) -> SparseSynapses:
    """``Bᵀ`` in CSR form: one row per readout neuron, holding its k input synapses."""
    n = synapses.n
    inputs = np.repeat(np.arange(n, dtype=np.int64), np.diff(synapses.indptr))
    order = np.argsort(synapses.indices, kind="stable")
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(synapses.indices, minlength=n), out=indptr[1:])
    return SparseSynapses(indptr, inputs[order], synapses.values[order], n)


def _tensor(by_neuron: SparseSynapses, neurons: np.ndarray) -> Tensor:
    """Rows ``neurons`` of ``Bᵀ`` as a (len(neurons), n) torch CSR tensor."""
    starts = by_neuron.indptr[neurons]
    lengths = by_neuron.indptr[neurons + 1] - starts
    indptr = np.zeros(len(neurons) + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    positions = np.repeat(starts - indptr[:-1], lengths) + np.arange(indptr[-1])
    return csr_tensor(
        torch.from_numpy(indptr),
        torch.from_numpy(by_neuron.indices[positions]),
        torch.from_numpy(by_neuron.values[positions]),
        (len(neurons), by_neuron.n),
    )
