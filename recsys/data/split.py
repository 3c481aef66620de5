"""The fixed evaluation split: per-user stratified random 75/25.

Published MovieLens-100K tables (microsoft/recommenders benchmarks) use this protocol — each
user's ratings shuffled and cut at a per-user share — so our numbers compare with theirs only
as far as every user keeps the same share of ratings in train. Rows are ordered by (user,
movie) before drawing, so the split depends on the seed and the data, never on the order the
caller happened to pass the rows in.

It is *not* identical to recommenders' ``python_stratified_split``, in two ways:

* **How many ratings train keeps.** Theirs cuts each user at Python's ``round(0.75 * n)``,
  which rounds halves to even; ours rounds halves up, ``floor(0.75 * n + 0.5)``. ``0.75 * n``
  ends in .5 only for n ≡ 2 (mod 4), and the two rules disagree where the lower neighbour is
  even, n ≡ 6 (mod 8): a user with 6 ratings keeps 5 in train here and 4 there, 14 keeps 11
  vs 10, and so on (n = 2, 10, 18, … agree). On MovieLens-100K that is 122 of 943 users, each
  with one more training and one fewer test rating: 122 ratings, 0.5% of our 24,886 test
  ratings, sit in train here and in test there. ``tests/recsys/test_rating_split.py`` shows
  both rules' counts for n = 1..16.
* **Which ratings.** Theirs shuffles each user's rows with pandas' ``sample(random_state=
  seed)``; ours ranks one numpy draw per row. Same seed, different random streams, so the
  individual test ratings differ even where the counts agree.

We keep our rule because every benchmark number in this project rests on it; a published
figure beside ours is therefore from the same protocol, not the same split.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from recsys.constants import MOVIE_ID, USER_ID

DEFAULT_TRAIN_RATIO = 0.75
DEFAULT_SEED = 42


@dataclass(frozen=True)
class RatingSplit:
    """Train and test rating tables with the same columns as the input."""

    train: pd.DataFrame
    test: pd.DataFrame
    ratio: float
    seed: int


def stratified_split(
    ratings: pd.DataFrame, ratio: float = DEFAULT_TRAIN_RATIO, seed: int = DEFAULT_SEED
) -> RatingSplit:
    """Put ``round(ratio * n_u)`` random ratings of each user ``u`` in train, the rest in test.

    Rounding per user (not a global shuffle) is what makes the split *stratified*: a user with 20
    ratings always has 15 in train, so light users are neither starved nor over-represented.
    """
    if not 0.0 < ratio <= 1.0:
        raise ValueError(f"ratio must be in (0, 1], got {ratio}")
    ordered = ratings.sort_values([USER_ID, MOVIE_ID], kind="stable").reset_index(drop=True)
    rng = np.random.default_rng(seed)
    draw = rng.random(len(ordered))
    users = ordered[USER_ID].to_numpy()
    # Rank each row inside its user by the random draw: that is a per-user random permutation.
    order = np.lexsort((draw, users))
    rank = np.empty(len(ordered), dtype=np.int64)
    group_start = np.r_[0, np.flatnonzero(users[order][1:] != users[order][:-1]) + 1]
    group_sizes = np.diff(np.r_[group_start, len(order)])
    rank[order] = np.arange(len(order)) - np.repeat(group_start, group_sizes)
    n_per_user = ordered.groupby(USER_ID)[USER_ID].transform("size").to_numpy()
    # Round half up for every user alike (np.round would send 2.5 → 2 but 3.5 → 4).
    n_train = np.floor(ratio * n_per_user + 0.5).astype(np.int64)
    in_train = rank < n_train
    return RatingSplit(
        train=ordered[in_train].reset_index(drop=True),
        test=ordered[~in_train].reset_index(drop=True),
        ratio=ratio,
        seed=seed,
    )


#: The tuning split: the protocol's train part split again per user, 80/20, with its own seed.
VALIDATION_RATIO = 0.8
VALIDATION_SEED = 7


def validation_split(
    ratings: pd.DataFrame,
    ratio: float = DEFAULT_TRAIN_RATIO,
    seed: int = DEFAULT_SEED,
    validation_ratio: float = VALIDATION_RATIO,
    validation_seed: int = VALIDATION_SEED,
) -> RatingSplit:
    """Train/validation tables carved out of the protocol's *train* part only.

    Settings are chosen on this split so the test 25% is looked at once, by the final
    benchmark; a setting tuned on the test ratings would make its test score optimistic.
    """
    protocol_train = stratified_split(ratings, ratio, seed).train
    return stratified_split(protocol_train, validation_ratio, validation_seed)
