"""What a spiking tower computes: direct-encoder equivalence, readouts, sparse inputs, locality."""

import pytest
import torch

from recsys.models.towers import SpikingTower, TowerConfig


def _config(**changes) -> TowerConfig:
    base = {
        "hidden": 24,
        "out_dim": 6,
        "num_steps": 4,
        "tau": 2.0,
        "bias_init": 0.0,
        "input_weight_scale": 0.3,
    }
    return TowerConfig(**{**base, **changes})


def _sparse_rows(batch: int = 5, features: int = 40, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    values = torch.rand(batch, features, generator=generator)
    return values * (torch.rand(batch, features, generator=generator) < 0.2)


DEEP_VARIANTS = [
    {"n_blocks": 2, "readout": "sum"},
    {"n_blocks": 3, "readout": "sum", "deep_hidden": 12, "skip_input": True},
    {"n_blocks": 2, "readout": "last", "block_input": "rates"},
    {"n_blocks": 2, "readout": "mean", "skip_input": True, "block_input": "rates"},
    {"n_blocks": 2, "readout": "sum", "synapse": "linear", "skip_input": True},
    {"n_blocks": 2, "readout": "concat", "skip_input": True, "block_input": "rates"},
    {"n_blocks": 3, "readout": "concat", "out_dim": 7, "shared_columns": 1},
]


def test_one_block_tower_is_the_snn_models_network_with_its_head():
    torch.manual_seed(0)
    tower = SpikingTower(40, _config())
    x = _sparse_rows()
    reference = tower.network.blocks[0].head(tower.network(x))  # DirectEncoder → block
    torch.testing.assert_close(tower.embed(x), reference)


@pytest.mark.parametrize("variant", DEEP_VARIANTS)
def test_sparse_and_dense_inputs_give_the_same_embedding(variant):
    torch.manual_seed(1)
    tower = SpikingTower(40, _config(**variant))
    x = _sparse_rows()
    torch.testing.assert_close(tower.embed(x.to_sparse()), tower.embed(x), atol=1e-5, rtol=1e-5)


def test_sum_readout_serves_the_sum_of_every_blocks_head():
    torch.manual_seed(2)
    tower = SpikingTower(40, _config(n_blocks=3, readout="sum", deep_hidden=12))
    x = _sparse_rows()
    outputs = tower.run_blocks(x)
    heads = [
        block.head(out.spikes) for block, out in zip(tower.network.blocks, outputs, strict=True)
    ]
    torch.testing.assert_close(tower.embed(x), torch.stack(heads).sum(0))
    torch.testing.assert_close(outputs[0].prediction, heads[0])


@pytest.mark.parametrize("variant", DEEP_VARIANTS)
def test_local_losses_reach_only_their_own_block(variant):
    torch.manual_seed(3)
    tower = SpikingTower(40, _config(**variant))
    outputs = tower.run_blocks(_sparse_rows(), local=True)
    for index, out in enumerate(outputs):
        tower.zero_grad(set_to_none=True)
        out.prediction.square().sum().backward()
        for other, block in enumerate(tower.network.blocks):
            grads = [p.grad for p in block.parameters()]
            if other == index:
                assert any(g is not None and g.abs().sum() > 0 for g in grads)
            else:
                assert all(g is None for g in grads), f"block {index}'s loss reached block {other}"


def test_end_to_end_loss_reaches_every_block():
    torch.manual_seed(4)
    tower = SpikingTower(40, _config(n_blocks=2, readout="sum", skip_input=True))
    tower.embed(_sparse_rows()).square().sum().backward()
    for block in tower.network.blocks:
        assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in block.parameters())


def test_mean_readout_serves_the_mean_of_the_blocks_own_heads():
    torch.manual_seed(5)
    tower = SpikingTower(40, _config(n_blocks=2, readout="mean", skip_input=True))
    x = _sparse_rows()
    outputs = tower.run_blocks(x)
    heads = [
        block.head(out.spikes) for block, out in zip(tower.network.blocks, outputs, strict=True)
    ]
    torch.testing.assert_close([o.prediction for o in outputs], heads)
    torch.testing.assert_close(tower.embed(x), (heads[0] + heads[1]) / 2)


def test_concat_readout_gives_each_block_its_own_slice_and_sums_the_shared_columns():
    torch.manual_seed(6)
    tower = SpikingTower(40, _config(n_blocks=2, readout="concat", out_dim=9, shared_columns=1))
    x = _sparse_rows()
    outputs = tower.run_blocks(x)
    first, second = (
        block.head(out.spikes) for block, out in zip(tower.network.blocks, outputs, strict=True)
    )
    assert first.shape == (5, 5)  # 4 own columns + the shared one
    expected = torch.cat([first[:, :4], second[:, :4], first[:, 4:] + second[:, 4:]], dim=-1)
    torch.testing.assert_close(tower.embed(x), expected)
    # Block 0's prediction is what a one-block tower would serve: its slice, zeros elsewhere.
    torch.testing.assert_close(outputs[0].prediction[:, 4:8], torch.zeros(5, 4))


def test_a_concat_tower_scores_the_sum_of_its_blocks_dot_products():
    torch.manual_seed(7)
    user = SpikingTower(40, _config(n_blocks=2, readout="concat", out_dim=8))
    item = SpikingTower(30, _config(n_blocks=2, readout="concat", out_dim=8))
    u_blocks, i_blocks = user.run_blocks(_sparse_rows()), item.run_blocks(_sparse_rows(7, 30))
    per_block = sum(
        ub.head(uo.spikes) @ ib.head(io.spikes).T
        for ub, uo, ib, io in zip(
            user.network.blocks, u_blocks, item.network.blocks, i_blocks, strict=True
        )
    )
    torch.testing.assert_close(user.readout(u_blocks) @ item.readout(i_blocks).T, per_block)


def test_skip_input_adds_a_feature_synapse_to_deeper_blocks_only():
    tower = SpikingTower(40, _config(n_blocks=3, skip_input=True, deep_hidden=12))
    first, *deeper = tower.network.blocks
    assert first.input_synapse is None
    assert all(b.input_synapse.in_features == 40 for b in deeper)
    assert [b.synapse.out_features for b in tower.network.blocks] == [24, 12, 12]


@pytest.mark.parametrize(
    "change",
    [
        {"readout": "median"},
        {"block_input": "membrane"},
        {"synapse": "x"},
        {"n_blocks": 0},
        {"neuron": "sigmoid"},
        {"readout": "concat", "n_blocks": 4},  # 6 columns do not split over 4 blocks
    ],
)
def test_unknown_settings_are_refused(change):
    with pytest.raises(ValueError):
        _config(**change)


def test_the_ann_twin_tower_is_the_same_network_with_relu_activations():
    """Same weights, ReLU units: the head reads relu(current) (one real value per neuron, the
    same at every step of the constant current) where the spiking tower reads a spike rate."""
    torch.manual_seed(2)
    spiking = SpikingTower(40, _config())
    torch.manual_seed(2)
    twin = SpikingTower(40, _config(neuron="relu"))
    # Every weight is the same; only the LIF's decay has no counterpart in a ReLU.
    weights = twin.state_dict()
    assert set(spiking.state_dict()) - set(weights) == {"network.blocks.0.body.1.decay.value"}
    for name, value in weights.items():
        torch.testing.assert_close(spiking.state_dict()[name], value)
    x = _sparse_rows()
    block = twin.network.blocks[0]
    current = block.synapse.integrate(x)
    activity = twin.run_blocks(x)[0].spikes
    assert activity.shape == (4, *current.shape)
    torch.testing.assert_close(activity, torch.relu(current).expand(4, -1, -1))
    torch.testing.assert_close(twin.embed(x), block.head.linear(torch.relu(current)))
    spikes = spiking.run_blocks(x)[0].spikes
    assert set(spikes.unique().tolist()) <= {0.0, 1.0}
    assert not set(activity.unique().tolist()) <= {0.0, 1.0}
