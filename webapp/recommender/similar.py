"""Similar movies from the served model's item embeddings, for the catalogue's movie page.

Registered with :func:`webapp.catalog.similar.register_similar_finder` in ``AppConfig.ready``,
so the catalogue shows these without importing the recommender.
"""

from __future__ import annotations

import logging

from webapp.catalog.models import Movie
from webapp.recommender.serving import model_server

logger = logging.getLogger(__name__)


def similar_from_model(movie: Movie, k: int) -> list[Movie] | None:
    """Nearest item embeddings of the served model; None when no model knows the movie."""
    served = model_server.current()
    if served is None:
        return None
    try:
        if not served.recommender.has_item(movie.pk):
            return None
        ids = [int(item.movie_id) for item in served.recommender.similar_items(movie.pk, k=k + 1)]
    except Exception:  # the page falls back to shared genres if the model misbehaves
        logger.exception("Model %s failed to find similar movies", served.name)
        return None
    found = Movie.objects.with_card_data().in_bulk([i for i in ids if i != movie.pk])
    return [found[i] for i in ids if i in found][:k]
