import numpy as np
import pandas as pd
import pytest
import torch

from recsys.baselines import BPRConfig, BPRMatrixFactorization, ItemKNN, MostPopular
from recsys.data.interactions import IndexedSplit
from recsys.data.split import stratified_split
from recsys.evaluation import evaluate_model
from recsys.models.contract import TrainingData


def _indexed(planted) -> IndexedSplit:
    split = stratified_split(planted.ratings, seed=42)
    return IndexedSplit.from_tables(
        split.train, split.test, planted.users.user_id, planted.movies.movie_id
    )


def test_most_popular_ranks_by_train_count():
    train = pd.DataFrame({"user_id": [1, 2, 2, 3], "movie_id": [7, 7, 8, 7], "rating": 5})
    split = IndexedSplit.from_tables(train, train.iloc[:0], [1, 2, 3], [7, 8, 9])
    scores = MostPopular().fit(TrainingData.from_split(split)).score(np.array([0, 1]))
    assert scores.shape == (2, 3) and list(np.argsort(-scores[0])) == [0, 1, 2]


def test_item_knn_recommends_co_rated_movies():
    # Users who rate 1 also rate 2; movie 3 co-occurs with nothing the query user rated.
    train = pd.DataFrame(
        {"user_id": [1, 1, 2, 2, 3, 4], "movie_id": [1, 2, 1, 2, 3, 1], "rating": 5}
    )
    split = IndexedSplit.from_tables(train, train.iloc[:0], [1, 2, 3, 4], [1, 2, 3])
    knn = ItemKNN(n_neighbours=2, shrinkage=0.0).fit(TrainingData.from_split(split))
    scores = knn.score(np.array([3]))
    assert scores[0, 1] > scores[0, 2]


def test_personalised_baselines_learn_the_planted_genres(planted):
    indexed = _indexed(planted)
    data = TrainingData.from_split(indexed)
    pop = evaluate_model(MostPopular().fit(data), indexed, k=5)["precision@5"]
    knn = evaluate_model(ItemKNN(20, shrinkage=10.0).fit(data), indexed, k=5)["precision@5"]
    bpr_model = BPRMatrixFactorization(
        BPRConfig(dim=8, epochs=30, lr=0.1, weight_decay=0.01, batch_size=1000, cosine_decay=False)
    )
    bpr = evaluate_model(bpr_model.fit(data), indexed, k=5)["precision@5"]
    assert knn > pop + 0.1 and bpr > pop + 0.1


def test_bpr_step_is_the_sgd_update_of_each_triple():
    """One triple, one step: the LearnBPR update with L2, written out by hand."""
    model = BPRMatrixFactorization(
        BPRConfig(
            dim=4,
            epochs=100,
            lr=0.1,
            weight_decay=0.01,
            batch_size=1000,
            cosine_decay=False,
            seed=0,
        )
    )
    model._initialise(n_users=2, n_items=3)
    model.item_bias[:] = torch.tensor([0.2, -0.1, 0.0])
    u, qi, qj = (
        model.user_factors[1].clone(),
        model.item_factors[0].clone(),
        model.item_factors[2].clone(),
    )
    bi, bj = 0.2, 0.0
    z = float(torch.sigmoid(-(u @ (qi - qj) + bi - bj)))
    model._sgd_step(torch.tensor([1]), torch.tensor([0]), torch.tensor([2]), lr=0.1)
    torch.testing.assert_close(model.user_factors[1], u + 0.1 * (z * (qi - qj) - 0.01 * u))
    torch.testing.assert_close(model.item_factors[0], qi + 0.1 * (z * u - 0.01 * qi))
    torch.testing.assert_close(model.item_factors[2], qj + 0.1 * (-z * u - 0.01 * qj))
    assert float(model.item_bias[0]) == pytest.approx(bi + 0.1 * (z - 0.01 * bi))
    assert float(model.item_bias[2]) == pytest.approx(bj + 0.1 * (-z - 0.01 * bj))
    assert float(model.item_bias[1]) == pytest.approx(-0.1)  # an item not in the triple
