"""Staff pages for the catalogue. Staff input is checked like anyone's: same poster pipeline."""

from __future__ import annotations

from django import forms
from django.contrib import admin

from webapp.catalog.forms import clean_title_text
from webapp.catalog.models import Genre, Movie, NotInterested, Rating, WatchlistEntry
from webapp.catalog.posters import MAX_POSTER_MEGABYTES, clean_poster
from webapp.catalog.text import reject_markup


class MovieAdminForm(forms.ModelForm):
    """The admin's movie form with the site's own checks.

    Why: the model's plain ImageField stored what staff uploaded as-is (original name, EXIF with
    GPS, any size). The poster goes through ``clean_poster`` instead: decoded, capped, and
    stored as a fresh JPEG under a random name, exactly as on the upload page.
    """

    poster = forms.FileField(
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        help_text=f"A JPEG, PNG or WebP image up to {MAX_POSTER_MEGABYTES} MB and "
        "20 megapixels; it is re-encoded and resized to at most 600 × 900.",
    )
    title = forms.CharField(max_length=200, validators=[reject_markup])

    class Meta:
        model = Movie
        fields = ["title", "year", "genres", "description", "poster", "source", "created_by"]

    def clean_title(self) -> str:
        return clean_title_text(self.cleaned_data["title"])

    def clean_poster(self):
        upload = self.cleaned_data.get("poster")
        if upload is False:  # "clear" ticked: remove the poster
            return False
        if not upload or upload == self.initial.get("poster"):
            return upload  # unchanged: the stored, already cleaned file
        return clean_poster(upload).content


@admin.register(Genre)
class GenreAdmin(admin.ModelAdmin):
    search_fields = ["name"]
    list_display = ["name"]


@admin.register(Movie)
class MovieAdmin(admin.ModelAdmin):
    form = MovieAdminForm
    list_display = ["title", "year", "source", "rating_count", "rating_mean", "created_at"]
    list_filter = ["source", "genres", "year"]
    search_fields = ["title", "description"]
    filter_horizontal = ["genres"]
    readonly_fields = ["rating_count", "rating_mean", "created_at", "movielens_id"]
    raw_id_fields = ["created_by"]
    date_hierarchy = "created_at"


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    list_display = ["user", "movie", "score", "rated_at"]
    list_filter = ["score", "movie__source"]
    search_fields = ["user__username", "movie__title", "review"]
    raw_id_fields = ["user", "movie"]
    list_select_related = ["user", "movie"]
    date_hierarchy = "rated_at"


@admin.register(WatchlistEntry)
class WatchlistEntryAdmin(admin.ModelAdmin):
    list_display = ["user", "movie", "added_at"]
    search_fields = ["user__username", "movie__title"]
    raw_id_fields = ["user", "movie"]
    list_select_related = ["user", "movie"]
    date_hierarchy = "added_at"


@admin.register(NotInterested)
class NotInterestedAdmin(admin.ModelAdmin):
    list_display = ["user", "movie", "created_at"]
    search_fields = ["user__username", "movie__title"]
    raw_id_fields = ["user", "movie"]
    list_select_related = ["user", "movie"]
    date_hierarchy = "created_at"
