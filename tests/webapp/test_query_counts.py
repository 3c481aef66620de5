"""No N+1 queries: each list page costs the same number of queries whatever the data size."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.webapp.catalog_data import make_catalogue, make_member
from webapp.catalog.models import Movie
from webapp.catalog.services import rate_movie
from webapp.recommender.serving import model_server

pytestmark = pytest.mark.django_db


def queries_for(client, url: str, params=None, warm_cache: bool = False) -> int:
    if not warm_cache:
        cache.clear()
    model_server.reset()  # the periodic "which model is active" check runs on every measurement
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params or {})
    assert response.status_code == 200, response.status_code
    return len(captured)


def grow(member, rounds: int) -> None:
    """More movies, more genres, more raters, more of the member's ratings and reviews."""
    catalogue = make_catalogue(
        n_movies=20 * rounds,
        n_raters=5 * rounds,
        per_rater=15,
        seed=rounds,
        prefix=f"Batch{rounds}",
    )
    for i, movie in enumerate(catalogue.movies[: 5 * rounds]):
        rate_movie(member, movie, 1 + i % 5, f"Review {rounds}-{i}")
    for rater in catalogue.raters:
        rate_movie(rater, Movie.objects.order_by("pk").first(), 4, "A review by another person.")
    Movie.objects.bulk_create([Movie(title=f"Upload {rounds}-{i}") for i in range(3 * rounds)])


@pytest.fixture
def member():
    make_catalogue(n_movies=10, n_raters=3, per_rater=4)
    user = make_member("ada")
    user.profile.favourite_genres.set(
        list(make_catalogue(n_movies=1, n_raters=1, per_rater=1, prefix="Seed").genres.values())[:2]
    )
    return user


PAGES = [
    ("home", lambda: reverse("home"), None),
    ("browse", lambda: reverse("catalog:browse"), None),
    (
        "search",
        lambda: reverse("catalog:browse"),
        {"q": "a", "genre": "Drama", "year_from": "1900", "sort": "rating"},
    ),
    # A typo: no exact match, so close titles are looked up (pg_trgm or the Python index).
    ("typo search", lambda: reverse("catalog:browse"), {"q": "filmm", "sort": ""}),
    ("movie", lambda: Movie.objects.order_by("pk").first().get_absolute_url(), None),
]


@pytest.mark.parametrize("logged_in", [False, True], ids=["anonymous", "member"])
@pytest.mark.parametrize("name, url, params", PAGES, ids=[p[0] for p in PAGES])
def test_query_count_does_not_grow_with_the_data(client, member, logged_in, name, url, params):
    if logged_in:
        client.force_login(member)
    counts = []
    for rounds in (1, 3):
        grow(member, rounds)
        counts.append(queries_for(client, url(), params))
    assert counts[0] == counts[1], f"{name}: {counts}"


def test_home_with_cached_picks_costs_fewer_queries(client, member):
    client.force_login(member)
    grow(member, 2)
    cold = queries_for(client, reverse("home"))
    warm = queries_for(client, reverse("home"), warm_cache=True)
    assert warm < cold
