"""The predicted match of a person with movies, for the catalogue's pages (movie page, lists).

Registered with :func:`webapp.catalog.match.register_match_predictor` in ``AppConfig.ready``.
Costs two queries (the person's profile and ratings) and one user-tower pass per page.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser

from webapp.recommender.picks import match_percents, read_taste, user_query
from webapp.recommender.serving import model_server


def match_from_model(user: AbstractBaseUser, movie_ids: Sequence[int]) -> dict[int, int]:
    """{movie id: percent} from the served model's calibration; empty without one."""
    served = model_server.current()
    if served is None or served.recommender.calibration is None:
        return {}
    query = user_query(user, read_taste(user))
    return match_percents(served.recommender, query, movie_ids)
