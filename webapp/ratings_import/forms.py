"""The two forms of an import: the file, then the review of what it matched.

The file is checked the way posters are (``webapp.catalog.posters``): its size from the upload
before anything is read, then its bytes read (never more than the limit plus one), then its
content proven to be what it claims, with a message a person understands at each refusal.

The review form is built from the pending import kept on the server: a checkbox per matched row,
a radio choice per ambiguous row whose values are the candidate ids that import offered (Django's
``ChoiceField`` refuses any other value, and ``services.confirm_import`` checks again), and an
"overwrite" checkbox per row whose movie is already rated on SpikeLens.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError

from webapp.ratings_import.models import RowStatus
from webapp.ratings_import.parsers import (
    MAX_FILE_BYTES,
    MAX_FILE_MEGABYTES,
    MAX_ROWS,
    Kind,
    ParsedFile,
    describe_rows,
    read_export,
)

# Row errors quoted when a file has no row that can be imported.
ERRORS_SHOWN = 20
SKIP = "skip"


class RatingsFileForm(forms.Form):
    file = forms.FileField(
        label="Your export (a CSV file)",
        widget=forms.FileInput(attrs={"accept": ".csv,text/csv,text/plain"}),
        help_text=f"Letterboxd ratings.csv, IMDb's ratings export or a MovieLens-style CSV; "
        f"up to {MAX_FILE_MEGABYTES} MB and {MAX_ROWS:,} rows.",
        error_messages={
            "required": "Choose the CSV file to import.",
            "empty": "The file is empty.",
        },
    )

    def clean_file(self) -> ParsedFile:
        upload = self.cleaned_data["file"]
        size = getattr(upload, "size", None)
        if size is None or size > MAX_FILE_BYTES:
            raise ValidationError(
                "The file is %(size)s; the limit is %(limit)s MB.",
                code="too_large",
                params={
                    "size": f"{size / (1024 * 1024):.1f} MB" if size else "of unknown size",
                    "limit": MAX_FILE_MEGABYTES,
                },
            )
        upload.seek(0)
        data = upload.read(MAX_FILE_BYTES + 1)
        parsed = read_export(data)
        if not parsed.readable:
            not_movies = sum(row.kind == Kind.NOT_A_MOVIE for row in parsed.rows)
            lead = f"No row of this {parsed.format.name} file can be imported"
            if not_movies:
                lead += f" ({not_movies} are not movies)"
            errors = describe_rows(parsed.invalid)
            more = len(errors) - ERRORS_SHOWN
            raise ValidationError(
                [f"{lead}."]
                + errors[:ERRORS_SHOWN]
                + ([f"… and {more} more rows with errors."] if more > 0 else []),
                code="no_readable_rows",
            )
        self.file_name = upload.name or ""
        return parsed


@dataclass(frozen=True)
class ReviewRow:
    """A row of the review page, with the form field that decides it (if any)."""

    row: dict
    field: forms.BoundField | None = None
    site_score: int | None = None

    @property
    def movie(self) -> dict | None:
        return self.row["candidates"][0] if self.row["candidates"] else None


class ReviewForm(forms.Form):
    def __init__(self, *args, rows: list[dict], rated: dict[int, int], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.rows = rows
        self.rated = rated
        for row in rows:
            number = row["row"]
            if row["status"] == RowStatus.MATCHED:
                movie = row["candidates"][0]
                if movie["id"] in rated:
                    self.fields[f"overwrite_{number}"] = forms.BooleanField(
                        required=False, initial=False, label="Replace with the file's rating"
                    )
                else:
                    self.fields[f"import_{number}"] = forms.BooleanField(
                        required=False, initial=True, label="Import"
                    )
            elif row["status"] == RowStatus.AMBIGUOUS:
                choices = [(str(c["id"]), self._label(c)) for c in row["candidates"]]
                self.fields[f"choice_{number}"] = forms.ChoiceField(
                    label=f"Row {number}",
                    choices=[*choices, (SKIP, "None of these: skip this row")],
                    initial=SKIP,
                    # A form sent without the row (not a browser: its radio has a default) skips it.
                    required=False,
                    widget=forms.RadioSelect,
                    error_messages={
                        "invalid_choice": f"Row {number}: that movie is not one of the choices "
                        "offered for this row.",
                    },
                )

    def _label(self, candidate: dict) -> str:
        label = (
            f"{candidate['title']} ({candidate['year']})"
            if candidate["year"]
            else candidate["title"]
        )
        score = self.rated.get(candidate["id"])
        if score is not None:
            label += f" — you rated it {score} ★ on SpikeLens (kept)"
        return label

    # ------------------------------------------------------------------ what the page lists
    def matched(self) -> list[ReviewRow]:
        return [
            ReviewRow(row, self[f"import_{row['row']}"])
            for row in self.rows
            if f"import_{row['row']}" in self.fields
        ]

    def already_rated(self) -> list[ReviewRow]:
        return [
            ReviewRow(row, self[f"overwrite_{row['row']}"], self.rated[row["candidates"][0]["id"]])
            for row in self.rows
            if f"overwrite_{row['row']}" in self.fields
        ]

    def ambiguous(self) -> list[ReviewRow]:
        return [
            ReviewRow(row, self[f"choice_{row['row']}"])
            for row in self.rows
            if f"choice_{row['row']}" in self.fields
        ]

    def not_imported(self) -> list[ReviewRow]:
        statuses = (RowStatus.UNMATCHED, RowStatus.NOT_A_MOVIE, RowStatus.DUPLICATE)
        return [ReviewRow(row) for row in self.rows if row["status"] in statuses]

    def invalid(self) -> list[ReviewRow]:
        return [ReviewRow(row) for row in self.rows if row["status"] == RowStatus.INVALID]

    def would_import(self) -> int:
        """Rows ticked when the page is first shown."""
        return len(self.matched())

    # ------------------------------------------------------------------ the decision
    def decisions(self) -> tuple[dict[int, int], set[int]]:
        """(row number → chosen movie id, rows whose SpikeLens rating is to be replaced)."""
        chosen: dict[int, int] = {}
        overwrite: set[int] = set()
        for row in self.rows:
            number = row["row"]
            if self.cleaned_data.get(f"import_{number}"):
                chosen[number] = row["candidates"][0]["id"]
            elif self.cleaned_data.get(f"overwrite_{number}"):
                chosen[number] = row["candidates"][0]["id"]
                overwrite.add(number)
            else:
                picked = self.cleaned_data.get(f"choice_{number}")
                if picked and picked != SKIP:
                    chosen[number] = int(picked)
        return chosen, overwrite
