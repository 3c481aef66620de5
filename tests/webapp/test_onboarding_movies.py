"""Onboarding's "rate a few" step offers well-known movies of the chosen genres first."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.webapp.catalog_data import make_genres, make_member
from webapp.accounts.views import ONBOARDING_MOVIES
from webapp.catalog.models import Genre, Movie

pytestmark = pytest.mark.django_db
RATINGS_STEP = reverse("accounts:onboarding-ratings")

# (title, genres, ratings): Comedy and Drama are rated far more than Horror and Sci-Fi, so the
# most popular overall would offer none of the latter; Sci-Fi is rated more than Horror, so
# "most rated of the chosen genres" without balance would offer Sci-Fi only.
CATALOGUE = [
    *((f"Comedy {i}", ["Comedy"], 500 - i) for i in range(8)),
    *((f"Drama {i}", ["Drama"], 400 - i) for i in range(8)),
    *((f"Drama Romance {i}", ["Drama", "Romance"], 300 - i) for i in range(4)),
    ("Sci-Fi 0", ["Sci-Fi"], 90),
    ("Sci-Fi 1", ["Sci-Fi", "Action"], 80),
    ("Alien", ["Horror", "Sci-Fi"], 70),
    ("Sci-Fi 3", ["Sci-Fi"], 60),
    ("Sci-Fi 4", ["Sci-Fi"], 50),
    ("Horror 0", ["Horror"], 9),
    ("Horror 1", ["Horror", "Comedy"], 8),
    ("Horror 2", ["Horror"], 7),
    ("Horror unseen", ["Horror"], 0),
]


@pytest.fixture
def catalogue() -> dict[str, Movie]:
    genres = make_genres(("Action", "Comedy", "Drama", "Horror", "Romance", "Sci-Fi"))
    movies = {}
    for title, names, count in CATALOGUE:
        movie = Movie.objects.create(title=title, year=1990, rating_count=count, rating_mean=3.5)
        movie.genres.set([genres[name] for name in names])
        movies[title] = movie
    return movies


def offered_to(client, genres=()) -> tuple[list[str], str]:
    """The titles the step offers to a new member with these favourite genres, and its page."""
    member = make_member("newbie", genres=list(genres))
    client.force_login(member)
    response = client.get(RATINGS_STEP)
    assert response.status_code == 200
    return [movie.title for movie in response.context["form"].movies], response.content.decode()


def test_horror_and_sci_fi_offer_both_genres_most_rated_first_in_turn(client, catalogue):
    offered, html = offered_to(client, Genre.objects.filter(name__in=["Horror", "Sci-Fi"]))
    assert len(offered) == ONBOARDING_MOVIES
    # Genres by name, each one's most rated in turn; Alien (both genres) comes once, as
    # Horror's most rated; the unrated horror movie is not "well known".
    assert offered[:8] == [
        "Alien", "Sci-Fi 0", "Horror 0", "Sci-Fi 1", "Horror 1", "Sci-Fi 3", "Horror 2",
        "Sci-Fi 4",
    ]  # fmt: skip
    # Then the most popular overall.
    assert offered[8:] == ["Comedy 0", "Comedy 1", "Comedy 2", "Comedy 3"]
    assert "The best-known Horror and Sci-Fi movies come first" in html


def test_one_genre_fills_the_list_with_its_movies_before_popular_ones(client, catalogue):
    offered, _ = offered_to(client, Genre.objects.filter(name="Horror"))
    assert offered[:4] == ["Alien", "Horror 0", "Horror 1", "Horror 2"]
    assert offered[4:] == [f"Comedy {i}" for i in range(8)]


def test_without_genres_the_most_popular_overall_as_before(client, catalogue):
    offered, html = offered_to(client)
    expected = list(Movie.objects.popular().values_list("title", flat=True)[:ONBOARDING_MOVIES])
    assert (
        offered == expected == [f"Comedy {i}" for i in range(8)] + [f"Drama {i}" for i in range(4)]
    )
    assert "best-known" not in html


def test_the_order_is_the_same_when_the_form_comes_back(client, catalogue):
    offered, _ = offered_to(client, Genre.objects.filter(name__in=["Horror", "Sci-Fi"]))
    movies = {movie.title: movie for movie in Movie.objects.all()}
    response = client.post(RATINGS_STEP, {f"score-{movies[offered[0]].pk}": "9"})
    assert response.status_code == 400
    assert [m.title for m in response.context["form"].movies] == offered
