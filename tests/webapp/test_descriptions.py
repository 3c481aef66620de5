"""A movie without a written description is described from the data: facts, ratings, co-ratings."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.webapp.catalog_data import make_genres, make_member
from webapp.catalog.descriptions import describe, summary
from webapp.catalog.models import Movie
from webapp.catalog.services import rate_movie

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_catalogue():
    """Alien's fans (4–5 stars) also liked Aliens (3 of them) and Blade Runner (2); Heat once."""
    cache.clear()
    genres = make_genres()
    movies = {}
    for title, year, names in [
        ("Alien", 1979, ["Horror", "Sci-Fi"]),
        ("Aliens", 1986, ["Action", "Sci-Fi"]),
        ("Blade Runner", 1982, ["Sci-Fi"]),
        ("Heat", 1995, ["Action"]),
        ("Grease", 1978, ["Romance"]),
    ]:
        movies[title] = Movie.objects.create(title=title, year=year)
        movies[title].genres.set([genres[n] for n in names])
    fans = [make_member(f"fan{i}") for i in range(3)]
    for fan in fans:
        rate_movie(fan, movies["Alien"], 5)
        rate_movie(fan, movies["Aliens"], 4)
        rate_movie(fan, movies["Grease"], 2)  # rated, but not liked: not a co-like
    rate_movie(fans[0], movies["Blade Runner"], 5)
    rate_movie(fans[1], movies["Blade Runner"], 4)
    rate_movie(fans[2], movies["Heat"], 5)  # one shared fan only: a coincidence
    critic = make_member("critic")
    rate_movie(critic, movies["Alien"], 2)
    rate_movie(critic, movies["Grease"], 5)
    for movie in movies.values():
        movie.refresh_from_db()
    return movies


def test_the_page_describes_a_movie_nobody_wrote_about(client, small_catalogue):
    alien = small_catalogue["Alien"]
    html = client.get(alien.get_absolute_url()).content.decode()
    assert "No description yet" not in html
    assert "A 1979 Horror and Sci-Fi movie." in html
    assert "Rated by 4 members, 4.2 ★ on average; 75% gave it 4 or 5 stars." in html
    aliens, blade = small_catalogue["Aliens"], small_catalogue["Blade Runner"]
    assert (
        f'People who liked it also liked <a href="{aliens.get_absolute_url()}">Aliens (1986)</a>'
        f' and <a href="{blade.get_absolute_url()}">Blade Runner (1982)</a>.'
    ) in html


def test_also_liked_counts_only_likes_by_fans_and_skips_coincidences(small_catalogue):
    story = describe(small_catalogue["Alien"])
    assert [(m.title, m.shared_fans) for m in story.also_liked] == [
        ("Aliens (1986)", 3),
        ("Blade Runner (1982)", 2),
    ]
    # Grease was liked only by a critic of Alien: no link from Alien's fans.
    assert describe(small_catalogue["Grease"]).also_liked == ()


def test_a_written_description_is_kept_and_the_links_are_added(client, small_catalogue):
    alien = small_catalogue["Alien"]
    Movie.objects.filter(pk=alien.pk).update(description="In space no one can hear you scream.")
    html = client.get(alien.get_absolute_url()).content.decode()
    assert "In space no one can hear you scream." in html
    assert "A 1979 Horror and Sci-Fi movie." not in html
    assert "People who liked it also liked" in html


def test_imdb_search_link(client, small_catalogue):
    movie = Movie.objects.create(title="Shining, The", year=1980)
    story = describe(movie)
    url = urlparse(story.imdb_url)
    assert (url.scheme, url.netloc, url.path) == ("https", "www.imdb.com", "/find/")
    assert parse_qs(url.query)["q"] == ["The Shining 1980"]
    html = client.get(movie.get_absolute_url()).content.decode()
    assert 'rel="noopener noreferrer external">Look it up on IMDb</a>' in html
    assert "No member has rated it yet" in html


def test_a_rating_gives_a_fresh_description_and_a_cached_one_costs_no_query(small_catalogue):
    alien = Movie.objects.with_card_data().get(pk=small_catalogue["Alien"].pk)
    describe(alien)
    with CaptureQueriesContext(connection) as captured:
        describe(alien)
    assert len(captured) == 0
    rate_movie(make_member("late"), alien, 1)
    assert describe(alien).ratings.startswith("Rated by 5 members, 3.6 ★")


@pytest.mark.parametrize(
    "year, genres, expected",
    [
        (1979, ["Horror", "Sci-Fi"], "A 1979 Horror and Sci-Fi movie."),
        (None, ["Action", "Crime", "Drama"], "An Action, Crime and Drama movie."),
        (1899, [], "An 1899 movie."),
        (None, [], "A movie in the SpikeLens catalogue."),
    ],
)
def test_summary_sentence(year, genres, expected):
    assert summary(year, genres) == expected
