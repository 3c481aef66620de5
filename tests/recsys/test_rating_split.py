import numpy as np
import pandas as pd
import pytest

from recsys.data.split import stratified_split


def _ratings(counts: dict[int, int]) -> pd.DataFrame:
    rows = [(u, m, 1 + m % 5, m) for u, n in counts.items() for m in range(n)]
    return pd.DataFrame(rows, columns=["user_id", "movie_id", "rating", "timestamp"])


def test_each_user_keeps_round_three_quarters_in_train():
    counts = {1: 4, 2: 20, 3: 7, 4: 1, 5: 2}
    split = stratified_split(_ratings(counts), ratio=0.75, seed=42)
    train_counts = split.train.groupby("user_id").size().to_dict()
    for user, n in counts.items():
        assert train_counts.get(user, 0) == int(np.floor(0.75 * n + 0.5))


def test_train_counts_differ_from_recommenders_only_where_half_to_even_rounds_down():
    """microsoft/recommenders' ``python_stratified_split`` cuts each user at Python's
    ``round(0.75 * n)`` (halves to even); ours rounds halves up. Both rules, n = 1..16."""
    counts = {n: n for n in range(1, 17)}  # user n has n ratings
    split = stratified_split(_ratings(counts), ratio=0.75, seed=42)
    ours = split.train.groupby("user_id").size().reindex(list(counts), fill_value=0).to_list()
    recommenders = [round(0.75 * n) for n in counts]
    assert ours == [1, 2, 2, 3, 4, 5, 5, 6, 7, 8, 8, 9, 10, 11, 11, 12]
    assert recommenders == [1, 2, 2, 3, 4, 4, 5, 6, 7, 8, 8, 9, 10, 10, 11, 12]
    differ = [n for n, a, b in zip(counts, ours, recommenders, strict=True) if a != b]
    assert differ == [6, 14]  # n ≡ 6 (mod 8): one more training rating here
    assert all(a - b in (0, 1) for a, b in zip(ours, recommenders, strict=True))


def test_train_and_test_partition_the_ratings_without_leakage():
    ratings = _ratings({1: 13, 2: 9, 3: 30})
    split = stratified_split(ratings, seed=42)
    train_pairs = set(zip(split.train.user_id, split.train.movie_id, strict=True))
    test_pairs = set(zip(split.test.user_id, split.test.movie_id, strict=True))
    assert not train_pairs & test_pairs
    assert train_pairs | test_pairs == set(zip(ratings.user_id, ratings.movie_id, strict=True))


def test_split_is_deterministic_by_seed_and_ignores_row_order():
    ratings = _ratings({1: 40, 2: 40})
    first = stratified_split(ratings, seed=42)
    shuffled = stratified_split(ratings.sample(frac=1.0, random_state=3), seed=42)
    other_seed = stratified_split(ratings, seed=7)
    pd.testing.assert_frame_equal(first.test, shuffled.test)
    assert not first.test.equals(other_seed.test)


def test_bad_ratio_is_rejected():
    with pytest.raises(ValueError):
        stratified_split(_ratings({1: 3}), ratio=0.0)


def test_validation_split_is_carved_from_the_protocol_train_part_only():
    from recsys.data.split import validation_split

    ratings = _ratings({1: 40, 2: 21, 3: 9})
    protocol = stratified_split(ratings, ratio=0.75, seed=42)
    tuning = validation_split(ratings, ratio=0.75, seed=42)
    pairs = lambda table: set(zip(table.user_id, table.movie_id, strict=True))  # noqa: E731
    assert pairs(tuning.train) | pairs(tuning.test) == pairs(protocol.train)
    assert not pairs(tuning.train) & pairs(tuning.test)
    assert not (pairs(tuning.train) | pairs(tuning.test)) & pairs(protocol.test)
    train_counts = tuning.train.groupby("user_id").size().to_dict()
    for user, n in protocol.train.groupby("user_id").size().items():
        assert train_counts[user] == int(np.floor(0.8 * n + 0.5))
