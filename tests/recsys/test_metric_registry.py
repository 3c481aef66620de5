"""The metric registry is what every evaluation reports: a measure registered there reaches
``evaluate_model`` (the one loop every model goes through) under its name, and leaves it when
unregistered; the built-in measures keep the published tables' names and order."""

from __future__ import annotations

import numpy as np
import pytest

from recsys.baselines import MostPopular
from recsys.constants import MOVIE_ID
from recsys.data.interactions import IndexedSplit
from recsys.data.split import stratified_split
from recsys.evaluation import evaluate_model
from recsys.metrics import names, ranking_metrics
from recsys.metrics.registry import (
    RankingMeasure,
    measures,
    register_measure,
    unregister_measure,
)
from recsys.models.contract import TrainingData


def _per_user_hit(hits: np.ndarray, n_relevant: np.ndarray) -> np.ndarray:
    """A toy measure: did the top k find anything (hit rate)."""
    return hits.any(axis=1).astype(np.float64)


@pytest.fixture
def hit_measure():
    register_measure(RankingMeasure("toyhit", _per_user_hit))
    yield "toyhit"
    unregister_measure("toyhit")


@pytest.fixture(scope="module")
def split(planted) -> IndexedSplit:
    ratings = stratified_split(planted.ratings, seed=42)
    ids = planted.movies[MOVIE_ID]
    return IndexedSplit.from_tables(ratings.train, ratings.test, planted.users.user_id, ids)


def test_the_built_in_measures_are_the_published_ones_in_order():
    reported = list(ranking_metrics([[1, 2]], [{1}], k=10))
    assert reported == list(names.ranking_at_k(10))
    assert [m.stem for m in measures()] == list(names.RANKING_STEMS)


def test_a_registered_measure_is_reported_by_every_evaluation(hit_measure, split, planted):
    model = MostPopular().fit(TrainingData.from_split(split, planted.users, planted.movies))
    metrics = evaluate_model(model, split)
    key = names.at_k(hit_measure, 10)
    assert key in metrics
    # hit rate is at least precision (a hit in the top 10 gives both) and at most 1
    assert metrics[names.PRECISION_AT_10] <= metrics[key] <= 1.0
    by_hand = ranking_metrics([[5, 6, 7], [8]], [{7}, {9}], k=3)
    assert by_hand[names.at_k(hit_measure, 3)] == pytest.approx(0.5)


def test_an_unregistered_measure_is_gone_and_names_are_unique(split, planted):
    register_measure(RankingMeasure("toyhit", _per_user_hit))
    with pytest.raises(ValueError, match="already registered"):
        register_measure(RankingMeasure("toyhit", _per_user_hit))
    unregister_measure("toyhit")
    model = MostPopular().fit(TrainingData.from_split(split, planted.users, planted.movies))
    assert names.at_k("toyhit", 10) not in evaluate_model(model, split)
    with pytest.raises(KeyError):
        unregister_measure("toyhit")
