"""Matching imported titles to a small catalogue built here: exact, typos, articles, years."""

from __future__ import annotations

import pytest

from tests.webapp.catalog_data import make_genres
from webapp.catalog.models import Movie
from webapp.catalog.search import forget_title_index
from webapp.ratings_import.matching import (
    AMBIGUOUS,
    MATCHED,
    UNMATCHED,
    comparable,
    library_form,
    match_titles,
)

pytestmark = pytest.mark.django_db

FILMS = [
    ("The Godfather", 1972),
    ("The Godfather: Part II", 1974),
    ("The Godfather: Part III", 1990),
    ("The Usual Suspects", 1995),
    # Uploads (and the browser tests' showcase) may keep MovieLens's library form.
    ("Shining, The", 1980),
    ("Toy Story", 1995),
    ("Toy Story 2", 1999),
    ("Hamlet", 1990),
    ("Hamlet", 1996),
    ("Crash", 1996),
    ("Alien", 1979),
    ("Aliens", 1986),
    ("Seven (Se7en)", 1995),
    ("Heat", 1995),
]


@pytest.fixture(autouse=True)
def catalogue():
    forget_title_index()
    make_genres()
    movies = Movie.objects.bulk_create([Movie(title=t, year=y) for t, y in FILMS])
    yield {(m.title, m.year): m.pk for m in movies}
    forget_title_index()


def match(title, year):
    return match_titles([(title, year)])[(title, year)]


def ids(found):
    return [c.movie_id for c in found.candidates]


def test_titles_compare_without_articles_in_either_form():
    assert comparable("The Godfather") == comparable("Godfather, The") == "godfather"
    assert comparable("Theodora Goes Wild") == "theodora goes wild"
    assert library_form("The Usual Suspects") == "Usual Suspects, The"
    assert library_form("Theodora") == "Theodora"


def test_an_exact_title_and_year_is_matched(catalogue):
    found = match("Toy Story", 1995)
    assert found.status == MATCHED and ids(found) == [catalogue[("Toy Story", 1995)]]
    # Case does not matter, and "Toy Story 2" is no rival of "Toy Story" even without a year.
    assert ids(match("toy story", None)) == [catalogue[("Toy Story", 1995)]]
    assert match("toy story", None).status == MATCHED


def test_a_typo_is_forgiven_through_the_sites_title_search(catalogue):
    found = match("Godfater", 1972)
    assert found.status == MATCHED
    assert ids(found) == [catalogue[("The Godfather", 1972)]]
    assert match("The Godfater Part II", 1974).status == MATCHED
    assert ids(match("The Godfater Part II", 1974)) == [catalogue[("The Godfather: Part II", 1974)]]


def test_a_typo_without_a_year_is_offered_rather_than_assumed(catalogue):
    found = match("Godfater", None)
    assert found.status == AMBIGUOUS
    assert ids(found)[0] == catalogue[("The Godfather", 1972)]


@pytest.mark.parametrize(
    ("title", "key"),
    [
        ("The Usual Suspects", ("The Usual Suspects", 1995)),
        ("Usual Suspects, The", ("The Usual Suspects", 1995)),
        ("The Shining", ("Shining, The", 1980)),
        ("Se7en", ("Seven (Se7en)", 1995)),
    ],
)
def test_articles_and_alternative_titles(catalogue, title, key):
    found = match(title, key[1])
    assert (found.status, ids(found)) == (MATCHED, [catalogue[key]])


def test_the_year_decides_between_two_films_of_one_title(catalogue):
    assert ids(match("Hamlet", 1996)) == [catalogue[("Hamlet", 1996)]]
    assert ids(match("Hamlet", 1990)) == [catalogue[("Hamlet", 1990)]]
    # One year off is tolerated (release dates differ between countries).
    assert match("Hamlet", 1997).status == MATCHED
    assert ids(match("Hamlet", 1997)) == [catalogue[("Hamlet", 1996)]]
    # Without a year, both are offered.
    found = match("Hamlet", None)
    assert found.status == AMBIGUOUS
    assert set(ids(found)) == {catalogue[("Hamlet", 1990)], catalogue[("Hamlet", 1996)]}
    assert "gives no year" in found.reason


def test_a_good_title_from_another_year_is_ambiguous(catalogue):
    found = match("Crash", 2004)
    assert found.status == AMBIGUOUS
    assert ids(found) == [catalogue[("Crash", 1996)]]
    assert found.reason == "The catalogue has this title from 1996, not 2004."


def test_a_title_and_its_sequel_in_the_right_year(catalogue):
    assert ids(match("Alien", 1979)) == [catalogue[("Alien", 1979)]]
    assert ids(match("Aliens", 1986)) == [catalogue[("Aliens", 1986)]]
    assert ids(match("Toy Story 2", 1999)) == [catalogue[("Toy Story 2", 1999)]]


def test_a_closer_title_from_another_year_makes_a_choice(catalogue):
    found = match("Toy Story", 1999)
    assert found.status == AMBIGUOUS
    assert ids(found) == [catalogue[("Toy Story 2", 1999)], catalogue[("Toy Story", 1995)]]
    assert "another year the same title" in found.reason


def test_nothing_close_is_unmatched():
    found = match("Spiking Neurons Attack", 2020)
    assert found.status == UNMATCHED and found.candidates == []
    assert match("Parasite", 2019).status == UNMATCHED


def test_many_rows_are_matched_with_few_queries_per_distinct_title(django_assert_max_num_queries):
    wanted = [("Toy Story", 1995), ("Heat", 1995), ("Alien", 1979)] * 50
    with django_assert_max_num_queries(3):
        found = match_titles(wanted)
    assert len(found) == 3 and {m.status for m in found.values()} == {MATCHED}
