"""The home page (today's picks for the visitor, and the newest uploads beside them) and "More
picks": further pages of the same ranking, optionally within one genre."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_safe

from webapp.catalog.fragments import cached_fragment, fragment_key
from webapp.catalog.models import Movie
from webapp.catalog.undo import take_dismissal_offer
from webapp.catalog.visitor import user_scores, user_watchlist
from webapp.recommender.forms import PicksForm
from webapp.recommender.picks import (
    DEFAULT_PICKS,
    MAX_PICK_PAGES,
    PickPlan,
    PickWindow,
    materialise,
    plan_picks,
    read_taste,
)

NEW_ARRIVALS = 6
# Rendered pick cards are reused while the picks stay the same; averages shown may lag this much.
PICKS_FRAGMENT_TTL_SECONDS = 5 * 60


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    taste = read_taste(request.user) if request.user.is_authenticated else None
    plan = plan_picks(request.user, taste=taste)
    new_arrivals = list(
        Movie.objects.filter(source=Movie.Source.UPLOAD)
        .exclude(pk__in=plan.movie_ids)
        .order_by("-created_at", "-pk")
        .with_card_data()[:NEW_ARRIVALS]
    )
    return render(
        request,
        "recommender/home.html",
        {
            "picks": plan,
            "picks_html": _picks_html(request, plan, "picks", reverse("home")),
            "new_arrivals": new_arrivals,
            "my_scores": user_scores(request, new_arrivals),
            "my_watchlist": user_watchlist(request, new_arrivals),
            "onboarding_due": taste is not None and taste.onboarding_due,
            "undo_dismissal": _dismissal_to_undo(request),
            "more_picks": plan.available > len(plan.rows),
        },
    )


@login_required
@require_safe
def more_picks(request: HttpRequest) -> HttpResponse:
    """`/picks/?page=N&genre=Comedy`: page N of the person's ranking, 12 picks a page."""
    form = PicksForm(request.GET or None)
    context = {"form": form, "undo_dismissal": _dismissal_to_undo(request), "picks": None}
    if form.is_bound and not form.is_valid():
        # An unknown genre is a bad filter (400); a page that is not one is not found (404).
        status = 400 if "genre" in form.errors else 404
        return render(request, "recommender/picks.html", context, status=status)
    window = form.window() if form.is_bound else PickWindow()
    plan = plan_picks(request.user, taste=read_taste(request.user), window=window)
    pages = Paginator(range(min(plan.available, MAX_PICK_PAGES * DEFAULT_PICKS)), DEFAULT_PICKS)
    query = {"genre": window.genre} if window.genre else {}
    context.update(
        {
            "picks": plan,
            "window": window,
            "paginator": pages,
            "is_paginated": pages.num_pages > 1,
            "query_string": urlencode(query),
        }
    )
    if window.page > pages.num_pages:
        context["page_error"] = (
            f"There is no page {window.page} of your picks{_in(window)}: they have "
            f"{pages.num_pages} page{'s' if pages.num_pages != 1 else ''}."
        )
        context["page_obj"] = pages.page(1)
        return render(request, "recommender/picks.html", context, status=404)
    here = f"{reverse('picks')}?{urlencode({**query, 'page': window.page})}"
    context["page_obj"] = pages.page(window.page)
    context["picks_html"] = _picks_html(
        request,
        plan,
        "more-picks",
        here,
        empty_text=f"No more picks{_in(window)} for now: rate a few movies for new ones.",
    )
    return render(request, "recommender/picks.html", context)


def _in(window: PickWindow) -> str:
    return f" in {window.genre}" if window.genre else ""


def _picks_html(
    request: HttpRequest, plan: PickPlan, name: str, here: str, empty_text: str = ""
) -> str:
    """The pick cards, rendered once per plan and reused from the cache (see fragments.py)."""
    key = fragment_key(name, plan.key, plan.rows, request.user.is_authenticated, here)

    def render_picks(csrf_token: str) -> str:
        return render_to_string(
            "recommender/_picks_grid.html",
            {
                "picks": materialise(plan),
                "user": request.user,
                "csrf_token": csrf_token,
                "rate_next": here,
                "empty_text": empty_text,
            },
        )

    return cached_fragment(request, key, render_picks, PICKS_FRAGMENT_TTL_SECONDS)


def _dismissal_to_undo(request: HttpRequest) -> Movie | None:
    """The pick the visitor has just dismissed, still dismissed, for the notice with Undo."""
    if not request.user.is_authenticated:
        return None
    movie_id = take_dismissal_offer(request.session)
    if movie_id is None:
        return None
    return Movie.objects.filter(pk=movie_id, dismissed_by__user=request.user).first()
