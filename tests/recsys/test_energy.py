"""Operations and memory accesses of one recommendation, counted alike in every model and checked
against the spikes and activations that happened."""

from dataclasses import replace

import numpy as np
import pytest
import torch

from recsys.metrics import names
from recsys.models.energy import (
    PJ_PER_AC,
    PJ_PER_ACCESS,
    PJ_PER_MAC,
    OperationCount,
    recommendation_energy,
    reference_costs,
    total,
)
from recsys.models.ranker import RankerConfig, TwoTowerRanker
from recsys.models.towers import TowerConfig

from .conftest import tiny_ranker_config

N_ITEMS = 10


def _rows() -> torch.Tensor:
    rows = torch.zeros(2, N_ITEMS + 3)
    rows[0, [1, 4]] = 1 / np.sqrt(2)  # two rated movies
    rows[1, [0, 2, 3]] = 1 / np.sqrt(3)
    rows[:, N_ITEMS] = 1.0  # a one-hot attribute: an input event
    rows[:, N_ITEMS + 2] = 0.3  # an analog input
    return rows


def _model(neuron: str = "lif") -> TwoTowerRanker:
    torch.manual_seed(0)
    config = replace(tiny_ranker_config(), corating_gain=1.0, corating_items=N_ITEMS)
    tower = replace(config.user, neuron=neuron)
    return TwoTowerRanker(N_ITEMS + 3, 5, replace(config, user=tower, item=tower)).eval()


def test_spiking_counts_follow_the_actual_spikes_and_the_layer_shapes():
    model, rows = _model(), _rows()
    report = recommendation_energy(model, rows, np.array([2, 3]), N_ITEMS)
    tower = model.members[0].user_tower
    with torch.no_grad():
        spikes = tower.run_blocks(rows)[0].spikes
    hidden, dim, steps = spikes.shape[-1], model.config.dim, tower.num_steps
    per_user = float(spikes.sum((0, 2)).mean())
    assert report.neuron == "lif"
    # A spike gathers its head row (AC each) and the head adds its bias; 1/T is one MAC per output.
    head = report.layers["member0/block0/head"]
    assert head.ac == pytest.approx(per_user * dim + dim) and head.mac == dim
    neurons = report.layers["member0/block0/neurons"]
    assert (neurons.ac, neurons.mac, neurons.accesses) == (
        hidden * steps,
        hidden * steps,
        2 * hidden * steps,
    )
    # Bilinear rank 1: W, V and V² rows; events are the rated movies plus the one-hot (3.5 on
    # average), the analog input one; per neuron the 1/√n scale, the square and the gain.
    synapse = report.layers["member0/block0/synapse"]
    assert synapse.ac == pytest.approx(3.5 * hidden * 3)
    assert synapse.mac == pytest.approx(1 * hidden * 3 + 3 * hidden)
    # 4.5 non-zero inputs: each read once, each reaching 3 weights per neuron; 2 parameters
    # (bias, λ) per neuron.
    assert synapse.accesses == pytest.approx(4.5 * (1 + hidden * 3) + 2 * hidden)
    # The co-rating readout: a rated movie's spike reaches every movie (dense here).
    assert report.layers["corating"].ac == pytest.approx(2.5 * N_ITEMS)
    width = model.config.embedding_width
    assert report.layers["scoring"].mac == width * N_ITEMS


def test_the_ann_twin_pays_the_same_for_the_same_work_and_macs_for_its_nonzero_activations():
    """Same weights, ReLU units: the input synapse, readout and scoring cost exactly what they
    cost the spiking network; the head pays a MAC per non-zero activation, counted by hand."""
    snn, ann, rows = _model("lif"), _model("relu"), _rows()
    spiking = recommendation_energy(snn, rows, np.array([2, 3]), N_ITEMS)
    twin = recommendation_energy(ann, rows, np.array([2, 3]), N_ITEMS)
    assert twin.neuron == "relu"
    for part in ("member0/block0/synapse", "corating", "scoring"):
        assert twin.layers[part] == spiking.layers[part]
    with torch.no_grad():
        block = ann.members[0].user_tower.network.blocks[0]
        current = block.synapse.integrate(rows)
    active = float((torch.relu(current) > 0).sum(1).float().mean())
    assert 0 < active < current.shape[1]  # some zeros are skipped, some values are not
    dim, hidden = ann.config.dim, current.shape[1]
    head = twin.layers["member0/block0/head"]
    assert head.mac == pytest.approx(active * dim) and head.ac == dim
    assert twin.layers["member0/block0/neurons"] == OperationCount(ac=hidden, accesses=2 * hidden)
    assert twin.references == spiking.references


def test_a_plain_linear_synapse_network_matches_a_count_by_hand():
    """Fixed weights give known currents (1.5, 0.6, 0 for every user); the LIF (τ = 2, so the
    membrane halves each step, threshold 1, reset by subtraction) fires 4, 1 and 0 times in 4
    steps: v = 1.5 → 1.75 → 1.875 → 1.9375 (a spike each step, keeping the overshoot), and
    v = 0.6 → 0.9 → 1.05 (spike) → 0.625."""
    tower = TowerConfig(
        hidden=3, synapse="linear", num_steps=4, tau=2.0, threshold=1.0, bias_init=0.0
    )
    config = RankerConfig(dim=2, user=tower, item=tower, members=1, corating_gain=0.0)
    model = TwoTowerRanker(4, 2, config).eval()
    synapse = model.members[0].user_tower.network.blocks[0].synapse
    with torch.no_grad():
        synapse.weight.zero_()
        synapse.bias.zero_()
        synapse.weight[:, 0] = torch.tensor([1.5, 0.6, 0.0])  # every user has input 0 set
        synapse.weight[:, 3] = torch.tensor([5.0, 5.0, 5.0])  # nobody has input 3
    rows = torch.tensor([[1.0, 0.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0]])
    report = recommendation_energy(model, rows, np.array([1, 1]), n_items=2, bpr_dim=2)
    assert report.layers["member0/block0/head"].ac == 5 * 2 + 2  # 5 spikes × 2 outputs + bias
    # One input event, 3 neurons, one weight row each (linear); one MAC per neuron (1/√n).
    assert report.layers["member0/block0/synapse"] == OperationCount(
        ac=3, mac=3, accesses=1 * (1 + 3) + 3
    )
    # Scoring: [user, 1] · [item, bias] for 2 items.
    assert report.layers["scoring"].mac == 3 * 2


def test_reference_models_pay_adds_for_binary_inputs_and_macs_for_dot_products():
    refs = reference_costs(rated=20.0, n_items=100, bpr_dim=8)
    assert total(refs["ease"]).ac == 20 * 100 and total(refs["ease"]).mac == 0
    assert total(refs["bpr"]).mac == 8 * 100
    blend = total(refs["ease+bpr"])
    assert blend.ac > total(refs["ease"]).ac and blend.mac > total(refs["bpr"]).mac


def test_summary_prices_compute_and_memory_with_one_table():
    report = recommendation_energy(_model(), _rows(), np.array([2, 3]), N_ITEMS)
    summary = report.summary()
    own = total(report.layers)
    compute = PJ_PER_AC * own.ac + PJ_PER_MAC * own.mac
    assert summary[names.ENERGY_COMPUTE_NJ] == pytest.approx(compute / 1000)
    assert summary[names.ENERGY_NJ] == pytest.approx(
        (compute + PJ_PER_ACCESS * own.accesses) / 1000
    )
    ease = total(report.references["ease"])
    assert summary[names.ENERGY_EASE_COMPUTE_NJ] == pytest.approx(PJ_PER_AC * ease.ac / 1000)
    assert summary[names.ENERGY_EASE_NJ] > summary[names.ENERGY_EASE_COMPUTE_NJ]


def test_a_silent_network_costs_no_spike_driven_accumulates():
    model, rows = _model(), _rows()
    with torch.no_grad():
        for pair in model.members:
            pair.user_tower.network.blocks[0].synapse.bias.fill_(-100.0)
    report = recommendation_energy(model, rows, np.array([2, 3]), N_ITEMS)
    assert report.layers["member0/block0/head"].ac == model.config.dim  # the bias adds only
