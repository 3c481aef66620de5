"""Reading a ratings export: which site wrote it, and each row as a title, a year and stars.

Three formats are recognised from the header row (the delimiter, comma, semicolon or tab, too):

- **Letterboxd** ``ratings.csv`` (``Date,Name,Year,Letterboxd URI,Rating``; ``diary.csv`` has the
  same columns and more): ratings 0.5–5 in half stars.
- **IMDb** ratings export (``Const,Your Rating,Date Rated,Title,…,Title Type,…,Year,…``):
  ratings 1–10; rows whose title type is not a film (TV series, episodes, games) are set aside as
  "not a movie".
- **MovieLens**-style (``movieId,title,rating,timestamp``, the title ending in "(1995)"), or a
  plain ``title,year,rating``: ratings 0.5–5 in half stars. ``movieId`` is not used: ids differ
  between MovieLens releases, so titles are matched like the others.

SpikeLens ratings are whole stars from 1 to 5, so ratings are converted (``stars_from_*``): half
stars round half up (3.5 → 4, 0.5 → 1), IMDb's 1–10 becomes ``ceil(r / 2)`` (7 → 4, 8 → 4, 9 → 5).

The file is checked as a whole first (size, encoding, binary content, header, row count): any
problem there refuses it with a ``ValidationError``. Then each row is read on its own: a bad row
becomes an ``invalid`` row with its number (the header is row 1, as a spreadsheet shows it) and
the reason, and the other rows go on. Nothing here touches the database.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from recsys.data.movielens import clean_title
from webapp.catalog.forms import EARLIEST_YEAR, latest_year
from webapp.catalog.models import MAX_SCORE, MAX_TITLE_LENGTH, MIN_SCORE
from webapp.catalog.text import has_visible_text, reject_markup

MAX_FILE_MEGABYTES = 2
MAX_FILE_BYTES = MAX_FILE_MEGABYTES * 1024 * 1024
# Rows a file may hold (the header aside). The review page sends one form field per row it lists
# with a checkbox or a choice, and Django refuses a form of more than 1,000 fields
# (DATA_UPLOAD_MAX_NUMBER_FIELDS), so a longer export is imported in several files.
MAX_ROWS = 900
DELIMITERS = (",", ";", "\t")
DELIMITER_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs"}
# IMDb's title types that are films; the rest (TV series and episodes, games…) are not movies.
MOVIE_TITLE_TYPES = {"movie", "tvmovie", "video", "short", "tvshort"}
# What a spreadsheet would run as a formula: "=…", or "+", "-", "@" before a function call or a
# DDE link ("+HYPERLINK(", "-cmd|' /C calc'!A0", "@SUM("). "+1" or "-ology" are left alone.
_FORMULA = re.compile(r"^\s*(?:[=@]|[+\-]\s*[A-Za-z_][\w.]*\s*[(|!])")
# Plain numbers only: ASCII digits, one "." or "," (semicolon files often use a decimal comma).
_NUMBER = re.compile(r"^[0-9]{1,3}(?:[.,][0-9]{1,3})?$", re.ASCII)
_YEAR = re.compile(r"^[0-9]{4}$", re.ASCII)
# Bytes that start files which are not CSV text, with what to say about them.
_MAGIC = (
    (
        b"PK\x03\x04",
        "This is a ZIP archive (a zipped export or a spreadsheet), not a CSV file. "
        "Unzip the export and upload ratings.csv from it.",
    ),  # fmt: skip
    (b"\x1f\x8b", "This is a compressed (gzip) file, not a CSV file. Uncompress it first."),
    (b"%PDF", "This is a PDF document, not a CSV file."),
    (
        b"\xd0\xcf\x11\xe0",
        "This is an old Excel or Word document, not a CSV file. "
        "Save it as “CSV UTF-8” and upload that.",
    ),  # fmt: skip
)


@dataclass(frozen=True)
class ExportFormat:
    key: str
    name: str
    # Lower-cased column names every row needs.
    required: tuple[str, ...]
    scale: str

    def describe_scale(self) -> str:
        return {
            "half": "0.5–5 in half stars; half stars round up",
            "ten": "1–10; halved and rounded up",
        }[self.scale]


LETTERBOXD = ExportFormat(
    "letterboxd", "Letterboxd (ratings.csv)", ("name", "year", "rating"), "half"
)
IMDB = ExportFormat("imdb", "IMDb ratings export", ("title", "your rating", "year"), "ten")
MOVIELENS = ExportFormat("movielens", "MovieLens ratings with titles", ("title", "rating"), "half")
PLAIN = ExportFormat("plain", "Title, year and rating", ("title", "year", "rating"), "half")
FORMATS = {f.key: f for f in (LETTERBOXD, IMDB, MOVIELENS, PLAIN)}


class Kind:
    """What became of a row of the file."""

    OK = "ok"
    INVALID = "invalid"
    NOT_A_MOVIE = "not_movie"


@dataclass
class FileRow:
    """One row of the file: ``number`` is its row in a spreadsheet (the header is row 1)."""

    number: int
    kind: str
    title: str = ""
    year: int | None = None
    rating: str = ""
    stars: int | None = None
    reason: str = ""


@dataclass
class ParsedFile:
    format: ExportFormat
    delimiter: str
    rows: list[FileRow] = field(default_factory=list)

    @property
    def readable(self) -> list[FileRow]:
        return [row for row in self.rows if row.kind == Kind.OK]

    @property
    def invalid(self) -> list[FileRow]:
        return [row for row in self.rows if row.kind == Kind.INVALID]


# ----------------------------------------------------------------------------- conversion
def stars_from_half_stars(value: float) -> int:
    """0.5–5 in half stars to whole stars 1–5: half stars round up (2.5 → 3), and 0.5 is 1."""
    return max(MIN_SCORE, min(MAX_SCORE, math.floor(value + 0.5)))


def stars_from_ten(value: int) -> int:
    """IMDb's 1–10 to 1–5: ``ceil(r / 2)``, so 1–2 → 1, 3–4 → 2, 5–6 → 3, 7–8 → 4, 9–10 → 5."""
    return max(MIN_SCORE, min(MAX_SCORE, math.ceil(value / 2)))


# ----------------------------------------------------------------------------- the file
def read_export(data: bytes) -> ParsedFile:
    """The rows of an uploaded export, or ``ValidationError`` saying why the file is refused."""
    text = decode(data)
    delimiter = guess_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            raise ValidationError("The file is empty.", code="empty")
        columns = [cell.strip().lower() for cell in header]
        export_format = detect_format(columns, delimiter)
        parsed = ParsedFile(format=export_format, delimiter=delimiter)
        rows_read = 0
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue  # blank lines (a trailing newline, a spreadsheet's empty rows)
            rows_read += 1
            if rows_read > MAX_ROWS:
                raise ValidationError(
                    "The file has more than %(limit)s rows; import at most %(limit)s at a time "
                    "(split the file: rows you have imported already are then shown as rated).",
                    code="too_many_rows",
                    params={"limit": f"{MAX_ROWS:,}"},
                )
            parsed.rows.append(read_row(export_format, columns, cells, number))
    except csv.Error as exc:
        raise ValidationError(
            "The file is not valid CSV near line %(line)s (%(problem)s).",
            code="bad_csv",
            params={"line": reader.line_num, "problem": exc},
        ) from exc
    if not parsed.rows:
        raise ValidationError("The file has a header row but no ratings.", code="no_rows")
    return parsed


def decode(data: bytes) -> str:
    """UTF-8 text (a byte-order mark is dropped), or a refusal that says what the file is."""
    if not data or not data.strip(b" \t\r\n\xef\xbb\xbf"):
        raise ValidationError("The file is empty.", code="empty")
    if len(data) > MAX_FILE_BYTES:
        raise ValidationError(
            "The file is larger than %(limit)s MB.",
            code="too_large",
            params={"limit": MAX_FILE_MEGABYTES},
        )
    for magic, message in _MAGIC:
        if data.startswith(magic):
            raise ValidationError(message, code="not_csv")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ValidationError(
            "The file is saved as UTF-16; save or export it as UTF-8 (“CSV UTF-8”) and try again.",
            code="encoding",
        )
    if b"\x00" in data:
        raise ValidationError("The file contains binary data, not CSV text.", code="binary")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            "The file is not UTF-8 text (byte %(byte)s at position %(position)s cannot be read). "
            "Save or export it as UTF-8 (“CSV UTF-8”) and try again.",
            code="encoding",
            params={"byte": f"0x{data[exc.start]:02X}", "position": f"{exc.start:,}"},
        ) from exc
    if any(ord(char) < 32 and char not in "\t\r\n" for char in text) or "\x7f" in text:
        raise ValidationError(
            "The file contains control characters: it is binary data, not CSV text.",
            code="binary",
        )
    return text


def guess_delimiter(text: str) -> str:
    """The delimiter used most in the header row (commas when there is a tie or none)."""
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    return max(
        DELIMITERS,
        key=lambda candidate: (first_line.count(candidate), -DELIMITERS.index(candidate)),
    )


def detect_format(columns: list[str], delimiter: str = ",") -> ExportFormat:
    """The export a header row comes from; refuses a header missing a column the format needs."""
    present = set(columns)
    if "const" in present or "your rating" in present:
        candidate = IMDB
    elif "letterboxd uri" in present or {"name", "year"} <= present:
        candidate = LETTERBOXD
    elif "title" in present and "year" in present:
        candidate = PLAIN
    elif "title" in present or "movieid" in present:
        candidate = MOVIELENS
    else:
        raise ValidationError(
            "The first row does not name the columns of a Letterboxd, IMDb or MovieLens export "
            "(it was read as %(count)s column%(plural)s separated by %(delimiter)s). Expected, "
            "for example, “Date,Name,Year,Letterboxd URI,Rating” (Letterboxd ratings.csv), "
            "“Const,Your Rating,…,Title,…,Year,…” (IMDb) or “title,year,rating”.",
            code="unknown_format",
            params={
                "count": len(columns),
                "plural": "" if len(columns) == 1 else "s",
                "delimiter": DELIMITER_NAMES[delimiter],
            },
        )
    missing = [name for name in candidate.required if name not in present]
    if missing:
        hint = ""
        if candidate is LETTERBOXD and "rating" in missing:
            hint = " Upload ratings.csv from the Letterboxd export: watched.csv has no ratings."
        elif candidate is MOVIELENS and "title" in missing:
            hint = (
                " MovieLens's ratings.csv names movies by id only: join it with movies.csv so "
                "that each row has a title."
            )
        raise ValidationError(
            "This looks like a %(format)s file, but it has no %(columns)s column.%(hint)s",
            code="missing_columns",
            params={
                "format": candidate.name,
                "columns": " or ".join(f"“{name}”" for name in missing),
                "hint": hint,
            },
        )
    return candidate


# ----------------------------------------------------------------------------- one row
class RowError(Exception):
    """A row that cannot be read; the message is shown with the row's number."""


def read_row(
    export_format: ExportFormat, columns: list[str], cells: list[str], number: int
) -> FileRow:
    """One data row, read by its format's rules; a bad row comes back as ``invalid``."""
    try:
        if len(cells) > len(columns) and any(cell.strip() for cell in cells[len(columns) :]):
            raise RowError(
                f"It has {len(cells)} values but the header names {len(columns)} columns "
                "(a title containing the delimiter must be in double quotes)."
            )
        values = {
            name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(columns)
        }
        if export_format is IMDB:
            title_type = values.get("title type", "")
            kind = "".join(title_type.lower().split())
            if kind and kind not in MOVIE_TITLE_TYPES:
                return FileRow(
                    number=number,
                    kind=Kind.NOT_A_MOVIE,
                    title=_title(values.get("title", "")),
                    rating=values.get("your rating", ""),
                    reason=f"Not a movie ({_shown(title_type)}).",
                )
            title, title_year = _split_title(_title(values.get("title", "")))
            year = _year(values.get("year", "")) or title_year
            rating = values.get("your rating", "")
            stars = stars_from_ten(_ten_point(rating))
        else:
            raw_title = values.get("name" if export_format is LETTERBOXD else "title", "")
            title, title_year = _split_title(_title(raw_title))
            year = _year(values.get("year", "")) or title_year
            rating = values.get("rating", "")
            stars = stars_from_half_stars(_half_stars(rating))
    except RowError as error:
        return FileRow(number=number, kind=Kind.INVALID, reason=str(error))
    return FileRow(number=number, kind=Kind.OK, title=title, year=year, rating=rating, stars=stars)


def _title(raw: str) -> str:
    title = " ".join(raw.split())
    if not title or not has_visible_text(title):
        raise RowError("It has no title.")
    if _FORMULA.match(title):
        raise RowError("Its title looks like a spreadsheet formula, so the row is not read.")
    if len(title) > MAX_TITLE_LENGTH:
        raise RowError(f"Its title is longer than {MAX_TITLE_LENGTH} characters.")
    try:
        reject_markup(title)
    except ValidationError:
        raise RowError("Its title contains HTML tags.") from None
    return title


def _split_title(title: str) -> tuple[str, int | None]:
    """MovieLens's "Usual Suspects, The (1995)" → ("The Usual Suspects", 1995), as the catalogue
    stores it (``recsys.data.movielens.clean_title``, used by the MovieLens import too)."""
    cleaned, year = clean_title(title)
    if not cleaned:
        return title, None
    return cleaned, year


def _year(raw: str) -> int | None:
    if not raw:
        return None
    if not _YEAR.match(raw):
        raise RowError(f"Its year {_shown(raw)} is not a year.")
    year = int(raw)
    if not EARLIEST_YEAR <= year <= latest_year():
        raise RowError(f"Its year {year} is not between {EARLIEST_YEAR} and {latest_year()}.")
    return year


def _number(raw: str) -> float:
    if not raw:
        raise RowError("It has no rating.")
    if not _NUMBER.match(raw):
        raise RowError(f"Its rating {_shown(raw)} is not a number.")
    return float(raw.replace(",", "."))


def _half_stars(raw: str) -> float:
    value = _number(raw)
    if not 0.5 <= value <= 5:
        raise RowError(f"Its rating {_shown(raw)} is outside 0.5–5.")
    if value * 2 != int(value * 2):
        raise RowError(f"Its rating {_shown(raw)} is not a whole or half star.")
    return value


def _ten_point(raw: str) -> int:
    value = _number(raw)
    if not 1 <= value <= 10:
        raise RowError(f"Its rating {_shown(raw)} is outside 1–10.")
    if value != int(value):
        raise RowError(f"Its rating {_shown(raw)} is not a whole number from 1 to 10.")
    return int(value)


def _shown(raw: str, limit: int = 24) -> str:
    """A cell quoted in a message: cut short, and never a formula (pages escape the rest)."""
    if _FORMULA.match(raw):
        return "(a spreadsheet formula)"
    text = " ".join(raw.split())
    return f"“{text[:limit]}…”" if len(text) > limit else f"“{text}”"


def describe_rows(rows: Iterable[FileRow]) -> list[str]:
    """ "Row 7: its rating “6” is outside 0.5–5." for each row."""
    return [f"Row {row.number}: {row.reason}" for row in rows]
