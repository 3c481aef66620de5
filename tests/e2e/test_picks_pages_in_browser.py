"""The pages around the picks in Chromium, at 1280 px and on a 390 px phone: rate → My ratings
shows it and sorts; add to the watchlist from a pick card → the watchlist page; dismiss a pick →
gone, Undo → back; More picks page 2; the genre filter. Few page loads; no console error (the
strict Content-Security-Policy is on); nothing wider than the phone's screen."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Page, expect

from tests.e2e.test_contrast import MAIN_CONTROLS, WCAG_AA_TEXT, contrast
from tests.webapp.catalog_data import make_catalogue, make_member
from webapp.catalog.models import NotInterested, Rating, WatchlistEntry

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(params=list(WIDTHS))
def member_page(request, page: Page, live_server):
    """A logged-in member (session cookie set directly: no login page to load) at each width."""
    make_catalogue(n_movies=40, n_raters=6, per_rater=10)
    member = make_member("viewer")
    client = Client()
    client.force_login(member)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page.set_viewport_size(WIDTHS[request.param])
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.phone = request.param == "phone"
    yield page, member
    assert errors == []


def go_by_menu(page: Page, link: str) -> None:
    """Follow a header link, through the phone's Menu button when the header is folded."""
    nav = page.get_by_role("navigation", name="Main")
    toggle = nav.get_by_role("button", name="Menu")
    if toggle.is_visible():
        toggle.click()
    nav.get_by_role("link", name=link, exact=True).click()


def fits_the_screen(page: Page) -> None:
    """Nothing wider than the screen, and every link, button and field readable (WCAG AA)."""
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    ratios = contrast(page, MAIN_CONTROLS)
    low = {name: round(ratio, 2) for name, ratio in ratios.items() if ratio < WCAG_AA_TEXT}
    assert ratios and not low, low


def pick_titles(page: Page) -> list[str]:
    """The titles on the pick cards, in order, without their year."""
    texts = page.locator("#picks-heading ~ .grid .card-title").all_inner_texts()
    return [re.sub(r" \(\d{4}\)$", "", text.strip()) for text in texts]


def test_rate_then_my_ratings_lists_sorts_edits_and_undoes(member_page):
    page, member = member_page
    page.goto("/movies/?sort=title")
    for title, stars in (("Film 000", "3 stars"), ("Film 001", "5 stars")):
        card = page.locator(".card", has=page.get_by_role("heading", name=re.compile(f"^{title}")))
        card.locator(f"label[title='{stars}']").click()
        expect(card.locator(".rate-status")).to_have_text("Saved")

    go_by_menu(page, "My ratings")
    expect(page.get_by_role("heading", name="My ratings", level=1)).to_be_visible()
    # The header marks where the visitor is (also behind the phone's folded menu).
    expect(page.locator(".nav-links a[aria-current=page]")).to_have_text("My ratings")
    titles = page.locator(".my-rating-title a")
    expect(titles).to_have_count(2)
    page.get_by_label("Sort by").select_option("fewest-stars")
    page.get_by_role("button", name="Sort", exact=True).click()
    expect(titles).to_have_text(["Film 000", "Film 001"])
    fits_the_screen(page)

    # Edit in place: stars and a review, back on the same sorted page.
    row = page.locator(".my-rating", has=page.get_by_role("link", name="Film 000"))
    row.locator("summary", has_text="Edit").click()
    row.locator("label[title='5 stars']").click()
    row.get_by_label("Your review (optional)").fill("Better than I remembered <3")
    row.get_by_role("button", name=re.compile("^Save changes")).click()
    expect(page.get_by_text("You updated your rating of Film 000: 5 stars.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/my/ratings/\?sort=fewest-stars$"))
    expect(page.locator(".my-rating-review")).to_have_text("Better than I remembered <3")
    assert Rating.objects.get(user=member, movie__title="Film 000").score == 5

    # Remove in place, then Undo from the same page.
    row = page.locator(".my-rating", has=page.get_by_role("link", name="Film 001"))
    row.get_by_role("button", name=re.compile("^Remove")).click()
    expect(page.get_by_text("Your 5-star rating of Film 001 was removed.")).to_be_visible()
    expect(titles).to_have_count(1)
    page.get_by_role("button", name=re.compile("^Undo")).click()
    expect(page.get_by_text("Your rating of Film 001 is back: 5 stars.")).to_be_visible()
    expect(titles).to_have_count(2)
    fits_the_screen(page)


def test_watchlist_not_interested_more_picks_and_genres(member_page):
    page, member = member_page
    page.goto("/")
    first = pick_titles(page)
    assert len(first) == 12

    # Add the first pick to the watchlist from its card: it leaves the picks.
    card = page.locator("#picks-heading ~ .grid .card").first
    card.get_by_role("button", name=f"Add {first[0]} to watchlist").click()
    expect(page.get_by_text(f"Added {first[0]} to your watchlist.")).to_be_visible()
    assert first[0] not in pick_titles(page)
    assert WatchlistEntry.objects.filter(user=member, movie__title=first[0]).exists()

    # Dismiss the new first pick: gone at once, and Undo brings it back.
    dismissed = pick_titles(page)[0]
    page.get_by_role("button", name=f"Not interested in {dismissed}").click()
    expect(page.get_by_text(f"{dismissed} won't be picked for you again.")).to_be_visible()
    assert dismissed not in pick_titles(page)
    assert NotInterested.objects.filter(user=member, movie__title=dismissed).exists()
    fits_the_screen(page)
    page.get_by_role("button", name=re.compile("^Undo")).click()
    expect(page.get_by_text(f"{dismissed} can be picked for you again.")).to_be_visible()
    assert pick_titles(page)[0] == dismissed

    # More picks, page 2: twelve more, none of page 1's.
    page.get_by_role("link", name="More picks →").click()
    expect(page).to_have_url(re.compile(r"/picks/\?page=2$"))
    pages = page.get_by_role("navigation", name="Pages of results")
    expect(pages.locator("[aria-current=page]")).to_contain_text("2")
    second = pick_titles(page)
    assert len(second) == 12 and not set(second) & set(pick_titles_of_home(first, dismissed))
    fits_the_screen(page)

    # The genre filter: every pick is a comedy, and the page keeps the genre in its links.
    page.get_by_label("Genre", exact=True).select_option("Comedy")
    page.get_by_role("button", name="Show picks").click()
    expect(page.get_by_role("heading", name="More picks for you in Comedy")).to_be_visible()
    cards = page.locator("#picks-heading ~ .grid .card")
    expect(cards.first).to_be_visible()
    for i in range(cards.count()):
        expect(cards.nth(i).locator(".tag", has_text="Comedy")).to_have_count(1)

    # The watchlist page lists the movie added from the card.
    go_by_menu(page, "Watchlist")
    expect(page.get_by_role("heading", name="Your watchlist")).to_be_visible()
    expect(page.locator(".card-title")).to_have_count(1)
    expect(page.locator(".card-title")).to_contain_text(first[0])
    fits_the_screen(page)


def pick_titles_of_home(first: list[str], dismissed: str) -> list[str]:
    """Page 1 after the watchlist add: the first picks without the one added."""
    return [title for title in first if title != first[0]] + [dismissed]
