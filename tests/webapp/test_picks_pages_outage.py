"""Nothing lost when a watchlist or "not interested" write meets a database blip: the write
during the blip gets the clear 503 page, and every row written before is still there after.

The blip is real, as in test_operations.py: the connection points at a database that cannot be
reached (SQLite: a missing folder), or, on PostgreSQL, gunicorn reaches the server through a
TCP proxy that the test cuts and restores.
"""

from __future__ import annotations

import urllib.parse

import pytest
from django.test import Client
from django.urls import reverse

from tests.webapp.catalog_data import make_catalogue, make_member
from tests.webapp.live_http import gunicorn, request, visitor_for
from tests.webapp.test_operations import (
    database_unreachable,
    on_postgresql,
    postgres_proxy,  # noqa: F401  (a fixture)
    through_proxy_url,
)
from webapp.catalog.models import NotInterested, WatchlistEntry

pytestmark = pytest.mark.django_db(transaction=True)
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def stored() -> tuple[list, list]:
    return (
        sorted(WatchlistEntry.objects.values_list("user_id", "movie_id", "added_at")),
        sorted(NotInterested.objects.values_list("user_id", "movie_id", "created_at")),
    )


@pytest.fixture
def written():
    """A member with two watchlist entries and a dismissal already stored."""
    movies = make_catalogue(n_movies=8, n_raters=2, per_rater=3).movies
    member = make_member("steady")
    browser = Client()
    browser.force_login(member)
    for movie in movies[:2]:
        assert browser.post(reverse("catalog:watchlist-add", args=[movie.pk])).status_code == 302
    assert browser.post(reverse("catalog:not-interested", args=[movies[2].pk])).status_code == 302
    return movies, member, browser


@pytest.mark.parametrize(
    "name, index",
    [("catalog:watchlist-add", 5), ("catalog:watchlist-remove", 0),
     ("catalog:not-interested", 6), ("catalog:not-interested-undo", 2)],
)  # fmt: skip
def test_a_write_during_an_outage_is_a_503_and_nothing_stored_is_lost(written, name, index):
    movies, member, browser = written
    before = stored()
    with database_unreachable():
        response = browser.post(reverse(name, args=[movies[index].pk]), {"next": "/"})
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assert "back in a moment" in response.content.decode()
    assert stored() == before  # the earlier rows, exactly
    # And the same write works as soon as the database is back.
    assert browser.post(reverse(name, args=[movies[index].pk])).status_code == 302
    assert stored() != before


def test_the_pages_during_an_outage_are_503_too(written):
    _, _, browser = written
    with database_unreachable():
        for path in ("/my/ratings/", "/my/watchlist/", "/picks/?page=2&genre=Drama"):
            assert browser.get(path).status_code == 503, path


@on_postgresql
@pytest.mark.slow
def test_postgresql_blip_under_gunicorn_loses_no_watchlist_or_dismissal(
    tmp_path,
    postgres_proxy,  # noqa: F811
):
    movies = make_catalogue(n_movies=8, n_raters=2, per_rater=3).movies
    member = make_member("steady-http")
    visitor = visitor_for(member)
    url = through_proxy_url(postgres_proxy)

    def post(path: str) -> int:
        body = urllib.parse.urlencode({"next": "/"}).encode()
        return request(server.url, "POST", path, body=body, headers=visitor.headers(**FORM))[0]

    with gunicorn(tmp_path, {"DATABASE_URL": url, "DATABASE_CONN_MAX_AGE": "60"}) as server:
        assert post(f"/movies/{movies[0].pk}/watchlist/") == 302, server.log()
        assert post(f"/movies/{movies[1].pk}/not-interested/") == 302
        before = stored()
        postgres_proxy.cut()  # the server "restarts": connections drop, new ones are refused
        during = [
            post(f"/movies/{movies[2].pk}/watchlist/"),
            post(f"/movies/{movies[3].pk}/not-interested/"),
            post(f"/movies/{movies[0].pk}/watchlist/remove/"),
        ]
        postgres_proxy.restore()
        assert during == [503, 503, 503], server.log()
        assert stored() == before
        assert post(f"/movies/{movies[2].pk}/watchlist/") == 302
        assert post(f"/movies/{movies[3].pk}/not-interested/") == 302
    assert len(WatchlistEntry.objects.filter(user=member)) == 2
    assert len(NotInterested.objects.filter(user=member)) == 2
    assert "Traceback" not in server.log()
