"""The movie page on a 390 × 844 phone: the first screen says what the movie is and how it is
rated, and offers the rating form, instead of a poster filling it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.showcase import build_showcase
from tests.webapp.catalog_data import PASSWORD, make_member

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}


def box(page: Page, selector: str) -> dict:
    element = page.locator(selector).first
    expect(element).to_be_visible()
    found = element.bounding_box()
    assert found is not None, selector
    return found


def assert_in_first_screen(page: Page, selector: str) -> None:
    found = box(page, selector)
    assert found["x"] >= 0 and found["x"] + found["width"] <= PHONE["width"], (selector, found)
    assert found["y"] >= 0 and found["y"] + found["height"] <= PHONE["height"], (selector, found)


def log_in(page: Page) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("reader")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Log in").click()


@pytest.fixture
def films(media):
    """The showcase: uploaded posters and generated ones, titles short and long."""
    movies = build_showcase(n_people=3)
    make_member("reader")
    return {movie.title: movie for movie in movies}


@pytest.mark.parametrize(
    "title", ["Star Wars", "Return of the Jedi", "Monty Python and the Holy Grail"]
)
def test_title_rating_and_the_rating_form_are_in_the_first_screen(page: Page, films, title):
    page.set_viewport_size(PHONE)
    log_in(page)
    page.goto(films[title].get_absolute_url())
    expect(page.locator("h1")).to_contain_text(title)
    poster = box(page, ".poster-large")
    assert poster["height"] <= 0.4 * PHONE["height"], poster
    assert_in_first_screen(page, ".poster-large")
    assert_in_first_screen(page, "h1")
    assert_in_first_screen(page, ".movie-info > .rating-summary")
    expect(page.locator(".movie-info > .rating-summary")).to_contain_text("Average ★")
    # The rating form: its heading and all five stars, ready to tap.
    assert_in_first_screen(page, "#your-rating-heading")
    assert_in_first_screen(page, ".rating-form .stars")
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")


def test_a_visitor_sees_title_and_average_first_and_wide_screens_keep_the_large_poster(
    page: Page, films
):
    page.set_viewport_size(PHONE)
    page.goto(films["Star Wars"].get_absolute_url())
    assert_in_first_screen(page, "h1")
    assert_in_first_screen(page, ".movie-info > .rating-summary")
    page.set_viewport_size({"width": 1280, "height": 900})
    poster = box(page, ".poster-large")
    assert poster["width"] == 300 and poster["height"] == 450, poster
