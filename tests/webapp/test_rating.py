"""Rating a movie: from its page and inline from lists, with and without JavaScript; bad input."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.webapp.catalog_data import PASSWORD, make_catalogue, make_member
from webapp.catalog.models import MAX_REVIEW_LENGTH, Movie, Rating

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue():
    return make_catalogue(n_movies=6, n_raters=4, per_rater=3)


@pytest.fixture
def movie(catalogue) -> Movie:
    return catalogue.movies[0]


@pytest.fixture
def member(client):
    user = make_member("ada")
    client.force_login(user)
    return user


def rate_url(movie) -> str:
    return reverse("catalog:rate", args=[movie.pk])


def snapshot():
    """Everything a refused request must leave untouched."""
    return (
        sorted(Rating.objects.values_list("user_id", "movie_id", "score", "review")),
        sorted(Movie.objects.values_list("pk", "rating_count", "rating_mean")),
    )


def test_rating_from_the_movie_page_stores_score_review_and_updates_stats(client, member, movie):
    before_count = movie.rating_count
    response = client.post(rate_url(movie), {"score": "5", "review": "Loved every minute."})
    assert response.status_code == 302 and response.url == movie.get_absolute_url()
    rating = Rating.objects.get(user=member, movie=movie)
    assert (rating.score, rating.review) == (5, "Loved every minute.")
    movie.refresh_from_db()
    assert movie.rating_count == before_count + 1
    page = client.get(movie.get_absolute_url()).content.decode()
    assert "You rated" in page and "Loved every minute." in page
    assert "You gave this 5 stars and wrote a review" in page


def test_re_rating_updates_and_never_duplicates(client, member, movie):
    client.post(rate_url(movie), {"score": "2", "review": "Meh."})
    count_after_first = Movie.objects.get(pk=movie.pk).rating_count
    client.post(rate_url(movie), {"score": "4", "review": "Better the second time."})
    assert Rating.objects.filter(user=member, movie=movie).count() == 1
    rating = Rating.objects.get(user=member, movie=movie)
    assert (rating.score, rating.review) == (4, "Better the second time.")
    assert Movie.objects.get(pk=movie.pk).rating_count == count_after_first
    assert "updated your rating" in client.get(movie.get_absolute_url()).content.decode()


def test_inline_star_rating_keeps_the_review_and_goes_back_to_the_list(client, member, movie):
    client.post(rate_url(movie), {"score": "3", "review": "Keep me."})
    browse = reverse("catalog:browse") + "?genre=Drama&page=1"
    response = client.post(rate_url(movie), {"score": "5", "next": browse})
    assert response.status_code == 302 and response.url == browse
    rating = Rating.objects.get(user=member, movie=movie)
    assert (rating.score, rating.review) == (5, "Keep me.")


def test_next_pointing_to_another_site_is_ignored(client, member, movie):
    response = client.post(rate_url(movie), {"score": "4", "next": "https://evil.example/"})
    assert response.url == movie.get_absolute_url()


def test_rating_with_javascript_answers_json(client, member, movie):
    response = client.post(rate_url(movie), {"score": "4"}, headers={"Accept": "application/json"})
    assert response.status_code == 200
    data = response.json()
    movie.refresh_from_db()
    assert data["ok"] and data["score"] == 4 and data["created"]
    assert data["rating_count"] == movie.rating_count
    assert data["rating_mean"] == pytest.approx(movie.rating_mean, abs=0.01)


def test_removing_a_rating_deletes_it_and_restores_stats(client, member, movie):
    original = (movie.rating_count, movie.rating_mean)
    client.post(rate_url(movie), {"score": "1", "review": "No."})
    response = client.post(reverse("catalog:unrate", args=[movie.pk]))
    assert response.status_code == 302
    assert not Rating.objects.filter(user=member, movie=movie).exists()
    movie.refresh_from_db()
    assert (movie.rating_count, movie.rating_mean) == pytest.approx(original)
    assert "were removed" in client.get(movie.get_absolute_url()).content.decode()


def test_removing_a_rating_that_does_not_exist_says_so(client, member, movie):
    client.post(reverse("catalog:unrate", args=[movie.pk]))
    assert "You had not rated" in client.get(movie.get_absolute_url()).content.decode()


# ------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    "payload, message",
    [
        ({"score": "0"}, "A rating is a whole number of stars from 1 to 5."),
        ({"score": "6"}, "A rating is a whole number of stars from 1 to 5."),
        ({"score": "-3"}, "A rating is a whole number of stars from 1 to 5."),
        ({"score": "4.5"}, "A rating is a whole number of stars from 1 to 5."),
        ({"score": "five"}, "A rating is a whole number of stars from 1 to 5."),
        ({"score": "1e3"}, "A rating is a whole number of stars from 1 to 5."),
        ({"score": ""}, "Choose a rating from 1 to 5 stars."),
        ({}, "Choose a rating from 1 to 5 stars."),
    ],
)
def test_out_of_range_or_non_numeric_scores_are_refused(client, member, movie, payload, message):
    client.post(rate_url(movie), {"score": "3", "review": "Original."})
    before = snapshot()
    response = client.post(rate_url(movie), payload)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert snapshot() == before


def test_bad_score_from_javascript_gets_json_400(client, member, movie):
    before = snapshot()
    response = client.post(rate_url(movie), {"score": "9"}, headers={"Accept": "application/json"})
    assert response.status_code == 400 and response.json()["ok"] is False
    assert snapshot() == before


def test_overlong_review_is_refused_and_the_old_one_kept(client, member, movie):
    client.post(rate_url(movie), {"score": "3", "review": "Original."})
    before = snapshot()
    response = client.post(rate_url(movie), {"score": "5", "review": "x" * (MAX_REVIEW_LENGTH + 1)})
    assert response.status_code == 400
    assert f"Reviews are limited to {MAX_REVIEW_LENGTH} characters" in response.content.decode()
    assert snapshot() == before


def test_review_at_the_length_cap_is_accepted(client, member, movie):
    client.post(rate_url(movie), {"score": "5", "review": "y" * MAX_REVIEW_LENGTH})
    assert len(Rating.objects.get(user=member).review) == MAX_REVIEW_LENGTH


@pytest.mark.parametrize(
    "review",
    [
        "<script>alert('x')</script>",
        "Great <b>film</b>",
        '<img src=x onerror="alert(1)">',
        "<!-- hidden --> text",
    ],
)
def test_html_in_a_review_is_refused(client, member, movie, review):
    before = snapshot()
    response = client.post(rate_url(movie), {"score": "4", "review": review})
    assert response.status_code == 400
    assert "Please use plain text" in response.content.decode()
    assert snapshot() == before


def test_plain_text_with_angle_brackets_is_kept_and_shown_escaped(client, member, movie):
    review = 'I <3 this & 2 < 3 > 1 "quotes"'
    client.post(rate_url(movie), {"score": "5", "review": review})
    assert Rating.objects.get(user=member).review == review
    page = client.get(movie.get_absolute_url()).content.decode()
    assert "I &lt;3 this &amp; 2 &lt; 3 &gt; 1 &quot;quotes&quot;" in page


def test_review_with_a_nul_byte_is_refused_not_crashed(client, member, movie):
    before = snapshot()
    response = client.post(rate_url(movie), {"score": "4", "review": "bad\x00byte"})
    assert response.status_code == 400
    assert snapshot() == before


def test_anonymous_post_is_sent_to_log_in_and_stores_nothing(client, movie):
    before = snapshot()
    response = client.post(rate_url(movie), {"score": "5"})
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={movie.get_absolute_url()}"
    assert "Please log in to rate movies." in client.get(response.url).content.decode()
    assert snapshot() == before


def test_anonymous_post_from_javascript_gets_401(client, movie):
    response = client.post(rate_url(movie), {"score": "5"}, headers={"Accept": "application/json"})
    assert response.status_code == 401


def test_anonymous_remove_changes_nothing(client, catalogue, movie):
    before = snapshot()
    response = client.post(reverse("catalog:unrate", args=[movie.pk]))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert snapshot() == before


@pytest.mark.parametrize("name", ["catalog:rate", "catalog:unrate"])
def test_unknown_movie_is_404(client, member, catalogue, name):
    before = snapshot()
    assert client.post(reverse(name, args=[987654]), {"score": "4"}).status_code == 404
    assert snapshot() == before


def test_rating_without_csrf_token_is_refused(catalogue, movie):
    strict = Client(enforce_csrf_checks=True)
    strict.login(username=make_member("csrf").username, password=PASSWORD)
    before = snapshot()
    response = strict.post(rate_url(movie), {"score": "5"})
    assert response.status_code == 403
    assert "nothing was saved" in response.content.decode()
    assert snapshot() == before


def test_rating_with_csrf_token_from_the_page_works(catalogue, movie):
    strict = Client(enforce_csrf_checks=True)
    strict.login(username=make_member("csrf").username, password=PASSWORD)
    strict.get(movie.get_absolute_url())
    token = strict.cookies["csrftoken"].value
    response = strict.post(rate_url(movie), {"score": "5", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert Rating.objects.filter(user__username="csrf", movie=movie, score=5).exists()


def test_get_on_the_rate_url_is_not_allowed(client, member, movie):
    assert client.get(rate_url(movie)).status_code == 405


def test_inline_forms_on_a_cached_home_page_carry_each_visitors_own_token(catalogue):
    import re

    make_member("twice")
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    pages = []
    for visitor in (first, second):  # the second visit is served from the fragment cache
        visitor.login(username="twice", password=PASSWORD)
        pages.append(visitor.get(reverse("home")).content.decode())
    assert not any(re.search(r"csrf-[0-9a-f]{32}", page) for page in pages)
    action, token = re.search(
        r'<form method="post" action="(/movies/\d+/rate/)" class="rate-inline" data-rate-form>\s*'
        r'<input type="hidden" name="csrfmiddlewaretoken" value="([^"]+)">',
        pages[1],
    ).groups()
    response = second.post(action, {"score": "4", "csrfmiddlewaretoken": token, "next": "/"})
    assert response.status_code == 302 and response.url == "/"
    assert Rating.objects.filter(user__username="twice", score=4).count() == 1


def test_a_title_cannot_pose_as_the_csrf_placeholder_of_a_cached_fragment(catalogue):
    """Titles are shown inside cached fragments; none can make the page paste a token into it."""
    import re

    from webapp.catalog.fragments import new_placeholder

    bait = f"__spikelens_csrf_token__ {new_placeholder()}"
    popular = Movie.objects.order_by("-rating_count").first()
    Movie.objects.filter(pk=popular.pk).update(title=bait)
    visitor = Client()
    visitor.force_login(make_member("bait-reader"))
    for _ in range(2):  # rendered, then served from the fragment cache
        html = visitor.get(reverse("home")).content.decode()
        assert bait in html
    tokens_in_page = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert tokens_in_page and all(t not in bait for t in tokens_in_page)
