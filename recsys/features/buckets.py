"""Coarse buckets for numeric and free-text attributes.

Buckets (rather than raw numbers) let a one-hot input express non-monotonic effects — teenagers
and pensioners can both differ from thirty-somethings — and give a stable "unknown" slot, so a
missing value is an input like any other instead of a special case.
"""

from __future__ import annotations

import math
import re
import zlib

AGE_EDGES = (18, 25, 35, 45, 50, 56)  # the MovieLens-1M age groups
YEAR_EDGES = (1950, 1960, 1970, 1980, 1990, 1995, 1997, 1998)
POPULARITY_EDGES = (1, 3, 10, 30, 100, 300)  # train ratings per movie; 0 = a fresh movie
N_ZIP_REGIONS = 10  # first digit of a US zip code
_WORD = re.compile(r"[a-z0-9]+")


def _bucket(value: float, edges: tuple[float, ...]) -> int:
    for index, edge in enumerate(edges):
        if value < edge:
            return index
    return len(edges)


def age_bucket(age: float | None) -> int:
    """Index in ``0..len(AGE_EDGES)``, or ``len(AGE_EDGES) + 1`` (the last slot) for unknown."""
    if age is None or _is_missing(age) or age <= 0:
        return len(AGE_EDGES) + 1
    return _bucket(float(age), AGE_EDGES)


def year_bucket(year: float | None) -> int:
    if year is None or _is_missing(year):
        return len(YEAR_EDGES) + 1
    return _bucket(float(year), YEAR_EDGES)


def popularity_bucket(n_ratings: int) -> int:
    """0 for never rated (what every new movie is), then log-spaced bins."""
    return _bucket(float(n_ratings), POPULARITY_EDGES)


def zip_region(zip_code: str | None) -> int:
    """First digit of a US zip; anything else (foreign, missing) is the "unknown" slot."""
    if zip_code is None or _is_missing(zip_code):
        return N_ZIP_REGIONS
    text = str(zip_code).strip()
    return int(text[0]) if text[:1].isdigit() else N_ZIP_REGIONS


def hashed_words(text: str, n_buckets: int) -> list[int]:
    """Stable bucket per word (crc32, not Python's salted ``hash``), so artifacts reload alike."""
    words = _WORD.findall(str(text).lower())
    return [zlib.crc32(word.encode()) % n_buckets for word in words]


def _is_missing(value: object) -> bool:
    try:
        return (
            value is None
            or (isinstance(value, float) and math.isnan(value))
            or str(value)
            in {
                "",
                "<NA>",
                "nan",
                "None",
            }
        )
    except (TypeError, ValueError):
        return False
