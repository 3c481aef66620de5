"""The second-order co-rating readout: coincidence (pair) units beside the linear synapses."""

import numpy as np
import pytest
import torch

from recsys.models.corating import item_item_ridge
from recsys.models.pairwise import (
    PairwiseCoRatingReadout,
    fit_higher_order,
    pair_units,
    top_pairs,
)


def _hand_readout() -> PairwiseCoRatingReadout:
    """Three movies; linear synapse 0 → 2 of 0.5, and one pair unit (0, 1) → movie 2 of 2."""
    readout = PairwiseCoRatingReadout(3, gain=1.0, n_pairs=1, pair_l2=1.0)
    readout.weight[0, 2] = 0.5
    readout.pairs[0] = torch.tensor([0, 1])
    readout.pair_weight[0, 2] = 2.0
    return readout


def test_the_pair_term_fires_only_when_both_movies_are_rated():
    readout = _hand_readout()
    spikes = torch.tensor([[1.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]])
    # Movie 2's current: 0.5 from movie 0 alone, + 2 when movies 0 and 1 spike together.
    expected = torch.tensor([[0.0, 0.0, 2.5], [0.0, 0.0, 0.5], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    torch.testing.assert_close(readout(spikes), expected)
    # The event-driven path (one user's rated indices) gives the same currents.
    for row, rated in enumerate([[0, 1], [0], [1], []]):
        np.testing.assert_allclose(readout.scores_for(np.array(rated)), expected[row].numpy())


def test_an_and_of_an_inhibitory_spike_never_fires():
    readout = _hand_readout()
    # Movie 0 disliked (−1), movie 1 liked: the linear path inhibits, the pair stays silent.
    np.testing.assert_allclose(
        readout.scores_for(np.array([0, 1]), np.array([-1.0, 1.0])), [0.0, 0.0, -0.5]
    )
    np.testing.assert_array_equal(
        pair_units(np.array([[1.0, 1.0, 0.0], [-1.0, -1.0, 0.0]]), np.array([[0, 1]])), [[1], [0]]
    )


def test_top_pairs_are_the_most_co_rated_with_ties_by_index():
    x = np.array([[1, 1, 1, 0], [1, 1, 0, 0], [0, 0, 1, 1], [0, 0, 1, 1], [1, 0, 1, 0]], float)
    # Co-counts: (0,1) 2, (0,2) 2, (2,3) 2, (1,2) 1; (0,3) and (1,3) never co-rated.
    np.testing.assert_array_equal(top_pairs(x, 2), [[0, 1], [0, 2]])
    np.testing.assert_array_equal(top_pairs(x, 10), [[0, 1], [0, 2], [2, 3]])
    assert top_pairs(x, 0).shape == (0, 2)


def test_without_pairs_the_fit_is_the_linear_readout():
    rng = np.random.default_rng(0)
    x = (rng.random((40, 6)) < 0.4).astype(np.float64)
    weights, pair_weights = fit_higher_order(x, np.zeros((0, 2), dtype=np.int64), 2.0, 1.0)
    np.testing.assert_allclose(weights, item_item_ridge(x, 2.0), atol=1e-6)
    assert pair_weights.shape == (0, 6)


def test_pairs_learn_an_and_that_the_linear_synapses_cannot():
    # Movie 2 is rated exactly when movies 0 and 1 both are.
    x = np.array([[1, 1, 1]] * 10 + [[1, 0, 0]] * 10 + [[0, 1, 0]] * 10, dtype=np.float64)
    pairs = np.array([[0, 1]])
    weights, pair_weights = fit_higher_order(x, pairs, l2=0.1, pair_l2=0.1, iterations=50)
    linear = item_item_ridge(x, 0.1)
    assert np.all(np.diag(weights) == 0)
    # A pair never predicts its own movies; it carries movie 2.
    assert pair_weights[0, 0] == 0 and pair_weights[0, 1] == 0
    assert pair_weights[0, 2] > 0.5
    z = pair_units(x, pairs)
    with_pairs = np.abs(x[:, 2] - (x @ weights + z @ pair_weights)[:, 2]).sum()
    without = np.abs(x[:, 2] - (x @ linear)[:, 2]).sum()
    assert with_pairs < 0.5 * without


def test_fit_keeps_buffer_shapes_when_fewer_pairs_qualify():
    x = np.array([[1, 1, 0], [1, 1, 0], [0, 0, 1]], dtype=np.float64)
    readout = PairwiseCoRatingReadout(3, gain=2.0, n_pairs=3, pair_l2=1.0).fit(x, 1.0)
    assert readout.pairs.shape == (3, 2) and readout.pair_weight.shape == (3, 3)
    # Only (0, 1) is co-rated twice; the padding units carry no weight.
    assert readout.pairs[0].tolist() == [0, 1]
    assert torch.all(readout.pair_weight[1:] == 0)
    restored = PairwiseCoRatingReadout(3, gain=2.0, n_pairs=3, pair_l2=1.0)
    restored.load_state_dict(readout.state_dict(), strict=True)
    spikes = torch.from_numpy(x.astype(np.float32))
    torch.testing.assert_close(restored(spikes), readout(spikes))


def test_pairs_need_a_positive_ridge():
    with pytest.raises(ValueError, match="positive"):
        fit_higher_order(np.eye(3), np.array([[0, 1]]), 1.0, 0.0)
