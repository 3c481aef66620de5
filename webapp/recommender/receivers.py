"""How the recommender follows what the catalogue announces (connected in ``AppConfig.ready``)."""

from __future__ import annotations

import logging
from typing import Any

from webapp.recommender.serving import model_server

logger = logging.getLogger(__name__)


def embed_added_movie(sender: type, movie_id: int, **kwargs: Any) -> None:
    """Give the served model an embedding of a new movie now, not at its next periodic check."""
    try:
        model_server.refresh()
    except Exception:  # the movie is saved; the periodic check will embed it later
        logger.exception("Could not embed movie %s in the served model", movie_id)


def recommendable_now(movie_id: int) -> bool:
    """Whether the model this process serves scores ``movie_id`` (an upload is embedded when
    it is added, :func:`embed_added_movie`)."""
    served = model_server.current()
    return served is not None and served.recommender.has_item(movie_id)
