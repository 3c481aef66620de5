"""Synaptic-operation counts of one recommendation, checked against the spikes that happened."""

from dataclasses import replace

import numpy as np
import pytest
import torch

from recsys.models.energy import PJ_PER_AC, PJ_PER_MAC, OperationCount, recommendation_energy
from recsys.models.ranker import TwoTowerRanker

from .conftest import tiny_ranker_config

N_ITEMS = 10


@pytest.fixture
def model_and_rows():
    torch.manual_seed(0)
    config = replace(tiny_ranker_config(), corating_gain=1.0, corating_items=N_ITEMS)
    model = TwoTowerRanker(N_ITEMS + 3, 5, config).eval()
    rows = torch.zeros(2, N_ITEMS + 3)
    rows[0, [1, 4]] = 1 / np.sqrt(2)  # two rated movies
    rows[1, [0, 2, 3]] = 1 / np.sqrt(3)
    rows[:, N_ITEMS] = 1.0  # a one-hot attribute: an input event
    rows[:, N_ITEMS + 2] = 0.3  # an analog input
    return model, rows


def test_counts_follow_the_actual_spikes_and_the_layer_shapes(model_and_rows):
    model, rows = model_and_rows
    report = recommendation_energy(model, rows, np.array([2, 3]), N_ITEMS)
    tower = model.members[0].user_tower
    with torch.no_grad():
        spikes = tower.run_blocks(rows)[0].spikes
    hidden, dim, steps = spikes.shape[-1], model.config.dim, tower.num_steps
    assert report.snn["member0/block0/head"].ac == pytest.approx(
        float(spikes.sum((0, 2)).mean()) * dim
    )
    assert report.ann["member0/block0/head"].mac == hidden * dim
    assert report.snn["member0/block0/membrane"].mac == hidden * steps
    # Bilinear rank 1: W, V and V² rows; events are the rated movies plus the one-hot (3.5 on
    # average), the analog input one.
    synapse = report.snn["member0/block0/synapse"]
    assert synapse.ac == pytest.approx(3.5 * hidden * 3)
    assert synapse.mac == pytest.approx(1 * hidden * 3 + 3 * hidden)
    assert report.snn["corating"].ac == pytest.approx(2.5 * N_ITEMS)
    assert report.ann["corating"].mac == N_ITEMS * N_ITEMS
    assert report.ann_sparse_input["corating"].mac == pytest.approx(2.5 * N_ITEMS)
    assert report.ease_mac == pytest.approx(2.5 * N_ITEMS)


def test_summary_prices_accumulates_and_multiplies_as_horowitz(model_and_rows):
    model, rows = model_and_rows
    report = recommendation_energy(model, rows, np.array([2, 3]), N_ITEMS)
    summary = report.summary()
    snn = sum(report.snn.values(), OperationCount())
    assert summary["energy/snn_nj"] == pytest.approx(
        (PJ_PER_AC * snn.ac + PJ_PER_MAC * snn.mac) / 1000
    )
    assert summary["energy/ann_over_snn"] == pytest.approx(
        summary["energy/ann_nj"] / summary["energy/snn_nj"]
    )


def test_a_silent_network_costs_no_spike_driven_accumulates(model_and_rows):
    model, rows = model_and_rows
    with torch.no_grad():
        for pair in model.members:
            pair.user_tower.network.blocks[0].synapse.bias.fill_(-100.0)
    report = recommendation_energy(model, rows, np.array([2, 3]), N_ITEMS)
    assert report.snn["member0/block0/head"].ac == 0
