"""Hostile search queries over real HTTP (gunicorn, as ``bin/run`` starts it): never a 500.

The test client decodes and re-encodes the query for us; raw sockets send exactly these bytes, so
invalid UTF-8, NUL and over-long request lines reach the server as an attacker would send them.
Runs on whichever database the suite runs on (SQLite, or PostgreSQL with pg_trgm).
"""

from __future__ import annotations

import pytest

from tests.webapp.live_http import gunicorn, request
from webapp.catalog.models import Movie

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

# (raw query string, the statuses a correct server may answer)
OK, REFUSED = {200}, {400}
HOSTILE = [
    ("q=godfater", OK),
    ("q=" + "a" * 200, OK),
    ("q=" + "a" * 201, REFUSED),
    ("q=" + "godfater" * 500, REFUSED),  # 4,000 characters, under gunicorn's line limit
    ("q=" + "x" * 5000, {400, 414}),  # over gunicorn's 4,094-byte request line
    ("q=%25", OK),
    ("q=_", OK),
    ("q=%25%25__%25", OK),
    ("q=100%25", OK),
    ("q=%5C", OK),
    ("q=%27%3B+DROP+TABLE+catalog_movie%3B+--", OK),
    ("q=%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E", OK),
    ("q=%00", REFUSED),
    ("q=god%00fater", REFUSED),
    ("q=%E3%82%B4%E3%83%83%E3%83%89%E3%83%95%E3%82%A1%E3%83%BC%E3%82%B6%E3%83%BC", OK),
    ("q=Am%C3%A9lie", OK),
    ("q=" + "%F0%9F%8E%AC" * 200, OK),  # 200 emoji: 200 characters, 800 bytes
    ("q=%E2%80%AEretafdog", OK),  # right-to-left override
    ("q=%E2%80%8B%E2%80%8B", OK),  # zero-width spaces only
    ("q=e%CC%81%CC%81%CC%81", OK),  # stacked combining accents
    ("q=%FF%FE%FD", OK),  # not UTF-8: Django decodes with replacement characters
    ("q=%ED%A0%80", OK),  # a UTF-16 surrogate encoded as UTF-8
    ("q=godfater&q=star", OK),
    ("q=+++", OK),
    ("q=the+of+and+a+in+to+is", OK),
    ("q=godfater&page=2", {404}),
    ("q=godfater&page=%00", {404}),
    ("q=godfater&page=99999999999999999999999", {404}),
    ("q=godfater&sort=%25", REFUSED),
    ("q=godfater&genre=%00", REFUSED),
]


@pytest.fixture
def server(tmp_path):
    titles = ["The Godfather", "The Godfather: Part II", "Star Wars", "Amélie", "100% Arabica"]
    Movie.objects.bulk_create([Movie(title=title, year=1990) for title in titles])
    Movie.objects.bulk_create([Movie(title=f"Filler {i:04d} of the day") for i in range(300)])
    with gunicorn(tmp_path) as running:
        yield running


def test_hostile_queries_are_answered_never_with_a_500(server):
    wrong = {}
    for query, expected in HOSTILE:
        status, _, body = request(server.url, "GET", f"/movies/?{query}")
        if status not in expected or "Server Error" in body:
            wrong[query[:60]] = status
    assert not wrong, f"unexpected answers: {wrong}\n{server.log()[-3000:]}"
    assert "Traceback" not in server.log()


def test_wildcards_and_typos_over_http_mean_what_they_say(server):
    _, _, percent = request(server.url, "GET", "/movies/?q=%25")
    assert "100% Arabica" in percent and "Star Wars" not in percent
    _, _, underscore = request(server.url, "GET", "/movies/?q=_")
    assert "No movies match these filters" in underscore
    _, _, typo = request(server.url, "GET", "/movies/?q=godfater")
    assert "The Godfather: Part II" in typo and "Did you mean" in typo
