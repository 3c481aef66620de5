"""The training objective: weighted squared error over the whole catalogue.

Every movie a user rated is a positive (target 1), every other movie a negative (target 0),
and *all* of them are scored, not a sample: MovieLens has under two thousand movies, so the
full score matrix of a user batch is cheap, and scoring every negative is what makes the
model rank the whole catalogue well (the protocol ranks every unseen movie). Negatives get a
smaller weight because an unrated movie is only weak evidence of dislike (as in weighted
matrix factorisation, Hu et al. 2008).
"""

from __future__ import annotations

from torch import Tensor


def catalogue_loss(scores: Tensor, targets: Tensor, negative_weight: float = 1.0) -> Tensor:
    """Mean over users of Σ_items w·(target − score)², w = 1 for positives else ``negative_weight``."""
    weights = targets + negative_weight * (1.0 - targets)
    return (weights * (targets - scores).square()).sum(-1).mean()
