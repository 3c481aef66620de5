"""The co-rating readout: its closed-form synapses, its place in the ranker and in serving."""

from dataclasses import replace

import numpy as np
import pytest
import torch

from recsys.baselines import EASE, MostPopular
from recsys.data.interactions import IndexedSplit
from recsys.data.split import stratified_split
from recsys.evaluation import evaluate_model
from recsys.features.schema import UserQuery
from recsys.models.contract import TrainingData
from recsys.models.corating import CoRatingReadout, item_item_ridge
from recsys.models.ranker import RankerConfig, TwoTowerRanker
from recsys.models.scoring import RankerScores
from recsys.models.trainer import FitConfig
from recsys.serving import load_recommender, write_artifact
from training.export import artifact_contents

from .conftest import fit_ranker, tiny_ranker_config


def test_each_column_is_the_ridge_regression_of_that_movie_on_the_others():
    """The constrained solution equals, column by column, a ridge fit without the movie itself."""
    rng = np.random.default_rng(0)
    x = (rng.random((40, 7)) < 0.35).astype(np.float64)
    l2 = 2.5
    weights = item_item_ridge(x, l2)
    assert np.all(np.diag(weights) == 0)
    for j in range(7):
        others = [k for k in range(7) if k != j]
        a = x[:, others]
        expected = np.linalg.solve(a.T @ a + l2 * np.eye(6), a.T @ x[:, j])
        np.testing.assert_allclose(weights[others, j], expected, rtol=1e-4, atol=1e-5)


def test_ridge_needs_a_positive_weight():
    with pytest.raises(ValueError, match="l2 must be positive"):
        item_item_ridge(np.ones((3, 3)), 0.0)


def test_readout_reads_only_the_rows_of_the_movies_that_spiked():
    readout = CoRatingReadout(4, gain=2.0)
    readout.weight.copy_(torch.arange(16, dtype=torch.float32).reshape(4, 4))
    spikes = torch.tensor([[1.0, 0.0, 1.0, 0.0]])
    dense = readout(spikes)[0].numpy()
    np.testing.assert_allclose(dense, 2.0 * (np.arange(0, 4) + np.arange(8, 12)))
    # Index 7 is a movie added after training: it has no synapses and sends nothing.
    np.testing.assert_allclose(readout.scores_for(np.array([0, 2, 7])), dense)
    assert not readout.scores_for(np.array([], dtype=np.int64)).any()


def test_ease_baseline_is_the_readout_alone_and_learns_the_planted_genres(planted):
    split = stratified_split(planted.ratings, seed=42)
    indexed = IndexedSplit.from_tables(
        split.train, split.test, planted.users.user_id, planted.movies.movie_id
    )
    ease = EASE(l2=5.0).fit(TrainingData.from_split(indexed))
    users = np.arange(5)
    np.testing.assert_allclose(
        ease.score(users), indexed.train.dense(users) @ item_item_ridge(indexed.train.dense(), 5.0)
    )
    pop = evaluate_model(MostPopular().fit(TrainingData.from_split(indexed)), indexed, k=5)
    assert evaluate_model(ease, indexed, k=5)["precision@5"] > pop["precision@5"] + 0.1


@pytest.fixture(scope="module")
def hybrid(planted):
    config = replace(tiny_ranker_config(), corating_gain=1.5)
    fit = FitConfig(epochs=3, batch_size=32, seed=1, corating_l2=5.0)
    return fit_ranker(
        planted.users, planted.movies, planted.ratings, config, fit, show_progress=False
    )


def test_the_ranker_adds_the_readout_of_each_users_ratings(hybrid):
    model, inputs = hybrid.model, hybrid.inputs
    assert model.corating is not None and model.config.corating_items == len(hybrid.item_map)
    expected = item_item_ridge(inputs.train.dense(), 5.0)
    np.testing.assert_allclose(model.corating.weight.numpy(), expected, rtol=1e-5, atol=1e-6)
    users = np.arange(6)
    towers = RankerScores(model, inputs, with_corating=False).score(users)
    both = RankerScores(model, inputs).score(users)
    np.testing.assert_allclose(both - towers, 1.5 * inputs.train.dense(users) @ expected, atol=1e-4)


def test_served_scores_include_the_readout_and_survive_the_artifact(hybrid, planted, tmp_path):
    contents = artifact_contents(hybrid, {"ndcg@10": 0.5}, {"sha256": "x", "n_ratings": 1})
    recommender = load_recommender(write_artifact(tmp_path / "v1", contents))
    user_id = int(planted.users.user_id.iloc[0])
    rated = planted.ratings[planted.ratings.user_id == user_id]
    query = UserQuery(ratings=dict(zip(rated.movie_id, rated.rating, strict=True)))
    scores = recommender.score_queries([query])[0]
    served = {int(recommender._index.id_map.ids[p]): scores[p] for p in np.argsort(-scores)[:5]}

    index = hybrid.item_map
    tower_scores = recommender._index.matrix @ recommender.user_vector(query)
    readout = hybrid.model.corating.scores_for(index.indices_of(rated.movie_id))
    for movie_id, score in served.items():
        position = index.index_of(movie_id)
        assert score == pytest.approx(tower_scores[position] + readout[position], abs=1e-4)


def test_configs_saved_before_the_readout_load_without_it():
    old = RankerConfig(dim=4, members=1).to_dict()
    del old["corating_gain"], old["corating_items"]
    config = RankerConfig.from_dict(old)
    assert not config.has_corating
    assert TwoTowerRanker(3, 3, config).corating is None
