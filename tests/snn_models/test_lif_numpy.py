"""The NumPy LIF inference of one frozen row equals the torch neuron, and a serving copy learns
whether it may use it from ``snn_models`` (no list of neuron types in the caller)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from snn_models import LIF, PLIF, repeat_over_time
from snn_models.functional import LIFParameters, lif_charge, lif_rates_constant_input
from snn_models.neurons import plain_lif_parameters


@pytest.mark.parametrize("reset", ["subtract", "zero"])
@pytest.mark.parametrize("decay_input", [False, True])
@pytest.mark.parametrize("num_steps", [1, 4, 9])
def test_numpy_rates_equal_the_torch_neurons(reset, decay_input, num_steps):
    torch.manual_seed(0)
    neuron = LIF(tau=2.5, threshold=0.7, reset=reset, decay_input=decay_input)
    current = torch.randn(257) * 1.5  # some silent, some firing every step
    with torch.no_grad():
        torch_rates = neuron(repeat_over_time(current[None], num_steps)).mean(0)[0]
    rates = lif_rates_constant_input(
        current.numpy(), neuron.neuron_parameters().with_decay(float(neuron.decay())), num_steps
    )
    np.testing.assert_allclose(rates, torch_rates.numpy(), atol=1e-6)
    assert 0 < rates.mean() < 1  # the comparison covered both silence and spikes


def test_a_constant_input_above_threshold_fires_every_step_and_below_never():
    params = LIFParameters(alpha=0.5, threshold=1.0)
    rates = lif_rates_constant_input(np.array([1.0, 0.49, 0.6]), params, 4)
    # 1.0 fires at once and every step after a subtractive reset; 0.49 settles at 0.98 < θ;
    # 0.6 charges 0.6, 0.9, 1.05 (fires, 0.05 left), 0.625.
    np.testing.assert_allclose(rates, [1.0, 0.0, 0.25])
    assert lif_charge(torch.tensor([0.6]), None, params).item() == pytest.approx(0.6)


def test_zero_steps_are_refused():
    with pytest.raises(ValueError, match="num_steps"):
        lif_rates_constant_input(np.zeros(3), LIFParameters(), 0)


class _Hard(LIF):
    """A variant with another reset: not what the NumPy (or fused) LIF computes."""

    def neuronal_reset(self, u, spikes, params):
        return u * 0


def test_plain_lif_parameters_name_what_may_run_as_plain_lif():
    assert plain_lif_parameters(LIF(tau=3.0)).alpha == pytest.approx(1 - 1 / 3)
    assert plain_lif_parameters(PLIF(tau=2.0)) is not None  # learnable decay, same dynamics
    assert plain_lif_parameters(_Hard()) is None
    assert plain_lif_parameters(torch.nn.Identity()) is None
