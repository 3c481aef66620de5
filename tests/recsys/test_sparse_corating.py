"""The neighbourhood-restricted co-rating readout: its synapses, its CSR storage, its artifact."""

from dataclasses import replace

import numpy as np
import pytest
import torch

from recsys.data.interactions import UserItemRows
from recsys.features.schema import UserQuery
from recsys.models.corating import (
    CoRatingReadout,
    SparseCoRatingReadout,
    co_count_operands,
    co_counts,
    gather_rows_sum,
    item_item_ridge,
    neighbourhood_ridge,
)
from recsys.models.energy import recommendation_energy
from recsys.models.ranker import RankerConfig, TwoTowerRanker
from recsys.models.scoring import RankerScores
from recsys.models.trainer import FitConfig
from recsys.serving import load_recommender, write_artifact
from training.export import artifact_contents

from .conftest import fit_ranker, tiny_ranker_config


def _ratings(n_users: int = 120, n_items: int = 30, density: float = 0.25, seed: int = 0):
    rng = np.random.default_rng(seed)
    # A popularity gradient, so co-rating counts differ and neighbourhoods are not ties.
    x = rng.random((n_users, n_items)) < density * np.linspace(1.6, 0.3, n_items)
    return x.astype(np.float32)


def _rows(x: np.ndarray) -> UserItemRows:
    users, items = np.nonzero(x)
    indptr = np.zeros(x.shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(users, minlength=x.shape[0]), out=indptr[1:])
    return UserItemRows(indptr, items.astype(np.int64), np.ones(len(items), np.float32), x.shape[1])


def test_with_every_other_movie_as_neighbour_it_is_the_dense_solution():
    x = _ratings()
    dense = item_item_ridge(x, 4.0)
    for block in (7, 256):  # several co-rating blocks, or one
        sparse = neighbourhood_ridge(x, 4.0, neighbours=x.shape[1] - 1, block=block)
        np.testing.assert_allclose(sparse.dense(), dense, rtol=1e-4, atol=1e-5)


def test_each_neuron_is_the_ridge_regression_on_its_most_co_rated_movies():
    x = _ratings(seed=1).astype(np.float64)
    k, l2 = 6, 3.0
    weights = neighbourhood_ridge(x, l2, neighbours=k, block=5).dense()
    gram = x.T @ x
    for j in range(x.shape[1]):
        inputs = np.nonzero(weights[:, j])[0]
        assert len(inputs) == k and j not in inputs
        counts = np.delete(gram[:, j], j)
        # The kept inputs are co-rated at least as often as every movie left out.
        kept = gram[inputs, j]
        left_out = np.delete(gram[:, j], np.append(inputs, j))
        assert kept.min() >= left_out.max() or np.isclose(kept.min(), left_out.max())
        assert len(counts) == x.shape[1] - 1
        a = x[:, inputs]
        expected = np.linalg.solve(a.T @ a + l2 * np.eye(k), a.T @ x[:, j])
        np.testing.assert_allclose(weights[inputs, j], expected, rtol=1e-4, atol=1e-5)


def test_neighbours_come_from_the_most_rated_pool_when_the_catalogue_is_larger():
    x = _ratings(n_items=40, seed=2)
    pool = 12
    popular = set(np.lexsort((np.arange(40), -x.sum(0)))[:pool])
    weights = neighbourhood_ridge(x, 2.0, neighbours=5, pool=pool, block=9).dense()
    assert set(np.nonzero(weights.any(1))[0]) <= popular
    assert ((weights != 0).sum(0) == 5).all()


def test_user_rows_and_a_dense_matrix_give_the_same_synapses():
    x = _ratings(seed=3)
    from_dense = neighbourhood_ridge(x, 5.0, neighbours=8)
    from_rows = neighbourhood_ridge(_rows(x), 5.0, neighbours=8)
    np.testing.assert_array_equal(from_dense.indptr, from_rows.indptr)
    np.testing.assert_array_equal(from_dense.indices, from_rows.indices)
    np.testing.assert_allclose(from_dense.values, from_rows.values, rtol=1e-6)


@pytest.mark.parametrize(
    ("l2", "neighbours", "message"),
    [(0.0, 5, "l2 must be positive"), (1.0, 0, "neighbours must be >= 1")],
)
def test_bad_settings_are_refused(l2, neighbours, message):
    with pytest.raises(ValueError, match=message):
        neighbourhood_ridge(_ratings(), l2, neighbours)


def test_one_users_gather_equals_the_batch_product_and_the_dense_rows():
    x = _ratings(seed=4)
    readout = SparseCoRatingReadout(x.shape[1], gain=1.5, neighbours=7).fit(x, 3.0)
    batch = readout(torch.from_numpy(x[:10])).numpy()
    dense = readout.synapses().dense()
    for user in range(10):
        rated = np.nonzero(x[user])[0]
        one = readout.scores_for(np.append(rated, [x.shape[1] + 3, -1]))  # unknown ids: ignored
        np.testing.assert_allclose(one, batch[user], rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(one, 1.5 * dense[rated].sum(0), rtol=1e-5, atol=1e-5)
    assert not readout.scores_for(np.array([], dtype=np.int64)).any()
    np.testing.assert_allclose(gather_rows_sum(readout.synapses(), np.array([2, 2])), 2 * dense[2])


@pytest.fixture(scope="module")
def sparse_hybrid(planted):
    config = replace(
        tiny_ranker_config(), corating_gain=1.5, corating_neighbours=10, corating_dense_up_to=0
    )
    fit = FitConfig(epochs=2, batch_size=32, seed=1, corating_l2=5.0)
    return fit_ranker(
        planted.users, planted.movies, planted.ratings, config, fit, show_progress=False
    )


def test_the_ranker_fits_and_serves_the_sparse_readout_through_an_artifact(
    sparse_hybrid, planted, tmp_path
):
    model, inputs = sparse_hybrid.model, sparse_hybrid.inputs
    assert isinstance(model.corating, SparseCoRatingReadout)
    expected = neighbourhood_ridge(inputs.train, 5.0, 10).dense()
    np.testing.assert_allclose(model.corating.synapses().dense(), expected)
    users = np.arange(5)
    towers = RankerScores(model, inputs, with_corating=False).score(users)
    both = RankerScores(model, inputs).score(users)
    np.testing.assert_allclose(both - towers, 1.5 * inputs.train.dense(users) @ expected, atol=1e-4)

    contents = artifact_contents(sparse_hybrid, {"ndcg@10": 0.5}, {"sha256": "x", "n_ratings": 1})
    recommender = load_recommender(write_artifact(tmp_path / "v1", contents))
    assert recommender.model.config.corating_neighbours == 10
    user_id = int(planted.users.user_id.iloc[0])
    rated = planted.ratings[planted.ratings.user_id == user_id]
    query = UserQuery(ratings=dict(zip(rated.movie_id, rated.rating, strict=True)))
    towers = recommender._index.matrix @ recommender.user_vector(query)
    readout = model.corating.scores_for(sparse_hybrid.item_map.indices_of(rated.movie_id))
    scores = recommender.score_queries([query])[0]
    for position in np.argsort(-scores)[:5]:
        assert scores[position] == pytest.approx(towers[position] + readout[position], abs=1e-4)


def test_a_config_saved_before_neighbourhoods_loads_the_dense_readout():
    saved = RankerConfig(dim=4, members=1, corating_gain=1.5, corating_items=6).to_dict()
    del saved["corating_neighbours"]
    model = TwoTowerRanker(3, 3, RankerConfig.from_dict(saved))
    assert isinstance(model.corating, CoRatingReadout)
    assert set(model.corating.state_dict()) == {"weight"}


@pytest.mark.parametrize("field", ["corating_neighbours", "corating_dense_up_to"])
def test_a_negative_size_is_refused(field):
    with pytest.raises(ValueError, match=field):
        RankerConfig(**{field: -1})


def test_the_readout_is_dense_up_to_the_size_limit_and_neighbourhoods_above():
    config = RankerConfig(corating_gain=1.5, corating_neighbours=200, corating_dense_up_to=8192)
    small, large = config.fitted_to(1682), config.fitted_to(62_423)
    assert (small.corating_items, small.corating_synapses_per_neuron) == (1682, 0)
    assert (large.corating_items, large.corating_synapses_per_neuron) == (62_423, 200)
    assert (
        replace(config, corating_neighbours=0).fitted_to(62_423).corating_synapses_per_neuron == 0
    )
    assert RankerConfig(corating_gain=0.0).fitted_to(50).corating_items == 0  # no readout
    tiny = replace(config, corating_dense_up_to=3).fitted_to(12)
    assert isinstance(TwoTowerRanker(3, 3, tiny).corating, SparseCoRatingReadout)


def test_the_default_ranker_fits_the_dense_readout_at_movielens_100k_size(planted):
    config = replace(tiny_ranker_config(), corating_gain=1.5)  # project defaults otherwise
    fitted = fit_ranker(
        planted.users,
        planted.movies,
        planted.ratings,
        config,
        FitConfig(epochs=1, batch_size=32, seed=1),
        show_progress=False,
    )
    assert isinstance(fitted.model.corating, CoRatingReadout)
    assert fitted.model.config.corating_synapses_per_neuron == 0


def test_energy_counts_k_synapses_per_rated_movie_for_the_sparse_readout():
    torch.manual_seed(0)
    n = 12
    config = replace(
        tiny_ranker_config(),
        corating_gain=1.0,
        corating_items=n,
        corating_neighbours=4,
        corating_dense_up_to=0,
    )
    model = TwoTowerRanker(n + 2, 5, config).eval()
    rows = torch.zeros(2, n + 2)
    rows[0, [1, 4]] = 1.0
    rows[1, [0, 2, 3]] = 1.0
    report = recommendation_energy(model, rows, np.array([2, 3]), n)
    assert report.layers["corating"].ac == pytest.approx(2.5 * 4)
    # Each of the 2.5 rated movies is read once and reads its 4 synapses; the readout's n
    # accumulators are read and written once.
    assert report.layers["corating"].accesses == pytest.approx(2.5 + 2.5 * 4 + 2 * n)


@pytest.mark.parametrize(("block", "pool"), [(7, 12), (5, 30), (30, 30), (64, 9)])
def test_block_co_counts_equal_the_dense_gram_matrix(block, pool):
    x = _ratings(n_users=90, n_items=30, density=0.3, seed=5)
    x[3] = 0.0  # a user with no ratings, and one who rated everything
    x[4] = 1.0
    rows = _rows(x)
    by_popularity = np.lexsort((np.arange(30), -x.sum(0)))
    gram = x.T.astype(np.float64) @ x
    item_rows, pool_columns = co_count_operands(rows.indptr, rows.items, by_popularity, pool)
    seen = []
    for start in range(0, 30, block):
        stop = min(start + block, 30)
        counts = co_counts(item_rows, pool_columns, start, stop)
        assert counts.shape == (stop - start, pool)
        expected = gram[np.ix_(by_popularity[start:stop], by_popularity[:pool])]
        np.testing.assert_array_equal(counts, expected)
        seen.append(counts)
    assert sum(len(c) for c in seen) == 30
