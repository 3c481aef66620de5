"""Typo-tolerant title search and "Did you mean …", on SQLite and on PostgreSQL alike.

The suite runs once on each database; PostgreSQL answers through pg_trgm, SQLite through the
Python index in ``webapp.catalog.search``, and these tests hold both to the same behaviour.
"""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.urls import reverse

from tests.webapp.catalog_data import make_genres
from webapp.catalog import search
from webapp.catalog.models import Movie
from webapp.catalog.search import correct_query, similarity, trigrams, word_similarity

pytestmark = pytest.mark.django_db
BROWSE = reverse("catalog:browse")
on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="compares with PostgreSQL's pg_trgm"
)
on_sqlite = pytest.mark.skipif(
    connection.vendor == "postgresql", reason="the Python index serves SQLite only"
)


@pytest.fixture(autouse=True)
def fresh_index():
    search.forget_title_index()
    yield
    search.forget_title_index()


@pytest.fixture
def shelf():
    genres = make_genres(["Action", "Comedy", "Crime", "Drama", "Romance", "Sci-Fi"])
    rows = [
        ("The Godfather", 1972, ["Crime", "Drama"], 413),
        ("The Godfather: Part II", 1974, ["Crime", "Drama"], 209),
        ("The Godfather: Part III", 1990, ["Crime", "Drama"], 71),
        ("Star Wars", 1977, ["Action", "Sci-Fi"], 583),
        ("Starman", 1984, ["Sci-Fi"], 40),
        ("Lone Star", 1996, ["Drama"], 187),
        ("Casablanca", 1942, ["Drama", "Romance"], 243),
        ("The Shawshank Redemption", 1994, ["Drama"], 283),
        ("Godzilla", 1998, ["Action", "Sci-Fi"], 31),
        ("Gods Must Be Crazy, The", 1980, ["Comedy"], 52),
    ]
    movies = {}
    for title, year, names, count in rows:
        movie = Movie.objects.create(title=title, year=year, rating_count=count, rating_mean=3.8)
        movie.genres.set([genres[n] for n in names])
        movies[title] = movie
    return movies


def titles(response) -> list[str]:
    return re.findall(r'<h3 class="card-title">([^<]+?)(?: <span|</h3>)', response.content.decode())


def suggestion(response) -> tuple[str, str] | None:
    found = re.search(
        r'Did you mean <a href="\?([^"]*)" rel="nofollow">([^<]*)</a>', response.content.decode()
    )
    return (found.group(2), found.group(1)) if found else None


# ------------------------------------------------------------------------------ behaviour
def test_a_typo_finds_the_godfather_and_offers_the_correction(client, shelf):
    response = client.get(BROWSE, {"q": "godfater"})
    assert response.status_code == 200
    assert titles(response) == [
        "The Godfather",
        "The Godfather: Part II",
        "The Godfather: Part III",
    ]
    assert suggestion(response) == ("godfather", "q=godfather")
    assert "No title contains “godfater”. Showing 3 close titles." in response.content.decode()


@pytest.mark.parametrize(
    "typo, corrected, first",
    [
        ("the godfater", "the godfather", "The Godfather"),
        ("shawshenk", "shawshank", "The Shawshank Redemption"),
        ("casblanca", "casablanca", "Casablanca"),
        ("STAR WORS", "STAR wars", "Star Wars"),
    ],
)
def test_common_typos_find_the_film(client, shelf, typo, corrected, first):
    response = client.get(BROWSE, {"q": typo})
    assert titles(response)[0] == first
    assert suggestion(response)[0] == corrected
    # Following the suggestion is an exact search that finds the film.
    assert first in titles(client.get(f"{BROWSE}?{suggestion(response)[1]}"))


def test_exact_matches_are_not_widened(client, shelf):
    response = client.get(BROWSE, {"q": "star"})
    assert titles(response) == ["Star Wars", "Lone Star", "Starman"]
    assert suggestion(response) is None
    assert "3 movies found." in response.content.decode()


def test_a_single_exact_match_brings_no_look_alikes(client, shelf):
    """Every word is spelled as in a title: titles sharing one word would only be noise."""
    Movie.objects.create(title="Toy Story", year=1995, rating_count=452)
    Movie.objects.create(title="The Philadelphia Story", year=1940, rating_count=104)
    response = client.get(BROWSE, {"q": "toy story"})
    assert titles(response) == ["Toy Story"]
    assert suggestion(response) is None
    assert "1 movie found." in response.content.decode()
    assert titles(client.get(BROWSE, {"q": "toy storey"}))[0] == "Toy Story"


def test_close_titles_respect_the_other_filters(client, shelf):
    response = client.get(BROWSE, {"q": "godfater", "year_to": "1980", "genre": "Crime"})
    assert titles(response) == ["The Godfather", "The Godfather: Part II"]
    text, href = suggestion(response)
    assert text == "godfather"
    assert href == "q=godfather&amp;year_to=1980&amp;genre=Crime"


def test_a_chosen_sort_orders_close_titles_too(client, shelf):
    response = client.get(BROWSE, {"q": "godfater", "sort": "oldest"})
    assert titles(response) == [
        "The Godfather",
        "The Godfather: Part II",
        "The Godfather: Part III",
    ]
    response = client.get(BROWSE, {"q": "godfater", "sort": "newest"})
    assert titles(response)[0] == "The Godfather: Part III"


def test_nothing_close_says_so_without_a_suggestion(client, shelf):
    response = client.get(BROWSE, {"q": "xqzvw"})
    assert titles(response) == [] and suggestion(response) is None
    assert "No movies match these filters" in response.content.decode()


def test_a_movie_added_after_a_search_is_found_by_its_typo_at_once(client, shelf):
    assert titles(client.get(BROWSE, {"q": "shawshenk"})) == ["The Shawshank Redemption"]
    Movie.objects.create(title="Shawshank Revisited", year=2004)
    assert titles(client.get(BROWSE, {"q": "shawshenk"})) == [
        "The Shawshank Redemption",
        "Shawshank Revisited",
    ]


@pytest.mark.parametrize("query", ["%", "_", "%%", "100%", "a_c", "\\", "'", '"'])
def test_like_wildcards_and_quotes_are_literal(client, shelf, query):
    Movie.objects.create(title="Up 100%% a_c \\ 'q' \"d\"", year=2000)
    response = client.get(BROWSE, {"q": query})
    assert response.status_code == 200
    assert titles(response) == [
        "Up 100%% a_c \\ &#x27;q&#x27; &quot;d&quot;"
    ]  # never the whole catalogue


# ------------------------------------------------------------------------------ the measure
def test_trigrams_follow_pg_trgm():
    assert trigrams("word") == {"  w", " wo", "wor", "ord", "rd "}
    assert trigrams("Two, words!") == trigrams("two words")
    assert trigrams("") == frozenset() and trigrams("%_!") == frozenset()


def test_similarities_match_the_examples_in_the_pg_trgm_manual():
    # https://www.postgresql.org/docs/current/pgtrgm.html
    assert similarity("word", "two words") == pytest.approx(0.363636, abs=1e-6)
    assert word_similarity("word", "two words") == pytest.approx(0.8)
    # Measured on PostgreSQL 15 (see test_the_python_measure_agrees_with_postgres).
    assert word_similarity("godfater", "The Godfather") == pytest.approx(6 / 9)
    assert word_similarity("casblanca", "Casablanca") == pytest.approx(8 / 13)


@pytest.mark.parametrize(
    "query, title, expected",
    [
        ("godfater", "The Godfather: Part II", "godfather"),
        ("star wors", "Star Wars", "star wars"),
        ("star wars", "Star Wars", None),
        ("zzz", "Star Wars", None),
        ("godfater", "", None),
    ],
)
def test_correct_query(query, title, expected):
    assert correct_query(query, title) == expected


@on_postgres
@pytest.mark.parametrize(
    "query, title",
    [
        ("godfater", "The Godfather"),
        ("godfater", "The Godfather: Part II"),
        ("word", "two words"),
        ("casblanca", "Casablanca"),
        ("shawshenk", "The Shawshank Redemption"),
        ("the godfater", "Godfather, The"),
        ("star wors", "Star Wars"),
        ("godfather blues", "The Godfather: Part III"),
        ("Amélie", "Amelie"),
        ("zzz", "Star Wars"),
    ],
)
def test_the_python_measure_agrees_with_postgres(query, title):
    with connection.cursor() as cursor:
        cursor.execute("SELECT word_similarity(%s, %s)", [query, title])
        (expected,) = cursor.fetchone()
    assert word_similarity(query, title) == pytest.approx(expected, abs=1e-6)


@on_postgres
def test_postgres_has_the_trigram_index():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'movie_title_trgm'")
        (definition,) = cursor.fetchone()
    assert "gin" in definition.lower() and "gin_trgm_ops" in definition


@on_sqlite
def test_the_python_index_covers_only_the_most_rated_titles(client, shelf, monkeypatch):
    monkeypatch.setattr(search, "MAX_INDEXED_TITLES", 2)  # Star Wars and The Godfather
    assert titles(client.get(BROWSE, {"q": "godfater"})) == ["The Godfather"]


@on_postgres
def test_the_index_hint_does_not_outlive_the_search(shelf):
    assert search.search_titles(Movie.objects.all(), "godfater").widened
    with connection.cursor() as cursor:
        cursor.execute("SHOW enable_seqscan")
        assert cursor.fetchone() == ("on",)
