"""Small MovieLens-100K look-alikes written to disk, in both layouts the loader accepts.

Generated, not copied, so tests know exactly what the files hold.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from recsys.data.genres import GENRES

OCCUPATIONS = ("student", "engineer", "writer", "artist", "other")


@dataclass(frozen=True)
class FakeMovieLens:
    folder: Path
    n_users: int
    n_movies: int
    ratings: list[tuple[int, int, int, int]]
    movie_genres: dict[int, tuple[str, ...]]
    movie_years: dict[int, int]


def _generate(n_users: int, n_movies: int, per_user: int, seed: int):
    rng = random.Random(seed)
    genres = {
        m: tuple(sorted(rng.sample(GENRES, rng.randint(1, 3)))) for m in range(1, n_movies + 1)
    }
    years = {m: rng.randint(1930, 1998) for m in range(1, n_movies + 1)}
    ratings = []
    for user in range(1, n_users + 1):
        for movie in rng.sample(range(1, n_movies + 1), per_user):
            ratings.append((user, movie, rng.randint(1, 5), 880_000_000 + rng.randint(0, 10**7)))
    users = [
        (
            u,
            rng.randint(10, 70),
            rng.choice("MF"),
            rng.choice(OCCUPATIONS),
            f"{rng.randint(0, 99999):05d}",
        )
        for u in range(1, n_users + 1)
    ]
    return users, genres, years, ratings


def write_official(
    folder: Path, n_users: int = 12, n_movies: int = 30, per_user: int = 8, seed: int = 0
) -> FakeMovieLens:
    """The GroupLens layout: u.data (tab), u.user and u.item (pipe, 19 genre flags)."""
    folder.mkdir(parents=True, exist_ok=True)
    users, genres, years, ratings = _generate(n_users, n_movies, per_user, seed)
    (folder / "u.data").write_text("".join(f"{u}\t{m}\t{r}\t{t}\n" for u, m, r, t in ratings))
    (folder / "u.user").write_text("".join(f"{u}|{a}|{g}|{o}|{z}\n" for u, a, g, o, z in users))
    lines = []
    for movie in range(1, n_movies + 1):
        flags = ["0"] + ["1" if g in genres[movie] else "0" for g in GENRES]
        title = f"Movie {movie}, The ({years[movie]})"
        lines.append(
            "|".join(
                [str(movie), title, f"01-Jan-{years[movie]}", "", "http://example.invalid", *flags]
            )
        )
    (folder / "u.item").write_text("\n".join(lines) + "\n", encoding="latin-1")
    return FakeMovieLens(folder, n_users, n_movies, ratings, genres, years)


def write_atomic(
    folder: Path, n_users: int = 12, n_movies: int = 30, per_user: int = 8, seed: int = 0
) -> FakeMovieLens:
    """RecBole's layout: ml-100k.{inter,user,item} with ``name:type`` headers."""
    folder.mkdir(parents=True, exist_ok=True)
    users, genres, years, ratings = _generate(n_users, n_movies, per_user, seed)
    (folder / "ml-100k.inter").write_text(
        "user_id:token\titem_id:token\trating:float\ttimestamp:float\n"
        + "".join(f"{u}\t{m}\t{r}\t{t}\n" for u, m, r, t in ratings)
    )
    (folder / "ml-100k.user").write_text(
        "user_id:token\tage:token\tgender:token\toccupation:token\tzip_code:token\n"
        + "".join(f"{u}\t{a}\t{g}\t{o}\t{z}\n" for u, a, g, o, z in users)
    )
    (folder / "ml-100k.item").write_text(
        "item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq\n"
        + "".join(
            f"{m}\tMovie {m}, The\t{years[m]}\t{' '.join(genres[m])}\n"
            for m in range(1, n_movies + 1)
        )
    )
    return FakeMovieLens(folder, n_users, n_movies, ratings, genres, years)
