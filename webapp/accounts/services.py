"""Account state changes: signing up, saving preferences, finishing onboarding."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from webapp.accounts.models import Profile
from webapp.catalog.models import Genre
from webapp.catalog.services import rate_movies


def profile_for(user: AbstractBaseUser) -> Profile:
    """The user's profile, created on first use for accounts made outside sign-up (the admin)."""
    profile, _ = Profile.objects.get_or_create(user=user)
    return profile


def create_account(username: str, password: str, email: str = "") -> AbstractBaseUser:
    """A new person: the login and an empty profile, together or not at all."""
    with transaction.atomic():
        user = get_user_model().objects.create_user(
            username=username, email=email, password=password
        )
        Profile.objects.create(user=user)
    return user


def save_preferences(
    user: AbstractBaseUser,
    *,
    favourite_genres: Iterable[Genre],
    age: int | None = None,
    occupation: str = "",
    update_profile_fields: bool = True,
) -> Profile:
    """Store favourite genres (and, from the preferences page, age range and occupation)."""
    with transaction.atomic():
        profile = profile_for(user)
        if update_profile_fields:
            profile.age = age
            profile.occupation = occupation
            profile.save(update_fields=["age", "occupation"])
        profile.favourite_genres.set(list(favourite_genres))
    return profile


def finish_onboarding(user: AbstractBaseUser, scores: dict[int, int] | None = None) -> int:
    """Store the first ratings (possibly none: the step is skippable) and mark onboarding done."""
    with transaction.atomic():
        written = rate_movies(user, scores or {})
        profile = profile_for(user)
        profile.onboarded = True
        profile.save(update_fields=["onboarded"])
    return written
