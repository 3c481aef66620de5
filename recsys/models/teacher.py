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

from torch import Tensor

from recsys.data.interactions import UserItemRows
from recsys.models import defaults
from recsys.models.corating import (
    CoRatingReadout,
    SparseCoRatingReadout,
    corating_readout,
    synapses_per_neuron,
)
from recsys.models.ranker import RankerConfig


class CoRatingTeacher:
    """Teacher scores from a fitted co-rating readout (dense or neighbourhood)."""

    def __init__(self, readout: CoRatingReadout | SparseCoRatingReadout) -> None:
        self.readout = readout

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

    def scores(self, ratings: Tensor) -> Tensor:
        """(B, n_items) 0/1 train ratings → (B, n_items) teacher scores ``ratings @ B``."""
        return self.readout.synaptic_input(ratings)
