"""Batch inputs built from CSR ratings and content rows, and the sampled catalogue of a step."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from recsys.data.interactions import IndexedSplit
from recsys.data.split import stratified_split
from recsys.evaluation import evaluate_model
from recsys.features.users import normalise_bags
from recsys.models import defaults
from recsys.models.batches import item_batch_inputs, sample_catalogue, user_batch_inputs
from recsys.models.diagnostics import spike_rates
from recsys.models.losses import catalogue_loss
from recsys.models.ranker import TwoTowerRanker
from recsys.models.scoring import RankerScores, all_embeddings
from recsys.models.trainer import FitConfig, TwoTowerFitter
from tests.recsys.conftest import fit_ranker, tiny_ranker_config
from tests.recsys.test_user_input_paths import _served_query


def _fresh_pair(fitted):
    """An untrained tower pair for the shared fixture's data (training it leaves the shared
    trained model alone)."""
    builder = fitted.builder
    return TwoTowerRanker(
        builder.n_user_inputs, builder.n_item_inputs, tiny_ranker_config()
    ).members[0]


def test_a_user_batch_is_the_normalised_bag_then_the_profile_part(fitted_ranker):
    inputs = fitted_ranker.inputs
    users = np.array([4, 0, 9, 2])
    rows = user_batch_inputs(inputs, users).numpy()
    bag = normalise_bags(inputs.train.dense(users))
    np.testing.assert_array_equal(rows[:, : inputs.n_items], bag)
    np.testing.assert_array_equal(rows[:, inputs.n_items :], inputs.user_static[users])


def test_sparse_batches_hold_the_dense_batches_values_with_the_same_corruptions(fitted_ranker):
    inputs = fitted_ranker.inputs
    users = np.arange(20)
    corruptions = (0.5, 0.3, 0.4)  # bag, history, profile dropout: every random path taken
    dense = user_batch_inputs(inputs, users, np.random.default_rng(7), *corruptions)
    sparse = user_batch_inputs(inputs, users, np.random.default_rng(7), *corruptions, sparse=True)
    assert sparse.layout == torch.sparse_csr
    np.testing.assert_array_equal(sparse.to_dense().numpy(), dense.numpy())
    expected = dense.to_sparse_csr()
    assert torch.equal(sparse.crow_indices(), expected.crow_indices())
    assert torch.equal(sparse.col_indices(), expected.col_indices())
    # The corruptions did something: some rated movies were dropped, some histories forgotten.
    kept = np.count_nonzero(dense.numpy()[:, : inputs.n_items], axis=1)
    assert (kept < inputs.train.counts()[users]).all()
    assert (kept == 0).any()

    items = item_batch_inputs(inputs, np.random.default_rng(3), 0.5).numpy()
    sparse_items = item_batch_inputs(inputs, np.random.default_rng(3), 0.5, sparse=True)
    np.testing.assert_array_equal(sparse_items.to_dense().numpy(), items)


@pytest.mark.parametrize("rows", [slice(0, 7), slice(7, 13), slice(13, 20), slice(20, 20)])
def test_a_ranks_rows_are_those_rows_of_the_whole_batch_with_the_same_draws(fitted_ranker, rows):
    """A data-parallel rank builds its share of a global batch (``rows``): the same rows, the
    same corruptions, and the generator left where the whole batch leaves it, buffered 32-bit
    half included (a bounded draw before and after the batch, as a training step makes)."""
    inputs = fitted_ranker.inputs
    users = np.arange(20)
    corruptions = (0.5, 0.3, 0.4)
    whole_rng, part_rng = np.random.default_rng(11), np.random.default_rng(11)
    for rng in (whole_rng, part_rng):
        rng.integers(0, 1000, dtype=np.int32)  # leaves half of a 64-bit output buffered
    whole = user_batch_inputs(inputs, users, whole_rng, *corruptions, sparse=True)
    part = user_batch_inputs(inputs, users, part_rng, *corruptions, sparse=True, rows=rows)
    np.testing.assert_array_equal(part.to_dense().numpy(), whole.to_dense().numpy()[rows])
    np.testing.assert_array_equal(
        part_rng.integers(0, 1000, size=8, dtype=np.int32),
        whole_rng.integers(0, 1000, size=8, dtype=np.int32),
    )
    assert part_rng.random() == whole_rng.random()


def test_dropping_a_users_movies_renormalises_the_kept_ones(fitted_ranker):
    inputs = fitted_ranker.inputs
    users = np.arange(30)
    rows = user_batch_inputs(inputs, users, np.random.default_rng(0), bag_dropout=0.5).numpy()
    bags = rows[:, : inputs.n_items]
    for bag in bags:
        kept = np.count_nonzero(bag)
        if kept:
            np.testing.assert_allclose(bag[bag > 0], 1 / np.sqrt(kept), rtol=1e-6)


def test_the_rows_of_some_movies_are_those_rows_of_the_whole_catalogue(fitted_ranker):
    inputs = fitted_ranker.inputs
    every = item_batch_inputs(inputs).numpy()
    some = np.array([5, 1, 30])
    np.testing.assert_array_equal(item_batch_inputs(inputs, items=some).numpy(), every[some])
    assert (every[np.arange(inputs.n_items), np.arange(inputs.n_items)] == 1).all()  # own id


def test_a_hidden_movie_arrives_as_a_fresh_upload_would(fitted_ranker):
    inputs, builder = fitted_ranker.inputs, fitted_ranker.builder
    rows = item_batch_inputs(inputs, np.random.default_rng(1), id_dropout=1.0).numpy()
    np.testing.assert_array_equal(rows, builder.item_rows(with_ids=False))


def test_training_profiles_are_the_served_rows_after_the_bag(planted, fitted_ranker):
    for index in (1, 6):
        served = fitted_ranker.builder.user_row(
            _served_query(planted, fitted_ranker, index), fitted_ranker.item_map
        )
        np.testing.assert_array_equal(
            fitted_ranker.inputs.user_static[index], served[fitted_ranker.builder.n_id_slots :]
        )


def test_a_catalogue_sample_holds_the_batchs_rated_movies_and_uniform_draws(fitted_ranker):
    train = fitted_ranker.inputs.train
    users = np.array([0, 5, 11])
    sample = sample_catalogue(train, users, 10, np.random.default_rng(0))
    assert (np.diff(sample.items) > 0).all()
    for row, user in enumerate(users):
        rated = train.items_of(int(user))
        assert set(rated) <= set(sample.items)
        np.testing.assert_array_equal(sample.items[sample.targets[row] == 1], np.sort(rated))
        np.testing.assert_array_equal(sample.weights[row][sample.targets[row] == 1], 1.0)
    # Every cell that is neither a positive nor a uniform draw carries no weight.
    assert (sample.weights == 0).any()


def test_the_sampled_squared_loss_is_an_unbiased_estimate_of_the_full_one(fitted_ranker):
    train = fitted_ranker.inputs.train
    users = np.arange(6)
    rng = np.random.default_rng(0)
    scores = rng.normal(0.2, 0.3, (len(users), train.n_items)).astype(np.float32)
    full = float(
        catalogue_loss(torch.from_numpy(scores), torch.from_numpy(train.dense(users)), 0.7)
    )
    estimates = []
    for _ in range(3000):
        sample = sample_catalogue(train, users, 8, rng, negative_weight=0.7)
        estimates.append(
            float(
                catalogue_loss(
                    torch.from_numpy(scores[:, sample.items]),
                    torch.from_numpy(sample.targets),
                    weights=torch.from_numpy(sample.weights),
                )
            )
        )
    error = np.std(estimates) / np.sqrt(len(estimates))
    assert abs(np.mean(estimates) - full) < 4 * error
    assert np.std(estimates) > 0  # the draws differ: this is an estimate, not the full loss


def test_a_large_catalogue_step_scores_only_its_sample(fitted_ranker):
    inputs = fitted_ranker.inputs
    model = _fresh_pair(fitted_ranker)
    config = FitConfig(full_catalogue_up_to=10, item_sample=7, seed=0)
    fitter = TwoTowerFitter(model, inputs, config)
    assert fitter.samples_catalogue()
    seen = []
    original = model.item_tower.run_blocks

    def spy(x, *args, **kwargs):
        seen.append(x.shape[0])
        return original(x, *args, **kwargs)

    model.item_tower.run_blocks = spy
    try:
        users = np.arange(3)
        loss = fitter._step(users)
    finally:
        del model.item_tower.run_blocks
    rated = np.unique(np.concatenate([inputs.train.items_of(u) for u in users]))
    assert np.isfinite(loss)
    assert len(rated) <= seen[0] <= len(rated) + 7 < inputs.n_items


def test_a_sampled_catalogue_needs_the_squared_loss(fitted_ranker):
    config = FitConfig(full_catalogue_up_to=10, loss="softmax")
    fitter = TwoTowerFitter(_fresh_pair(fitted_ranker), fitted_ranker.inputs, config)
    with pytest.raises(ValueError, match="sampled catalogue needs loss='squared'"):
        fitter._step(np.arange(4))


def test_training_on_sampled_catalogues_still_learns_the_planted_preference(planted):
    # 80 movies, 20 drawn per step: each step sees about a third of the catalogue's negatives.
    split = stratified_split(planted.ratings, 0.75, seed=42)
    sampled = fit_ranker(
        planted.users,
        planted.movies,
        split.train,
        tiny_ranker_config(),
        FitConfig(
            epochs=30,
            batch_size=32,
            lr=1e-2,
            weight_decay=0.0,
            seed=3,
            full_catalogue_up_to=10,
            item_sample=20,
        ),
        user_ids=planted.users["user_id"].to_numpy(),
        show_progress=False,
    )
    indexed = IndexedSplit.from_tables(
        split.train, split.test, planted.users["user_id"], planted.movies["movie_id"]
    )
    precision = evaluate_model(RankerScores(sampled.model, sampled.inputs), indexed, k=5)
    # A random ranking scores about 0.06; the whole-catalogue model clears 0.3 (same test file).
    assert precision["precision@5"] > 0.3


def test_a_large_catalogue_is_embedded_in_blocks_of_sparse_rows(fitted_ranker, monkeypatch):
    model, inputs = fitted_ranker.model, fitted_ranker.inputs
    users_dense, items_dense = all_embeddings(model, inputs)
    rates_dense = spike_rates(model, inputs)
    monkeypatch.setattr(defaults, "FULL_CATALOGUE_UP_TO", 7)  # 80 movies: 12 blocks, CSR rows
    users_sparse, items_sparse = all_embeddings(model, inputs)
    np.testing.assert_allclose(users_sparse, users_dense, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(items_sparse, items_dense, rtol=1e-5, atol=1e-6)
    rates_sparse = spike_rates(model, inputs)  # over the first 7 movies only
    assert rates_sparse.keys() == rates_dense.keys()
    assert rates_sparse["spike_rate/user/block0"] == pytest.approx(
        rates_dense["spike_rate/user/block0"], abs=1e-6
    )
