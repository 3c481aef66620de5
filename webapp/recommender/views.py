"""The home page: today's picks for the visitor, and the newest uploads beside them."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_safe

from webapp.catalog.fragments import cached_fragment, fragment_key
from webapp.catalog.models import Movie
from webapp.catalog.views import user_scores
from webapp.recommender.picks import materialise, plan_picks, read_taste

NEW_ARRIVALS = 6
# Rendered pick cards are reused while the picks stay the same; averages shown may lag this much.
PICKS_FRAGMENT_TTL_SECONDS = 5 * 60


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    taste = read_taste(request.user) if request.user.is_authenticated else None
    plan = plan_picks(request.user, taste=taste)
    key = fragment_key("picks", plan.key, plan.rows, request.user.is_authenticated)

    def render_picks(csrf_token: str) -> str:
        return render_to_string(
            "recommender/_picks_grid.html",
            {
                "picks": materialise(plan),
                "user": request.user,
                "csrf_token": csrf_token,
                "rate_next": reverse("home"),
            },
        )

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
            "picks_html": cached_fragment(request, key, render_picks, PICKS_FRAGMENT_TTL_SECONDS),
            "new_arrivals": new_arrivals,
            "my_scores": user_scores(request, new_arrivals),
            "onboarding_due": taste is not None and taste.onboarding_due,
        },
    )
