"""The serving fast path computes exactly what the training modules compute."""

import pytest
import torch

from recsys.models.towers import SpikingTower, TowerConfig
from recsys.serving.frozen import FrozenIntegrator
from snn_models import BilinearSynapse, LinearSynapse


def _row(features: int, nonzero: int, seed: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    x = torch.zeros(1, features)
    columns = torch.randperm(features, generator=generator)[:nonzero]
    x[0, columns] = torch.rand(nonzero, generator=generator)
    return x


@pytest.mark.parametrize(
    "synapse",
    [
        LinearSynapse(50, 7),
        BilinearSynapse(50, 7, rank=1, lambda_init=0.7),
        BilinearSynapse(50, 7, rank=3, lambda_init=-0.4),
    ],
    ids=["linear", "bilinear", "bilinear-rank3"],
)
@pytest.mark.parametrize("nonzero", [0, 4, 50])
def test_frozen_integration_matches_the_synapse_module(synapse, nonzero):
    x = _row(50, nonzero, seed=nonzero)
    frozen = FrozenIntegrator(synapse)
    with torch.no_grad():
        torch.testing.assert_close(frozen(synapse, x), synapse.integrate(x))
        batch = torch.cat([x, _row(50, 9, seed=1), _row(50, 30, seed=2)])
        torch.testing.assert_close(frozen(synapse, batch), synapse.integrate(batch))


def test_frozen_integration_matches_for_binary_spike_inputs():
    synapse = BilinearSynapse(30, 5, rank=2, lambda_init=0.5, spike_input=True)
    spikes = (torch.rand(8, 30, generator=torch.Generator().manual_seed(0)) < 0.3).float()
    with torch.no_grad():
        torch.testing.assert_close(
            FrozenIntegrator(synapse)(synapse, spikes), synapse.integrate(spikes)
        )


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"n_blocks": 2, "readout": "sum", "skip_input": True, "deep_hidden": 10},
        {"n_blocks": 2, "readout": "sum", "block_input": "rates", "synapse": "linear"},
    ],
)
def test_frozen_tower_gives_the_same_embedding(changes):
    torch.manual_seed(0)
    config = TowerConfig(hidden=20, out_dim=5, num_steps=4, tau=2.0, bias_init=0.0,
                         input_weight_scale=0.4, **changes)  # fmt: skip
    tower = SpikingTower(60, config).eval()
    x = _row(60, 8, seed=3)
    with torch.no_grad():
        torch.testing.assert_close(tower.embed(x, FrozenIntegrator(tower)), tower.embed(x))
