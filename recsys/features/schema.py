"""What the outside world tells the recommender about a user or a movie.

These are plain values (no ids required), so a movie uploaded after training or a visitor who
has just signed up can be described with exactly the same types as the training data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ItemContent:
    """A movie as its content: enough to embed it without any rating."""

    title: str = ""
    year: int | None = None
    genres: Sequence[str] = ()
    description: str = ""


@dataclass(frozen=True)
class UserQuery:
    """Who is asking, and what they have rated *now* (may include ratings made after training).

    ``ratings`` maps movie id to a 1–5 rating. Every result excludes these movies.
    ``not_interested`` holds movies the person dismissed ("not interested"): never recommended,
    and read as evidence against their neighbours, like a low rating
    (:mod:`recsys.serving.taste`).
    """

    user_id: int | None = None
    age: int | None = None
    gender: str | None = None
    occupation: str | None = None
    zip_code: str | None = None
    favourite_genres: Sequence[str] = ()
    ratings: Mapping[int, float] = field(default_factory=dict)
    not_interested: frozenset[int] = frozenset()
