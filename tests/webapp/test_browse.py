"""Browse and search: title, genre, year range, sorting, pagination, and what bad filters get."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from tests.webapp.catalog_data import make_genres, make_member
from webapp.catalog.models import Movie
from webapp.catalog.ranking import PRIOR_WEIGHT, damped_rating, global_mean_rating
from webapp.catalog.views import BROWSE_PAGE_SIZE

pytestmark = pytest.mark.django_db
BROWSE = reverse("catalog:browse")


@pytest.fixture(autouse=True)
def fresh_cache():
    """The catalogue's mean rating is cached; each test's catalogue is new."""
    cache.clear()


@pytest.fixture
def shelf():
    genres = make_genres()
    rows = [
        # title, year, genres, count, mean
        ("Star Wars", 1977, ["Action", "Sci-Fi"], 583, 4.36),
        ("Return of the Jedi", 1983, ["Action", "Sci-Fi"], 507, 4.01),
        ("Starman", 1984, ["Romance", "Sci-Fi"], 40, 3.4),
        ("Annie Hall", 1977, ["Comedy", "Romance"], 80, 3.9),
        ("Scream", 1996, ["Horror"], 478, 3.44),
        ("Casablanca", 1942, ["Drama", "Romance"], 243, 4.45),
        ("Lone Star", 1996, ["Drama"], 187, 3.95),
        ("Unrated Oddity", 1995, [], 0, 0.0),
    ]
    movies = {}
    for title, year, names, count, mean in rows:
        movie = Movie.objects.create(title=title, year=year, rating_count=count, rating_mean=mean)
        movie.genres.set([genres[n] for n in names])
        movies[title] = movie
    return movies


def titles(response) -> list[str]:
    return re.findall(r'<h3 class="card-title">([^<]+?)(?: <span|</h3>)', response.content.decode())


def test_default_is_everything_most_popular_first(client, shelf):
    response = client.get(BROWSE)
    assert response.status_code == 200
    assert titles(response) == [
        "Star Wars", "Return of the Jedi", "Scream", "Casablanca", "Lone Star", "Annie Hall",
        "Starman", "Unrated Oddity",
    ]  # fmt: skip
    assert "8 movies found." in response.content.decode()


@pytest.mark.parametrize(
    "query, expected",
    [
        ("star", ["Star Wars", "Lone Star", "Starman"]),
        ("STAR WARS", ["Star Wars"]),
        ("jedi", ["Return of the Jedi"]),
        ("  sTaR  ", ["Star Wars", "Lone Star", "Starman"]),
        ("the jedi", ["Return of the Jedi"]),
    ],
)
def test_title_search_is_partial_and_case_insensitive(client, shelf, query, expected):
    assert titles(client.get(BROWSE, {"q": query})) == expected


def test_genre_filter(client, shelf):
    assert titles(client.get(BROWSE, {"genre": "Romance"})) == [
        "Casablanca",
        "Annie Hall",
        "Starman",
    ]


def test_year_range_is_inclusive(client, shelf):
    response = client.get(BROWSE, {"year_from": "1977", "year_to": "1984", "sort": "oldest"})
    assert titles(response) == ["Star Wars", "Annie Hall", "Return of the Jedi", "Starman"]


def test_filters_combine(client, shelf):
    response = client.get(BROWSE, {"q": "star", "genre": "Sci-Fi", "year_from": "1980"})
    assert titles(response) == ["Starman"]


@pytest.mark.parametrize(
    "sort, first_three",
    [
        ("popular", ["Star Wars", "Return of the Jedi", "Scream"]),
        ("rating", ["Casablanca", "Star Wars", "Return of the Jedi"]),
        ("newest", ["Scream", "Lone Star", "Unrated Oddity"]),
        ("oldest", ["Casablanca", "Star Wars", "Annie Hall"]),
        ("title", ["Annie Hall", "Casablanca", "Lone Star"]),
        ("added", ["Unrated Oddity", "Lone Star", "Casablanca"]),
    ],
)
def test_sort_orders(client, shelf, sort, first_three):
    assert titles(client.get(BROWSE, {"sort": sort}))[:3] == first_three


def test_empty_results_say_so(client, shelf):
    response = client.get(BROWSE, {"q": "no such film"})
    assert response.status_code == 200
    assert "No movies match these filters" in response.content.decode()


def test_pagination_keeps_the_filters(client):
    genres = make_genres()
    movies = [Movie(title=f"Comedy {i:02d}", year=1990, rating_count=100 - i) for i in range(30)]
    Movie.objects.bulk_create(movies)
    for movie in Movie.objects.all():
        movie.genres.add(genres["Comedy"])
    first = client.get(BROWSE, {"genre": "Comedy"})
    html = first.content.decode()
    assert len(titles(first)) == BROWSE_PAGE_SIZE
    assert "Page 1 of 2" in html and 'href="?genre=Comedy&amp;page=2"' in html
    second = client.get(BROWSE, {"genre": "Comedy", "page": "2"})
    assert titles(second) == [f"Comedy {i:02d}" for i in range(BROWSE_PAGE_SIZE, 30)]


@pytest.mark.parametrize("page", ["99", "0", "-1", "two", "1e9"])
def test_page_past_the_end_or_not_a_number_is_a_clear_404(client, shelf, page):
    response = client.get(BROWSE, {"page": page, "q": "star"})
    assert response.status_code == 404
    html = response.content.decode()
    assert f"There is no page “{page}”: these results have 1 page." in html
    assert 'href="?q=star&amp;page=1"' in html


@pytest.mark.parametrize(
    "params, message",
    [
        ({"year_from": "nineteen"}, "Enter a whole number."),
        ({"year_from": "1999", "year_to": "1980"}, "must not be after"),
        ({"year_to": "100000"}, "Years go up to"),
        ({"genre": "Polka"}, "There is no genre called “Polka”."),
        ({"sort": "random"}, "Unknown sort order “random”."),
        ({"q": "x" * 201}, "Ensure this value has at most 200 characters"),
    ],
)
def test_bad_filters_get_a_clear_message(client, shelf, params, message):
    response = client.get(BROWSE, params)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert (
        titles(response) == [] and "Please correct the filters above." in response.content.decode()
    )


def test_html_in_the_search_box_is_shown_escaped(client, shelf):
    response = client.get(BROWSE, {"q": "<script>alert(1)</script>"})
    html = response.content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_logged_in_lists_carry_inline_star_forms_with_the_users_score(client, shelf):
    from webapp.catalog.services import rate_movie

    user = make_member("rater")
    rate_movie(user, shelf["Casablanca"], 5)
    client.force_login(user)
    html = client.get(BROWSE, {"q": "casablanca"}).content.decode()
    pk = shelf["Casablanca"].pk
    assert f'action="/movies/{pk}/rate/"' in html
    assert f'id="rate-{pk}-5" checked' in html
    assert f'<label for="rate-{pk}-3" title="3 stars">' in html


def test_anonymous_lists_have_no_star_forms(client, shelf):
    assert "rate-inline" not in client.get(BROWSE).content.decode()


def test_highest_rated_damps_movies_with_few_ratings(client, shelf):
    """Three 5-star ratings do not beat two hundred ratings averaging 4.4."""
    Movie.objects.create(title="Three Fans", year=2001, rating_count=3, rating_mean=5.0)
    Movie.objects.create(title="Crowd Pleaser", year=2002, rating_count=200, rating_mean=4.4)
    ranked = titles(client.get(BROWSE, {"sort": "rating"}))
    assert ranked.index("Crowd Pleaser") < ranked.index("Three Fans")
    assert ranked[:3] == ["Casablanca", "Crowd Pleaser", "Star Wars"]
    assert ranked[-1] == "Unrated Oddity"


def test_damped_average_formula(shelf):
    movies = Movie.objects.exclude(rating_count=0)
    c = sum(m.rating_mean * m.rating_count for m in movies) / sum(m.rating_count for m in movies)
    assert global_mean_rating() == pytest.approx(c)
    scored = Movie.objects.annotate(damped=damped_rating(c)).get(title="Starman")
    assert scored.damped == pytest.approx((3.4 * 40 + PRIOR_WEIGHT * c) / (40 + PRIOR_WEIGHT))
