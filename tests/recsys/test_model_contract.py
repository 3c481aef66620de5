"""Every recommender keeps one contract: fit on TrainingData, full-catalogue scores per user.

Checked on a tiny planted dataset for each model the benchmark runs, and through the artifact
for the spiking ranker the site serves.
"""

import time

import numpy as np
import pandas as pd
import pytest

from recsys.baselines import (
    EASE,
    BPRConfig,
    BPRMatrixFactorization,
    ItemKNN,
    MostPopular,
    MultDAE,
    MultDAEConfig,
)
from recsys.data.interactions import IndexedSplit
from recsys.data.split import stratified_split
from recsys.evaluation.harness import recommend_for_users
from recsys.features.users import query_from_row
from recsys.models.config import TrainConfig
from recsys.models.contract import QueryScorer, RecommenderModel, TrainingData
from recsys.models.fitting import SpikingRanker
from recsys.serving import load_recommender, write_artifact
from training.export import artifact_contents

MODELS = {
    "pop": MostPopular,
    "itemknn": lambda: ItemKNN(n_neighbours=10, shrinkage=10.0),
    "ease": lambda: EASE(l2=5.0),
    "multdae": lambda: MultDAE(MultDAEConfig(hidden=16, epochs=3, batch_size=16)),
    "bpr": lambda: BPRMatrixFactorization(
        BPRConfig(dim=4, epochs=3, lr=0.01, weight_decay=1e-3, batch_size=1000, cosine_decay=False)
    ),
    "spiking": lambda: SpikingRanker(TrainConfig.small(epochs=2)),
}
#: Models that score people they were not fitted on (BPR-MF has a vector per training user only).
QUERY_SCORERS = ("pop", "itemknn", "ease", "multdae", "spiking")


@pytest.fixture(scope="module")
def split(planted) -> IndexedSplit:
    ratings = stratified_split(planted.ratings, seed=42)
    # One more movie that nobody rated: the catalogue is scored whole, rated or not.
    movies = planted.movies
    ids = [*movies.movie_id, int(movies.movie_id.max()) + 1]
    return IndexedSplit.from_tables(ratings.train, ratings.test, planted.users.user_id, ids)


@pytest.fixture(scope="module")
def data(planted, split) -> TrainingData:
    movies = planted.movies
    extra = movies.iloc[:1].assign(movie_id=int(split.item_map.ids[-1]), title="Unrated")
    return TrainingData.from_split(
        split, planted.users, pd.concat([movies, extra], ignore_index=True)
    )


@pytest.fixture(scope="module")
def fitted(data):
    return {name: make().fit(data) for name, make in MODELS.items()}


@pytest.mark.parametrize("name", list(MODELS))
def test_each_model_fits_and_scores_the_whole_catalogue(name, fitted, data, split):
    model = fitted[name]
    assert isinstance(model, RecommenderModel)
    users = np.array([0, 3, 7, 11])
    scores = model.score(users)
    assert scores.shape == (len(users), data.n_items)
    # Seen movies are scored like any other (finite); masking them is the caller's job.
    assert np.isfinite(scores).all()
    seen = split.train.items_of(3)
    assert len(seen) and np.isfinite(scores[1, seen]).all()
    # ... and the harness masks them for every model alike.
    top = recommend_for_users(model, split.train, users, k=5)
    for row, user in enumerate(users):
        assert not set(top[row]) & set(split.train.items_of(int(user)))


@pytest.mark.parametrize("name", list(MODELS))
def test_fit_returns_a_model_that_scores_the_same_again(name, data):
    first, second = MODELS[name]().fit(data), MODELS[name]().fit(data)
    users = np.arange(5)
    np.testing.assert_allclose(first.score(users), second.score(users), rtol=1e-6, atol=1e-6)


def _query(planted, data: TrainingData, index: int):
    """What the site sends for training user ``index``: profile and train ratings."""
    user_id = int(data.user_map.ids[index])
    ratings = {
        int(data.item_map.ids[i]): float(r)
        for i, r in zip(data.rows.items_of(index), data.rows.ratings_of(index), strict=True)
    }
    return query_from_row(planted.users.set_index("user_id").loc[user_id], user_id, ratings)


@pytest.mark.parametrize("name", list(MODELS))
def test_a_query_with_a_users_training_ratings_scores_as_that_user(name, fitted, planted, data):
    model = fitted[name]
    if name not in QUERY_SCORERS:
        assert not isinstance(model, QueryScorer)
        return
    assert isinstance(model, QueryScorer)
    users = [2, 9]
    queries = [_query(planted, data, u) for u in users]
    np.testing.assert_allclose(
        model.score_queries(queries), model.score(np.array(users)), rtol=1e-4, atol=1e-4
    )


def test_the_served_artifact_scores_queries_as_the_fitted_ranker(fitted, planted, data, tmp_path):
    ranker = fitted["spiking"]
    contents = artifact_contents(ranker.fitted, {}, {"sha256": "x", "n_ratings": 1})
    served = load_recommender(write_artifact(tmp_path / "v1", contents))
    assert isinstance(served, QueryScorer)
    queries = [_query(planted, data, 4), _query(planted, data, 0)]
    np.testing.assert_allclose(
        served.score_queries(queries), ranker.score_queries(queries), rtol=1e-4, atol=1e-4
    )


def test_training_data_refuses_rows_that_do_not_match_its_id_maps(split):
    with pytest.raises(ValueError, match="rows are"):
        TrainingData(split.train, split.user_map, split.item_map.extended([99999]))


def test_the_spiking_ranker_needs_profiles_and_content(split):
    with pytest.raises(ValueError, match="users and movies"):
        SpikingRanker(TrainConfig.small(epochs=1)).fit(TrainingData.from_split(split))
    with pytest.raises(RuntimeError, match="fit has not been called"):
        SpikingRanker().score(np.array([0]))


def test_the_monitors_time_is_not_counted_as_training_time(planted):
    """``train_seconds`` leaves out the per-epoch monitor: it reports, it does not train."""

    def slow_monitor(model, inputs) -> float:
        time.sleep(0.3)
        return 0.5

    data = TrainingData.from_tables(planted.users, planted.movies, planted.ratings)
    started = time.perf_counter()
    ranker = SpikingRanker(TrainConfig.small(epochs=2), evaluate=slow_monitor).fit(data)
    wall = time.perf_counter() - started
    assert [report.metric for report in ranker.fitted.history] == [0.5, 0.5]
    assert 0 < ranker.train_seconds <= wall - 0.6
