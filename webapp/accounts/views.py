"""Sign-up, the two-step onboarding that follows it, and the preferences page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
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
from webapp.catalog.models import Movie

# How many well-known movies onboarding offers to rate.
ONBOARDING_MOVIES = 12


def _form_page(request: HttpRequest, template: str, form: BaseForm) -> HttpResponse:
    """The form's page: 200 when first shown, 400 when a submission comes back with errors
    (every valid submission redirects before reaching this)."""
    status = 400 if request.method == "POST" else 200
    return render(request, template, {"form": form}, status=status)


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
    movies = _well_known_movies(request)
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
    return _form_page(request, "accounts/onboarding_ratings.html", form)


def _well_known_movies(request: HttpRequest) -> list[Movie]:
    """The most rated movies, leaning to the person's favourite genres, in a stable order."""
    profile = profile_for(request.user)
    genres = list(profile.favourite_genres.all())
    chosen: list[Movie] = []
    if genres:
        chosen = list(
            Movie.objects.filter(genres__in=genres)
            .distinct()
            .popular()
            .with_card_data()[: ONBOARDING_MOVIES // 2]
        )
    rest = (
        Movie.objects.exclude(pk__in=[movie.pk for movie in chosen])
        .popular()
        .with_card_data()[: ONBOARDING_MOVIES - len(chosen)]
    )
    return chosen + list(rest)


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
