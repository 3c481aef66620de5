"""Forms of the catalogue: rating, uploading and browsing. Each says clearly what it refuses."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError

from webapp.catalog.models import (
    MAX_DESCRIPTION_LENGTH,
    MAX_REVIEW_LENGTH,
    MAX_SCORE,
    MAX_TITLE_LENGTH,
    MIN_SCORE,
    Genre,
)
from webapp.catalog.posters import MAX_POSTER_MEGABYTES, clean_poster
from webapp.catalog.ranking import best_rated_ordering
from webapp.catalog.text import reject_invisible, reject_markup

EARLIEST_YEAR = 1870
SCORE_CHOICES = [
    (score, f"{score} star{'s' if score > 1 else ''}")
    for score in range(MAX_SCORE, MIN_SCORE - 1, -1)
]


def latest_year() -> int:
    """Uploads may announce films a few years ahead; nothing later is plausible."""
    return dt.date.today().year + 5


def clean_title_text(raw: str) -> str:
    """A title as stored: whitespace collapsed, and refused when nothing visible is left."""
    title = " ".join(raw.split())
    if not title:
        raise ValidationError("Please give the movie a title.", code="required")
    reject_invisible(title)
    return title


class StarsWidget(forms.RadioSelect):
    """Five radio buttons drawn as stars: keyboard usable and readable without CSS or JS.

    The templates live in this app's own templates folder, where Django's form renderer looks.
    """

    template_name = "catalog/widgets/stars.html"
    option_template_name = "catalog/widgets/star_option.html"


class RatingForm(forms.Form):
    score = forms.TypedChoiceField(
        label="Your rating",
        choices=SCORE_CHOICES,
        coerce=int,
        widget=StarsWidget,
        error_messages={
            "required": "Choose a rating from 1 to 5 stars.",
            "invalid_choice": "A rating is a whole number of stars from 1 to 5.",
        },
    )
    review = forms.CharField(
        label="Your review (optional)",
        required=False,
        max_length=MAX_REVIEW_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": MAX_REVIEW_LENGTH}),
        validators=[reject_markup],
        error_messages={
            "max_length": f"Reviews are limited to {MAX_REVIEW_LENGTH} characters "
            "(this one has %(show_value)d)."
        },
        help_text=f"Plain text, up to {MAX_REVIEW_LENGTH} characters.",
    )


class MovieUploadForm(forms.Form):
    title = forms.CharField(
        max_length=MAX_TITLE_LENGTH,
        validators=[reject_markup],
        error_messages={
            "max_length": f"Titles are limited to {MAX_TITLE_LENGTH} characters "
            "(this one has %(show_value)d)."
        },
    )
    year = forms.IntegerField(
        required=True,
        min_value=EARLIEST_YEAR,
        help_text="The year the film was first released.",
    )
    genres = forms.ModelMultipleChoiceField(
        queryset=Genre.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Pick every genre that fits; they decide who the movie is recommended to.",
    )
    description = forms.CharField(
        required=False,
        max_length=MAX_DESCRIPTION_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": MAX_DESCRIPTION_LENGTH}),
        validators=[reject_markup],
        error_messages={
            "max_length": f"Descriptions are limited to {MAX_DESCRIPTION_LENGTH} characters "
            "(this one has %(show_value)d)."
        },
    )
    poster = forms.FileField(
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        help_text=f"Optional. A JPEG, PNG or WebP image up to {MAX_POSTER_MEGABYTES} "
        "MB and 20 megapixels; it is resized to at most 600 × 900.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].widget.attrs.update({"min": EARLIEST_YEAR, "max": latest_year()})

    def clean_title(self) -> str:
        return clean_title_text(self.cleaned_data["title"])

    def clean_year(self) -> int:
        year = self.cleaned_data["year"]
        if year > latest_year():
            raise ValidationError(
                "The year must be %(latest)d or earlier.",
                code="max_value",
                params={"latest": latest_year()},
            )
        return year

    def clean_poster(self):
        upload = self.cleaned_data.get("poster")
        if not upload:
            return None
        return clean_poster(upload)


class BrowseForm(forms.Form):
    """The browse page's filters; every field is optional and a bad value is explained."""

    SORTS = {
        "popular": ("Most popular", ("-rating_count", "-rating_mean", "title", "pk")),
        # Ordered by a damped average instead (see ordering() and webapp.catalog.ranking).
        "rating": ("Highest rated", ("-rating_mean", "-rating_count", "title", "pk")),
        "newest": ("Newest first", ("-year", "-rating_count", "title", "pk")),
        "oldest": ("Oldest first", ("year", "-rating_count", "title", "pk")),
        "title": ("Title A–Z", ("title", "year", "pk")),
        "added": ("Recently added", ("-created_at", "-pk")),
    }

    q = forms.CharField(
        label="Title",
        required=False,
        max_length=MAX_TITLE_LENGTH,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "e.g. star wars"}),
    )
    genre = forms.ModelChoiceField(
        queryset=Genre.objects.all(),
        to_field_name="name",
        required=False,
        empty_label="Any genre",
        error_messages={"invalid_choice": "There is no genre called “%(value)s”."},
    )
    year_from = forms.IntegerField(label="From year", required=False, min_value=EARLIEST_YEAR)
    year_to = forms.IntegerField(label="To year", required=False, min_value=EARLIEST_YEAR)
    sort = forms.ChoiceField(
        required=False,
        choices=[(key, label) for key, (label, _) in SORTS.items()],
        error_messages={"invalid_choice": "Unknown sort order “%(value)s”."},
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in ("year_from", "year_to"):
            self.fields[name].widget.attrs.update({"min": EARLIEST_YEAR, "max": latest_year()})

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("year_from"), cleaned.get("year_to")
        for name in ("year_from", "year_to"):
            value = cleaned.get(name)
            if value is not None and value > latest_year():
                self.add_error(name, f"Years go up to {latest_year()}.")
        if start is not None and end is not None and start > end:
            raise ValidationError("“From year” must not be after “To year”.", code="year_order")
        return cleaned

    def ordering(self) -> tuple:
        sort = (self.cleaned_data.get("sort") if self.is_valid() else None) or "popular"
        if sort == "rating":
            return best_rated_ordering()
        return self.SORTS[sort][1]


class MyRatingsForm(forms.Form):
    """How "My ratings" is sorted; anything but a listed order is refused with a message."""

    SORTS = {
        "recent": ("Newest first", ("-rated_at", "-pk")),
        "oldest": ("Oldest first", ("rated_at", "pk")),
        "stars": ("Most stars first", ("-score", "-rated_at", "-pk")),
        "fewest-stars": ("Fewest stars first", ("score", "-rated_at", "-pk")),
        "title": ("Title A–Z", ("movie__title", "movie__year", "pk")),
    }

    sort = forms.ChoiceField(
        label="Sort by",
        required=False,
        choices=[(key, label) for key, (label, _) in SORTS.items()],
        error_messages={"invalid_choice": "Unknown sort order “%(value)s”."},
    )

    def ordering(self) -> tuple[str, ...]:
        sort = (self.cleaned_data.get("sort") if self.is_valid() else None) or "recent"
        return self.SORTS[sort][1]
