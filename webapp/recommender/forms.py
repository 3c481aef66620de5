"""The picks page's filters: which page of the ranking, and which genre (checked against the
Genre table). Every refusal says what was wrong; nothing unchecked reaches the recommender."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from webapp.catalog.models import Genre
from webapp.recommender.picks import MAX_PICK_PAGES, PickWindow

# A page "number" is echoed in its error message; this much of it at most.
ECHOED_CHARACTERS = 20


class PicksForm(forms.Form):
    genre = forms.ModelChoiceField(
        queryset=Genre.objects.all(),
        to_field_name="name",
        required=False,
        empty_label="All genres",
        error_messages={
            "invalid_choice": "There is no genre called “%(value)s”: choose one from the list."
        },
    )
    page = forms.CharField(
        required=False,
        strip=True,
        error_messages={
            "null_characters_not_allowed": "There is no page like that of picks: they go from "
            f"page 1 to {MAX_PICK_PAGES}."
        },
    )

    def clean_page(self) -> int:
        raw = self.cleaned_data.get("page") or ""
        if not raw:
            return 1
        # ASCII digits only (int() would also read "١"), and few of them: int() refuses a string
        # of over 4,300 digits with a ValueError, which must not become a 500.
        digits = raw.isascii() and raw.isdigit() and len(raw) <= len(str(MAX_PICK_PAGES))
        if not digits or not 1 <= int(raw) <= MAX_PICK_PAGES:
            shown = raw if len(raw) <= ECHOED_CHARACTERS else raw[:ECHOED_CHARACTERS] + "…"
            raise ValidationError(
                "There is no page “%(page)s” of picks: they go from page 1 to %(last)d.",
                code="page",
                params={"page": shown, "last": MAX_PICK_PAGES},
            )
        return int(raw)

    def window(self) -> PickWindow:
        """The part of the ranking asked for; only call once the form is valid."""
        genre = self.cleaned_data.get("genre")
        return PickWindow(
            page=self.cleaned_data.get("page") or 1, genre=genre.name if genre else None
        )
