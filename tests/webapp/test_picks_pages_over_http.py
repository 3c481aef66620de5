"""Watchlist and "not interested" POSTs over real sockets to gunicorn, where CSRF is enforced as
in production (the test client skips it): with the token they work, without it nothing is saved,
and ``next`` never leads off the site. One server for the whole module."""

from __future__ import annotations

import re
import urllib.parse

import pytest

from tests.webapp.catalog_data import make_catalogue, make_member
from tests.webapp.live_http import gunicorn, request, visitor_for
from webapp.catalog.models import NotInterested, WatchlistEntry

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture(scope="module")
def server(tmp_path_factory, django_db_setup):
    with gunicorn(tmp_path_factory.mktemp("picks-pages-http")) as running:
        yield running


@pytest.fixture
def site():
    movies = make_catalogue(n_movies=20, n_raters=4, per_rater=5).movies
    member = make_member("http-member")
    return movies, member, visitor_for(member)


def post(server, path, fields, headers):
    body = urllib.parse.urlencode(fields).encode()
    return request(server.url, "POST", path, body=body, headers={**FORM, **headers})


def test_add_to_watchlist_with_the_csrf_token(server, site):
    movies, member, visitor = site
    status, headers, _ = post(
        server, f"/movies/{movies[3].pk}/watchlist/", {"next": "/movies/?page=1"}, visitor.headers()
    )
    assert status == 302, server.log()
    assert headers["Location"] == "/movies/?page=1"
    assert WatchlistEntry.objects.filter(user=member, movie=movies[3]).exists()
    status, _, html = request(server.url, "GET", "/my/watchlist/", headers=visitor.headers())
    assert status == 200 and f'action="/movies/{movies[3].pk}/watchlist/remove/"' in html


@pytest.mark.parametrize("path", ["/movies/{pk}/watchlist/", "/movies/{pk}/not-interested/"])
def test_without_a_csrf_token_nothing_is_saved(server, site, path):
    movies, member, visitor = site
    status, _, html = post(
        server, path.format(pk=movies[0].pk), {}, {"Cookie": visitor.cookie}
    )  # the session, but no token
    assert status == 403 and "nothing was saved" in html.lower()
    wrong = {**visitor.headers(), "X-CSRFToken": "x" * 32}
    assert post(server, path.format(pk=movies[0].pk), {}, wrong)[0] == 403
    assert not WatchlistEntry.objects.exists() and not NotInterested.objects.exists()


def test_not_interested_then_undo_with_the_pages_own_form_token(server, site):
    movies, member, visitor = site
    status, _, home = request(server.url, "GET", "/", headers={"Cookie": visitor.cookie})
    top = re.search(r'action="/movies/(\d+)/not-interested/"', home)
    assert status == 200 and top, home
    top_id = int(top.group(1))
    # The form's own hidden token, sent as a browser would: a form field, not a header.
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', home).group(1)
    status, headers, _ = post(
        server,
        f"/movies/{top_id}/not-interested/",
        {"csrfmiddlewaretoken": token, "next": "/"},
        {"Cookie": visitor.cookie},
    )
    assert status == 302 and headers["Location"] == "/"
    assert NotInterested.objects.filter(user=member, movie_id=top_id).exists()
    status, _, home = request(server.url, "GET", "/", headers={"Cookie": visitor.cookie})
    assert f'action="/movies/{top_id}/not-interested/"' not in home  # gone from the picks
    undo = re.search(
        r'action="(/movies/\d+/not-interested/undo/)" class="inline-form">\s*'
        r'<input type="hidden" name="csrfmiddlewaretoken" value="([^"]+)">',
        home,
    )
    assert undo and undo.group(1) == f"/movies/{top_id}/not-interested/undo/"
    status, _, _ = post(
        server,
        undo.group(1),
        {"csrfmiddlewaretoken": undo.group(2), "next": "/"},
        {"Cookie": visitor.cookie},
    )
    assert status == 302 and not NotInterested.objects.exists()
    home = request(server.url, "GET", "/", headers={"Cookie": visitor.cookie})[2]
    assert f'action="/movies/{top_id}/not-interested/"' in home


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example"])
def test_next_never_leads_off_the_site(server, site, target):
    movies, _, visitor = site
    for path in (f"/movies/{movies[1].pk}/watchlist/", f"/movies/{movies[1].pk}/not-interested/"):
        status, headers, _ = post(server, path, {"next": target}, visitor.headers())
        assert status == 302 and "evil.example" not in headers["Location"]


def test_hostile_values_on_the_new_pages_get_4xx_never_5xx(server, site):
    _, _, visitor = site
    for path in (
        "/picks/?page=abc", "/picks/?page=99999999999999999999", "/picks/?page=%C2%B2",
        "/picks/?genre=%27%3Bdrop", "/picks/?genre=%00", "/my/ratings/?sort=%27%3Bdrop",
        "/my/ratings/?page=abc", "/my/watchlist/?page=-1",
    ):  # fmt: skip
        status = request(server.url, "GET", path, headers=visitor.headers())[0]
        assert 400 <= status < 500, (path, status)
    status = post(server, "/movies/99999999999999999999/watchlist/", {}, visitor.headers())[0]
    assert status == 404
    assert "Traceback" not in server.log()


def test_the_hostile_run_attacks_every_page_around_the_picks():
    from django.urls import reverse

    from bench.hostile.attacks import HOSTILE_QUERIES, PICK_PAGES

    pages = {reverse("picks"), reverse("mine:ratings"), reverse("mine:watchlist")}
    assert pages == set(PICK_PAGES) == set(HOSTILE_QUERIES)
