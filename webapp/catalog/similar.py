"""Movies like a given one: whatever a registered finder suggests, shared genres otherwise.

The catalogue owns the movie page but not the model, so a recommender app registers a finder in
its ``AppConfig.ready`` (see :func:`register_similar_finder`) and the import arrow points from
the recommender to the catalogue only. Without a finder, or when every finder declines (no
model serves, or it fails), the page shows movies sharing the most genres.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db.models import Count, Q

from webapp.catalog.models import Movie

logger = logging.getLogger(__name__)

DEFAULT_SIMILAR = 6

#: ``finder(movie, k)`` → up to ``k`` movies best first, or None to let the next one answer.
SimilarFinder = Callable[[Movie, int], "list[Movie] | None"]
_finders: list[SimilarFinder] = []


def register_similar_finder(finder: SimilarFinder) -> None:
    """Ask ``finder`` before the genre fallback; registering the same finder twice is a no-op."""
    if finder not in _finders:
        _finders.append(finder)


def similar_movies(movie: Movie, k: int = DEFAULT_SIMILAR) -> list[Movie]:
    """Up to ``k`` movies to suggest on a movie's page, best first, never the movie itself."""
    for finder in _finders:
        try:
            found = finder(movie, k)
        except Exception:  # the page must render even if a finder misbehaves
            logger.exception("Similar-movie finder %r failed", finder)
            continue
        if found is not None:
            return found
    return by_shared_genres(movie, k)


def by_shared_genres(movie: Movie, k: int) -> list[Movie]:
    """Most genres in common first, then the most popular: a fair guess without a model."""
    genre_ids = [genre.pk for genre in movie.genres.all()]
    if not genre_ids:
        return list(Movie.objects.exclude(pk=movie.pk).popular().with_card_data()[:k])
    return list(
        Movie.objects.filter(genres__in=genre_ids)
        .exclude(pk=movie.pk)
        .annotate(shared=Count("genres", filter=Q(genres__in=genre_ids)))
        .order_by("-shared", "-rating_count", "-rating_mean", "title")
        .with_card_data()[:k]
    )
