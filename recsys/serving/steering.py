"""Stated favourite genres steer the ranking, strongly for a newcomer, fading with ratings.

The user tower reads favourite genres, but for someone with no ratings its scores are dominated
by the item terms (popularity): on a catalogue where the most-rated movies are comedies and
dramas, a newcomer who picked Sci-Fi and Thriller got the same popular list as everyone, only
labelled with their genres. What a person *says* they like is the only evidence about them then,
so the ranking gives movies of those genres a bonus.

The bonus is added to each movie's *rank* in the model's order (a percentile, 0 = worst,
1 = best), not to its raw score, so it means the same whatever the scores' scale or tail: with no
ratings, an in-genre movie moves up by :data:`NEWCOMER_BONUS` of the catalogue, so every
in-genre movie the model ranks in its top three quarters comes before every other movie, and
in-genre movies keep the model's order among themselves (its taste and popularity terms). The
bonus halves after :data:`RATINGS_TO_HALVE` ratings and keeps fading, because the model reads
ratings directly and they say more than a checkbox.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from recsys.features.items import genre_vector

#: Bonus, in fractions of the catalogue's ranking, of a movie in a favourite genre at 0 ratings.
NEWCOMER_BONUS = 0.75
#: The number of ratings at which the bonus is half of :data:`NEWCOMER_BONUS`.
RATINGS_TO_HALVE = 10.0


def genre_bonus(n_ratings: int) -> float:
    """The rank bonus of an in-genre movie for someone with ``n_ratings`` ratings."""
    return NEWCOMER_BONUS * RATINGS_TO_HALVE / (RATINGS_TO_HALVE + max(0, n_ratings))


def percentile_ranks(scores: np.ndarray) -> np.ndarray:
    """Each score's rank as a fraction in [0, 1] (1 = best; ties broken by position)."""
    n = len(scores)
    ranks = np.empty(n, dtype=np.float64)
    ranks[np.argsort(scores, kind="stable")] = np.arange(n)
    return ranks / max(1, n - 1)


def steer_to_genres(
    scores: np.ndarray,
    item_genres: np.ndarray,
    favourite_genres: Sequence[str],
    n_ratings: int,
) -> np.ndarray:
    """Steered ranking scores (percentile rank plus the bonus), or ``scores`` unchanged when
    no favourite genre is stated.

    ``item_genres`` is the (n_items, n_genres) multi-hot of the scored movies, row for row.
    """
    favourites = genre_vector(favourite_genres)
    if not favourites.any() or len(scores) == 0:
        return scores
    in_genre = (item_genres[: len(scores)] @ favourites) > 0
    return percentile_ranks(scores) + genre_bonus(n_ratings) * in_genre
