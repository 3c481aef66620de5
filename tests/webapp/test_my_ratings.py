""" "My ratings": the visitor's rated movies with stars and review, sorted, paginated, each
editable and removable in place (with the rating page's Undo), and never anyone else's."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.webapp.catalog_data import make_catalogue, make_member
from webapp.catalog.models import Movie, Rating
from webapp.catalog.services import mark_not_interested, rate_movie
from webapp.catalog.views import MY_RATINGS_PAGE_SIZE

pytestmark = pytest.mark.django_db
MY_RATINGS = reverse("mine:ratings")


@pytest.fixture
def movies() -> list[Movie]:
    return make_catalogue(n_movies=30, n_raters=2, per_rater=3).movies


@pytest.fixture
def member(client):
    user = make_member("ada")
    client.force_login(user)
    return user


def rate_on(user, movie, score, review="", days_ago=0):
    rate_movie(user, movie, score, review)
    when = timezone.now() - dt.timedelta(days=days_ago)
    Rating.objects.filter(user=user, movie=movie).update(rated_at=when)


def listed_titles(html: str) -> list[str]:
    return re.findall(r'<h2 class="my-rating-title"><a href="[^"]+">([^<]+)</a>', html)


@pytest.fixture
def three_rated(member, movies):
    """Three ratings whose date, stars and title orders all differ."""
    b, c, a = movies[1], movies[2], movies[0]
    Movie.objects.filter(pk=a.pk).update(title="Alpha")
    Movie.objects.filter(pk=b.pk).update(title="Bravo")
    Movie.objects.filter(pk=c.pk).update(title="Charlie")
    rate_on(member, a, 3, "Fine <b>not</b> bold & fair.", days_ago=5)
    rate_on(member, b, 5, "", days_ago=1)
    rate_on(member, c, 1, "Dull.", days_ago=9)
    return member


def test_lists_my_movies_with_stars_review_and_date(client, three_rated):
    response = client.get(MY_RATINGS)
    assert response.status_code == 200
    html = response.content.decode()
    assert listed_titles(html) == ["Bravo", "Alpha", "Charlie"]  # newest first by default
    assert "You have rated 3 movies." in html
    assert "★★★☆☆" in html and "★★★★★" in html and "★☆☆☆☆" in html
    assert '<span class="visually-hidden">5 stars</span>' in html
    assert "Fine &lt;b&gt;not&lt;/b&gt; bold &amp; fair." in html  # escaped, never markup


@pytest.mark.parametrize(
    "sort, expected",
    [
        ("recent", ["Bravo", "Alpha", "Charlie"]),
        ("oldest", ["Charlie", "Alpha", "Bravo"]),
        ("stars", ["Bravo", "Alpha", "Charlie"]),
        ("fewest-stars", ["Charlie", "Alpha", "Bravo"]),
        ("title", ["Alpha", "Bravo", "Charlie"]),
    ],
)
def test_sorts_by_date_stars_and_title(client, three_rated, sort, expected):
    response = client.get(MY_RATINGS, {"sort": sort})
    assert response.status_code == 200
    assert listed_titles(response.content.decode()) == expected
    assert f'<option value="{sort}" selected>' in response.content.decode()


@pytest.mark.parametrize(
    "sort", ["';drop table catalog_rating;--", "score", "-rated_at", "x" * 500]
)
def test_an_unknown_sort_is_refused_with_a_message_and_the_default_order(client, three_rated, sort):
    response = client.get(MY_RATINGS, {"sort": sort})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Unknown sort order" in html
    assert listed_titles(html) == ["Bravo", "Alpha", "Charlie"]
    assert Rating.objects.filter(user=three_rated).count() == 3


def test_pages_of_ratings_like_browse(client, member, movies):
    for i, movie in enumerate(movies[: MY_RATINGS_PAGE_SIZE + 3]):
        rate_on(member, movie, 1 + i % 5, days_ago=i)
    first = client.get(MY_RATINGS, {"sort": "recent"}).content.decode()
    second = client.get(MY_RATINGS, {"sort": "recent", "page": "2"}).content.decode()
    assert len(listed_titles(first)) == MY_RATINGS_PAGE_SIZE
    assert len(listed_titles(second)) == 3
    assert not set(listed_titles(first)) & set(listed_titles(second))
    nav = re.search(
        r'<nav class="pagination" aria-label="Pages of results">(.*?)</nav>', second, re.S
    )
    assert nav and 'href="?sort=recent&amp;page=1"' in nav.group(1)  # the sort is kept
    assert 'aria-current="page"' in nav.group(1)


@pytest.mark.parametrize("page", ["3", "abc", "0", "-1", "1.5", "²", "9" * 30, "9" * 5000])
def test_a_page_that_is_not_one_is_a_404_that_says_how_many_there_are(client, member, movies, page):
    for movie in movies[: MY_RATINGS_PAGE_SIZE + 1]:
        rate_on(member, movie, 4)
    response = client.get(MY_RATINGS, {"page": page})
    assert response.status_code == 404
    assert "your ratings have 2 pages" in response.content.decode()


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(MY_RATINGS)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login")) and "next=/my/ratings/" in response.url


def test_other_peoples_ratings_never_show(client, member, movies):
    other = make_member("grace")
    rate_on(other, movies[5], 2, "Grace's secret review")
    rate_on(member, movies[6], 4, "Mine")
    html = client.get(MY_RATINGS).content.decode()
    assert listed_titles(html) == [movies[6].title]
    assert "secret review" not in html
    # make_catalogue's raters rated movies too; none of theirs are listed either.
    assert "You have rated 1 movie." in html


def test_each_row_edits_through_the_rating_form_and_comes_back_here(client, three_rated, movies):
    alpha = Movie.objects.get(title="Alpha")
    page = client.get(MY_RATINGS, {"sort": "title"}).content.decode()
    form = re.search(
        rf'<form method="post" action="(/movies/{alpha.pk}/rate/)".*?name="next" value="([^"]+)"',
        page,
        re.S,
    )
    assert form, "no edit form for Alpha"
    action, here = form.group(1), form.group(2).replace("&amp;", "&")
    assert here == f"{MY_RATINGS}?sort=title"
    assert f'id="id_review_{alpha.pk}"' in page  # ids unique per row
    response = client.post(
        action, {"score": "2", "review": "Worse on a second look.", "next": here}
    )
    assert response.status_code == 302 and response.url == here
    rating = Rating.objects.get(user=three_rated, movie=alpha)
    assert (rating.score, rating.review) == (2, "Worse on a second look.")
    html = client.get(here).content.decode()
    assert "You updated your rating of Alpha: 2 stars." in html
    assert "Worse on a second look." in html


def test_remove_in_place_then_undo_from_the_same_page(client, three_rated):
    alpha = Movie.objects.get(title="Alpha")
    before = Rating.objects.filter(user=three_rated, movie=alpha).values_list(
        "score", "review", "rated_at"
    )[0]
    here = f"{MY_RATINGS}?sort=stars"
    response = client.post(reverse("catalog:unrate", args=[alpha.pk]), {"next": here})
    assert response.status_code == 302 and response.url == here
    html = client.get(here).content.decode()
    assert listed_titles(html) == ["Bravo", "Charlie"]
    assert "Your 3-star rating and review of Alpha were removed." in html
    assert "Undo it on the movie page" not in html  # this page offers Undo itself
    undo = re.search(
        r'action="(/movies/\d+/rating/restore/)".*?name="undo" value="([^"]+)">'
        r'<input type="hidden" name="next" value="([^"]+)">',
        html,
        re.S,
    )
    assert undo
    response = client.post(undo.group(1), {"undo": undo.group(2), "next": here})
    assert response.status_code == 302 and response.url == here
    after = Rating.objects.filter(user=three_rated, movie=alpha).values_list(
        "score", "review", "rated_at"
    )[0]
    assert after == before
    assert listed_titles(client.get(here).content.decode()) == ["Bravo", "Alpha", "Charlie"]


def test_undo_never_redirects_off_site(client, three_rated):
    alpha = Movie.objects.get(title="Alpha")
    client.post(reverse("catalog:unrate", args=[alpha.pk]), {"next": MY_RATINGS})
    token = re.search(r'name="undo" value="([^"]+)"', client.get(MY_RATINGS).content.decode())
    response = client.post(
        reverse("catalog:restore-rating", args=[alpha.pk]),
        {"undo": token.group(1), "next": "https://evil.example/"},
    )
    assert response.status_code == 302 and response.url == alpha.get_absolute_url()


def test_the_page_lists_dismissed_movies_to_show_again(client, member, movies):
    mark_not_interested(member, movies[3])
    mark_not_interested(member, movies[4])
    mark_not_interested(make_member("grace"), movies[7])  # someone else's
    html = client.get(MY_RATINGS).content.decode()
    section = html.split('id="dismissed-heading"')[1]
    assert movies[3].title in section and movies[4].title in section
    assert movies[7].title not in section
    assert "these 2 movies" in section
    assert section.count("/not-interested/undo/") == 2 and "Show all again" in section


def test_the_header_links_to_my_ratings_and_marks_it_current(client, member):
    html = client.get(MY_RATINGS).content.decode()
    assert f'<a href="{MY_RATINGS}" aria-current="page">My ratings</a>' in html
    home = client.get(reverse("home")).content.decode()
    assert f'<a href="{MY_RATINGS}">My ratings</a>' in home
    assert 'href="/my/watchlist/">Watchlist</a>' in home


def test_anonymous_header_has_no_personal_links(client):
    assert MY_RATINGS not in Client().get(reverse("home")).content.decode()


def test_the_query_count_does_not_grow_with_the_ratings(client, member, movies):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(MY_RATINGS, {"sort": "title"}).status_code == 200
        return len(captured)

    rate_on(member, movies[0], 4, "One")
    mark_not_interested(member, movies[1])
    few = queries()
    for i, movie in enumerate(movies[2:22]):
        rate_on(member, movie, 1 + i % 5, f"Review {i}")
    for movie in movies[22:28]:
        mark_not_interested(member, movie)
    assert queries() == few


def test_a_removal_rated_again_since_is_not_offered_for_undo(client, three_rated):
    alpha = Movie.objects.get(title="Alpha")
    client.post(reverse("catalog:unrate", args=[alpha.pk]), {"next": MY_RATINGS})
    assert "were removed." in client.get(MY_RATINGS).content.decode()
    client.post(reverse("catalog:rate", args=[alpha.pk]), {"score": "2"})
    html = client.get(MY_RATINGS).content.decode()
    assert "were removed." not in html and "/rating/restore/" not in html
