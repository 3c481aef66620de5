"""Sign-up, the two-step onboarding that follows it, and the preferences page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from webapp.accounts.choices import age_range_for
from webapp.accounts.forms import FavouriteGenresForm, FirstRatingsForm, PreferencesForm, SignUpForm
from webapp.accounts.services import (
    create_account,
    finish_onboarding,
    profile_for,
    save_preferences,
)
from webapp.catalog.models import Genre, Movie

# How many well-known movies onboarding offers to rate.
ONBOARDING_MOVIES = 12


def _form_page(
    request: HttpRequest, template: str, form: BaseForm, **context: object
) -> HttpResponse:
    """The form's page: 200 when first shown, 400 when a submission comes back with errors
    (every valid submission redirects before reaching this)."""
    status = 400 if request.method == "POST" else 200
    return render(request, template, {"form": form, **context}, status=status)


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = create_account(
            form.cleaned_data["username"],
            form.cleaned_data["password1"],
            form.cleaned_data["email"],
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome to SpikeLens, {user.get_username()}!")
        return redirect("accounts:onboarding-genres")
    return _form_page(request, "accounts/signup.html", form)


@login_required
@require_http_methods(["GET", "POST"])
def onboarding_genres(request: HttpRequest) -> HttpResponse:
    profile = profile_for(request.user)
    form = FavouriteGenresForm(
        request.POST or None, initial={"favourite_genres": profile.favourite_genres.all()}
    )
    if request.method == "POST":
        if "skip" in request.POST:
            return redirect("accounts:onboarding-ratings")
        if form.is_valid():
            save_preferences(
                request.user,
                favourite_genres=form.cleaned_data["favourite_genres"],
                update_profile_fields=False,
            )
            return redirect("accounts:onboarding-ratings")
    return _form_page(request, "accounts/onboarding_genres.html", form)


@login_required
@require_http_methods(["GET", "POST"])
def onboarding_ratings(request: HttpRequest) -> HttpResponse:
    genres = list(profile_for(request.user).favourite_genres.order_by("name"))
    movies = _well_known_movies(genres)
    if request.method == "POST" and "skip" in request.POST:
        finish_onboarding(request.user)
        messages.info(request, "You can rate movies any time from their pages or from lists.")
        return redirect("home")
    form = FirstRatingsForm(request.POST or None, movies=movies)
    if request.method == "POST" and form.is_valid():
        written = finish_onboarding(request.user, form.scores())
        messages.success(
            request,
            f"Thanks! {written} rating{'s' if written != 1 else ''} saved. Here are your picks.",
        )
        return redirect("home")
    return _form_page(
        request,
        "accounts/onboarding_ratings.html",
        form,
        genre_names=[genre.name for genre in genres],
    )


def _well_known_movies(genres: list[Genre]) -> list[Movie]:
    """What onboarding offers to rate, in a stable order (the form is built again on POST).

    The well-known movies of the person's favourite genres first: the most rated of each genre
    in turn (round robin, genres by name), so Horror + Sci-Fi offers both even when Sci-Fi
    movies are rated far more; a movie of two chosen genres comes once. Then, or without
    favourite genres, the most rated movies overall fill the list.
    """
    chosen = _most_rated_in_turn(genres, ONBOARDING_MOVIES) if genres else []
    by_id = Movie.objects.filter(pk__in=chosen).with_card_data().in_bulk()
    offered = [by_id[pk] for pk in chosen if pk in by_id]
    rest = (
        Movie.objects.exclude(pk__in=chosen)
        .popular()
        .with_card_data()[: ONBOARDING_MOVIES - len(offered)]
    )
    return offered + list(rest)


def _most_rated_in_turn(genres: list[Genre], limit: int) -> list[int]:
    """Ids of up to ``limit`` rated movies: each genre's most rated in turn, without repeats.

    One query: each genre's movies ranked by popularity (the catalogue's own order, see
    ``MovieQuerySet.popular``) with a window function, cut at ``limit`` per genre.
    """
    through = Movie.genres.through
    ranked = (
        through.objects.filter(genre__in=genres, movie__rating_count__gt=0)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("genre_id")],
                order_by=[
                    F("movie__rating_count").desc(),
                    F("movie__rating_mean").desc(),
                    F("movie__title").asc(),
                    F("movie_id").asc(),
                ],
            )
        )
        .filter(rank__lte=limit)
        .order_by("rank")
        .values_list("genre_id", "movie_id")
    )
    queues: dict[int, list[int]] = {genre.pk: [] for genre in genres}
    for genre_id, movie_id in ranked:
        queues[genre_id].append(movie_id)
    chosen: list[int] = []
    taken: set[int] = set()
    while len(chosen) < limit and any(queues.values()):
        for queue in queues.values():  # genres in the order given (by name)
            while queue and queue[0] in taken:
                queue.pop(0)
            if queue and len(chosen) < limit:
                taken.add(queue[0])
                chosen.append(queue.pop(0))
    return chosen


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    profile = profile_for(request.user)
    initial = {
        "favourite_genres": profile.favourite_genres.all(),
        "age": age_range_for(profile.age),
        "occupation": profile.occupation,
    }
    form = PreferencesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        save_preferences(
            request.user,
            favourite_genres=form.cleaned_data["favourite_genres"],
            age=form.cleaned_data["age"],
            occupation=form.cleaned_data["occupation"],
        )
        messages.success(request, "Your preferences were saved; your picks follow them now.")
        return redirect(reverse("accounts:preferences"))
    return _form_page(request, "accounts/preferences.html", form)
