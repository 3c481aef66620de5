"""The visitor's predicted match with movies ("92% match"), from whichever app can predict it.

The catalogue shows the match on its pages but owns no model: a recommender app registers a
predictor in its ``AppConfig.ready`` (:func:`register_match_predictor`), keeping the import
arrow pointing from the recommender to the catalogue. Without one, or for anonymous visitors,
or when the served model has no calibration, pages show no match rather than a made-up one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

logger = logging.getLogger(__name__)

#: ``predictor(user, movie_ids)`` → {movie id: whole percent} for the movies it can judge.
MatchPredictor = Callable[[AbstractBaseUser, Sequence[int]], dict[int, int]]
_predictors: list[MatchPredictor] = []


def register_match_predictor(predictor: MatchPredictor) -> None:
    """Ask ``predictor`` for matches; registering the same one twice is a no-op."""
    if predictor not in _predictors:
        _predictors.append(predictor)


def predicted_matches(
    user: AbstractBaseUser | AnonymousUser, movie_ids: Sequence[int]
) -> dict[int, int]:
    """{movie id: percent} for the movies a predictor can judge for this person; may be empty."""
    if not user.is_authenticated or not movie_ids:
        return {}
    for predictor in _predictors:
        try:
            found = predictor(user, movie_ids)
        except Exception:  # a page must render without its match rather than fail
            logger.exception("Match predictor %r failed", predictor)
            continue
        if found:
            return found
    return {}
