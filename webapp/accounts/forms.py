"""Sign-up, onboarding and preference forms."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm

from webapp.accounts.choices import AGE_RANGES, OCCUPATIONS
from webapp.catalog.forms import SCORE_CHOICES
from webapp.catalog.models import Genre


class SignUpForm(UserCreationForm):
    email = forms.EmailField(
        required=False, help_text="Optional; only used to reset a forgotten password."
    )

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email")


class FavouriteGenresForm(forms.Form):
    favourite_genres = forms.ModelMultipleChoiceField(
        label="Favourite genres",
        queryset=Genre.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Your picks lean towards these until you have rated a few movies.",
    )


class PreferencesForm(FavouriteGenresForm):
    age = forms.TypedChoiceField(
        label="Age range",
        choices=[("", "Prefer not to say"), *AGE_RANGES],
        coerce=int,
        empty_value=None,
        required=False,
    )
    occupation = forms.ChoiceField(
        choices=[("", "Prefer not to say")] + [(name, name.capitalize()) for name in OCCUPATIONS],
        required=False,
    )


class FirstRatingsForm(forms.Form):
    """One optional star rating per well-known movie; unrated ones are simply skipped."""

    def __init__(self, *args, movies, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.movies = list(movies)
        for movie in self.movies:
            self.fields[self.field_name(movie.pk)] = forms.TypedChoiceField(
                label=str(movie),
                choices=[("", "Not seen"), *SCORE_CHOICES],
                coerce=int,
                empty_value=None,
                required=False,
                error_messages={
                    "invalid_choice": "A rating is a whole number of stars from 1 to 5."
                },
            )

    @staticmethod
    def field_name(movie_id: int) -> str:
        return f"score-{movie_id}"

    def rows(self):
        """(movie, bound field) pairs, so the template can show each movie beside its stars."""
        return [(movie, self[self.field_name(movie.pk)]) for movie in self.movies]

    def scores(self) -> dict[int, int]:
        return {
            movie.pk: self.cleaned_data[self.field_name(movie.pk)]
            for movie in self.movies
            if self.cleaned_data.get(self.field_name(movie.pk)) is not None
        }
