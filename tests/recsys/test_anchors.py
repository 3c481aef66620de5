"""The benchmark's conventional anchors: the EASE + BPR blend and iALS (through ``implicit``)."""

import numpy as np
import pytest

from recsys.baselines import EASE, IALS, IALSConfig, MostPopular, ScoreBlend
from recsys.baselines.blend import INNER_RATIO, WEIGHTS, carve_rows, standardise_rows
from recsys.data.interactions import IndexedSplit
from recsys.data.split import stratified_split
from recsys.evaluation import evaluate_model
from recsys.models.contract import TrainingData


def _indexed(planted) -> IndexedSplit:
    split = stratified_split(planted.ratings, seed=42)
    return IndexedSplit.from_tables(
        split.train, split.test, planted.users.user_id, planted.movies.movie_id
    )


class _Noise:
    """A model that knows nothing: seeded random scores, fixed per (user, movie)."""

    def fit(self, data: TrainingData) -> "_Noise":
        rng = np.random.default_rng(7)
        self.table = rng.normal(size=(data.rows.n_users, data.n_items))
        return self

    def score(self, users: np.ndarray) -> np.ndarray:
        return self.table[users]


def test_standardised_rows_have_mean_zero_and_unit_sd_and_keep_the_order():
    scores = np.array([[1.0, 5.0, 3.0], [100.0, 200.0, 150.0], [2.0, 2.0, 2.0]])
    z = standardise_rows(scores)
    np.testing.assert_allclose(z[:2].mean(1), 0.0, atol=1e-12)
    np.testing.assert_allclose(z[:2].std(1), 1.0)
    np.testing.assert_allclose(z[0], z[1])  # same order and spacing, different scales
    assert (z[2] == 0).all()  # a constant row carries no preference


def test_the_inner_carve_splits_each_users_ratings_without_loss_or_overlap(planted):
    rows = TrainingData.from_split(_indexed(planted)).rows
    carved = carve_rows(rows, INNER_RATIO, seed=3)
    for user in range(rows.n_users):
        kept, held = set(carved.train.items_of(user)), set(carved.test.items_of(user))
        assert not kept & held
        assert kept | held == set(rows.items_of(user))
        assert len(kept) == int(np.floor(INNER_RATIO * len(rows.items_of(user)) + 0.5))


def test_the_blend_weight_follows_the_model_that_ranks(planted):
    indexed = _indexed(planted)
    data = TrainingData.from_split(indexed)
    ease_first = ScoreBlend(lambda: EASE(l2=10.0), _Noise).fit(data)
    noise_first = ScoreBlend(_Noise, lambda: EASE(l2=10.0)).fit(data)
    assert set(ease_first.validation) == set(WEIGHTS)
    # Noise gets (almost) no weight, whichever side it is on.
    assert ease_first.weight <= 0.2 and noise_first.weight >= 0.8
    # The weight was chosen on the inner split: it is the best one there.
    assert ease_first.validation[ease_first.weight] == max(ease_first.validation.values())
    ease = evaluate_model(EASE(l2=10.0).fit(data), indexed)["ndcg@10"]
    blended = evaluate_model(ease_first, indexed)["ndcg@10"]
    half = evaluate_model(
        ScoreBlend(lambda: EASE(l2=10.0), _Noise, weights=(0.5,)).fit(data), indexed
    )
    assert blended >= ease - 0.02 and blended > half["ndcg@10"] + 0.05


def test_ials_learns_the_planted_genres(planted):
    indexed = _indexed(planted)
    data = TrainingData.from_split(indexed)
    pop = evaluate_model(MostPopular().fit(data), indexed, k=5)["precision@5"]
    config = IALSConfig(factors=8, regularization=1.0, alpha=3.0, iterations=10, seed=0)
    ials = IALS(config).fit(data)
    assert ials.score(np.array([0, 1])).shape == (2, data.n_items)
    assert evaluate_model(ials, indexed, k=5)["precision@5"] > pop + 0.1


def test_ials_is_reproducible_for_a_seed(planted):
    data = TrainingData.from_split(_indexed(planted))
    config = IALSConfig(factors=8, regularization=1.0, alpha=3.0, iterations=5, seed=4)
    users = np.arange(5)
    first, again = IALS(config).fit(data).score(users), IALS(config).fit(data).score(users)
    np.testing.assert_allclose(first, again, rtol=1e-5)
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(
            first,
            IALS(IALSConfig(**{**config.__dict__, "seed": 5})).fit(data).score(users),
            rtol=1e-5,
        )
