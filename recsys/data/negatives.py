"""Sampled negatives for implicit-feedback training.

With every rating a positive, any movie a user has not rated is a *candidate* negative. Uniform
sampling with rejection of rated items is the textbook BPR choice; it is cheap because a user has
rated a tiny share of the catalogue, so rejections are rare.
"""

from __future__ import annotations

import numpy as np

from recsys.data.interactions import UserItemRows


def sample_negatives(
    rows: UserItemRows, users: np.ndarray, n_per_user: int, rng: np.random.Generator
) -> np.ndarray:
    """(len(users), n_per_user) item indices that the respective user has not rated."""
    users = np.asarray(users, dtype=np.int64)
    out = rng.integers(0, rows.n_items, size=(len(users), n_per_user))
    for row, user in enumerate(users):
        rated = rows.items_of(int(user))
        if len(rated) >= rows.n_items:
            raise ValueError(f"user index {user} has rated every item; no negative exists")
        bad = np.isin(out[row], rated)
        while bad.any():
            out[row, bad] = rng.integers(0, rows.n_items, size=int(bad.sum()))
            bad = np.isin(out[row], rated)
    return out


def sample_triples(
    rows: UserItemRows, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One (user, positive, negative) triple per training rating, shuffled — one BPR epoch."""
    users, positives = rows.pairs()
    order = rng.permutation(len(users))
    users, positives = users[order], positives[order]
    negatives = rng.integers(0, rows.n_items, size=len(users))
    redraw_rated(rows, users, negatives, rated_keys(rows), rng)
    return users, positives, negatives


def rated_keys(rows: UserItemRows) -> np.ndarray:
    """Every rated (user, item) as ``user * n_items + item``, sorted so membership is a binary
    search; build it once per training run and pass it to :func:`redraw_rated`."""
    return np.sort(rows.pairs()[0] * rows.n_items + rows.items)


def redraw_rated(
    rows: UserItemRows,
    users: np.ndarray,
    negatives: np.ndarray,
    keys: np.ndarray,
    rng: np.random.Generator,
) -> None:
    """Redraw, in place, every negative the paired user has rated (up to 100 rounds)."""
    for _ in range(100):
        wanted = users * rows.n_items + negatives
        pos = np.searchsorted(keys, wanted).clip(max=len(keys) - 1)
        bad = keys[pos] == wanted
        if not bad.any():
            break
        negatives[bad] = rng.integers(0, rows.n_items, size=int(bad.sum()))
