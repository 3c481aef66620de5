"""Movies like a given one: nearest item embeddings when a model serves, shared genres otherwise."""

from __future__ import annotations

import logging

from django.db.models import Count, Q

from webapp.catalog.models import Movie
from webapp.recommender.serving import model_server

logger = logging.getLogger(__name__)

DEFAULT_SIMILAR = 6


def similar_movies(movie: Movie, k: int = DEFAULT_SIMILAR) -> list[Movie]:
    """Up to ``k`` movies to suggest on a movie's page, best first, never the movie itself."""
    served = model_server.current()
    if served is not None:
        try:
            if served.recommender.has_item(movie.pk):
                return _from_embeddings(served.recommender, movie, k)
        except Exception:  # the page must render even if the model misbehaves
            logger.exception("Model %s failed to find similar movies", served.name)
    return _by_shared_genres(movie, k)


def _from_embeddings(recommender, movie: Movie, k: int) -> list[Movie]:
    ids = [int(movie_id) for movie_id, _ in recommender.similar_items(movie.pk, k=k + 1)]
    found = Movie.objects.with_card_data().in_bulk([i for i in ids if i != movie.pk])
    return [found[i] for i in ids if i in found][:k]


def _by_shared_genres(movie: Movie, k: int) -> list[Movie]:
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
