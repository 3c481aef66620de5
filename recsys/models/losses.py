"""The training objectives: every movie in the catalogue is scored for every user in a batch.

Every movie a user rated is a positive (target 1), every other movie a negative (target 0),
and *all* of them are scored, not a sample: MovieLens has under two thousand movies, so the
full score matrix of a user batch is cheap, and scoring every negative is what makes the
model rank the whole catalogue well (the protocol ranks every unseen movie).

Two objectives share that setting:

* ``"squared"``: weighted squared error; negatives may get a smaller weight because an
  unrated movie is only weak evidence of dislike (weighted matrix factorisation, Hu et al.
  2008).
* ``"softmax"``: the multinomial log-likelihood of the user's rated movies under a softmax
  over the whole catalogue (Mult-DAE, Liang et al. 2018). Movies compete for a fixed amount
  of probability, which is what a top-k list is; squared error instead asks every score to
  hit an absolute value, spending capacity on movies that will never reach the top.
"""

from __future__ import annotations

from torch import Tensor

LOSSES = ("squared", "softmax")


def catalogue_loss(
    scores: Tensor, targets: Tensor, negative_weight: float = 1.0, weights: Tensor | None = None
) -> Tensor:
    """Mean over users of Σ_items w·(target − score)², w = 1 for positives else ``negative_weight``
    (or the given per-cell ``weights``: a sampled catalogue's, see ``CatalogueSample``)."""
    if weights is None:
        weights = targets + negative_weight * (1.0 - targets)
    return (weights * (targets - scores).square()).sum(-1).mean()


def softmax_catalogue_loss(scores: Tensor, targets: Tensor) -> Tensor:
    """Mean over users of −Σ_items target · log softmax(scores): the multinomial likelihood."""
    return -(targets * scores.log_softmax(dim=-1)).sum(-1).mean()


def ranking_loss(
    name: str,
    scores: Tensor,
    targets: Tensor,
    negative_weight: float = 1.0,
    weights: Tensor | None = None,
) -> Tensor:
    """The objective called ``name`` (one of ``LOSSES``); ``weights`` (squared error only) are
    a sampled catalogue's per-cell weights."""
    if name == "squared":
        return catalogue_loss(scores, targets, negative_weight, weights)
    if weights is not None:
        raise ValueError(
            f"loss {name!r} is over the whole catalogue; a sampled catalogue needs loss='squared'"
        )
    if name == "softmax":
        return softmax_catalogue_loss(scores, targets)
    raise ValueError(f"loss must be one of {LOSSES}, got {name!r}")
