"""The neuron registry is what every network builder asks: a kind registered once is built by
name by the vision classifiers and by the recommender's towers, with no other change."""

import re
from pathlib import Path

import pytest
import torch
from torch import Tensor, nn

from recsys.models.towers import SpikingTower, TowerConfig
from snn_models import LIF, make_neuron, neuron_kinds, register_neuron, unregister_neuron
from training.vision.config import RunConfig
from training.vision.networks import build_network


class ToyNeuron(nn.Module):
    """Fires wherever the current exceeds its threshold; remembers the settings it was built with."""

    def __init__(self, **settings) -> None:
        super().__init__()
        self.settings = settings

    def forward(self, current: Tensor) -> Tensor:
        return (current > self.settings.get("threshold", 1.0)).to(current.dtype)


@pytest.fixture
def toy_kind():
    register_neuron("toy", ToyNeuron)
    try:
        yield "toy"
    finally:
        unregister_neuron("toy")
    assert "toy" not in neuron_kinds()


def _toys(network: nn.Module) -> list[ToyNeuron]:
    return [module for module in network.modules() if isinstance(module, ToyNeuron)]


def test_a_registered_kind_is_built_by_name_by_the_vision_networks(toy_kind):
    config = RunConfig(dataset="digits", arch="cnn", width=0.25, neuron_model=toy_kind, tau=3.0)
    network = build_network(config, (1, 8, 8), 10)
    toys = _toys(network)
    assert len(toys) == 3  # two conv blocks and the dense block; the readout is not a neuron
    assert all(toy.settings == {"surrogate": "atan", "tau": 3.0} for toy in toys)
    assert not any(isinstance(module, LIF) for module in network.modules())
    logits = network(torch.rand(2, 1, 8, 8))
    assert logits.shape == (2, 10)


def test_a_registered_kind_is_built_by_name_by_the_recsys_towers(toy_kind):
    config = TowerConfig(hidden=8, out_dim=4, n_blocks=2, neuron=toy_kind, threshold=0.5)
    tower = SpikingTower(12, config)
    toys = _toys(tower)
    assert [block.neuron for block in tower.network.blocks] == toys and len(toys) == 2
    assert toys[0].settings == {"tau": config.tau, "threshold": 0.5, "surrogate": "atan"}
    spikes = tower.run_blocks(torch.rand(3, 12))[0].spikes
    assert set(spikes.unique().tolist()) <= {0.0, 1.0}


def test_an_unregistered_kind_is_refused_by_every_config():
    assert "toy" not in neuron_kinds()
    with pytest.raises(ValueError, match="neuron_model"):
        RunConfig(neuron_model="toy")
    with pytest.raises(ValueError, match="neuron"):
        TowerConfig(neuron="toy")
    with pytest.raises(ValueError, match="unknown neuron"):
        make_neuron("toy")


def test_a_taken_name_cannot_be_registered_twice(toy_kind):
    with pytest.raises(ValueError, match="already registered"):
        register_neuron("TOY", ToyNeuron)


def test_the_built_in_kinds_come_from_the_registry():
    """The served tower's LIF, the ANN twin's ReLU and the vision presets' neurons by name."""
    assert type(SpikingTower(12, TowerConfig(hidden=8, out_dim=4)).network.blocks[0].neuron) is LIF
    twin = SpikingTower(12, TowerConfig(hidden=8, out_dim=4, neuron="relu"))
    assert type(twin.network.blocks[0].neuron) is nn.ReLU
    assert set(neuron_kinds(spiking=True)) == {"lif", "plif", "delayed-reset"}
    assert set(neuron_kinds(spiking=False)) == {"li", "relu"}


def test_the_how_to_example_runs_as_written():
    """docs/how-to/add-a-neuron.md's complete example (its last Python block) runs and leaves
    the registry as it found it."""
    page = Path(__file__).resolve().parents[1] / "docs" / "how-to" / "add-a-neuron.md"
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(), flags=re.S)
    kinds = neuron_kinds()
    exec(compile(blocks[-1], str(page), "exec"), {})
    assert neuron_kinds() == kinds
