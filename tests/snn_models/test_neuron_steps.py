"""Charge, fire and reset are overridable steps: a neuron variant is one method."""

import pytest
import torch

from snn_models import (
    LIF,
    PLIF,
    DirectEncoder,
    LeakyIntegrator,
    LIFParameters,
    SpikingDense,
    SpikingNeuron,
    lif_scan_reference,
    streaming,
)


class FloorLIF(LIF):
    """A variant by one change: the membrane never charges below minus the threshold."""

    def neuronal_charge(self, x, v, params):
        return super().neuronal_charge(x, v, params).clamp(min=-params.threshold)


def _input(seed=0, shape=(12, 4, 9)):
    g = torch.Generator().manual_seed(seed)
    return (2.0 * torch.randn(*shape, generator=g, dtype=torch.float64)).requires_grad_()


@pytest.mark.parametrize("make", [lambda: LIF(tau=3.0, threshold=0.8), lambda: PLIF(reset="zero")])
def test_the_fused_scan_equals_the_neurons_own_reference_loop(make):
    neuron = make().double()
    x = _input()
    weights = torch.randn(x.shape, dtype=torch.float64)
    fused = neuron(x)
    reference, _ = SpikingNeuron.scan(neuron, x, None, neuron.neuron_parameters())
    assert torch.equal(fused, reference) and fused.sum() > 0
    inputs = (x, *neuron.parameters())
    for ours, theirs in zip(
        torch.autograd.grad((fused * weights).sum(), inputs),
        torch.autograd.grad((reference * weights).sum(), inputs),
        strict=True,
    ):
        torch.testing.assert_close(ours, theirs)


def test_a_variant_overriding_one_step_runs_it_in_every_mode():
    x = _input()
    variant, plain = FloorLIF(threshold=0.5).double(), LIF(threshold=0.5).double()
    multi = variant(x)
    assert not torch.equal(multi, plain(x)), "the input must reach the floor"
    # by hand: the reference step with the floor applied after charging
    params = LIFParameters(alpha=0.5, threshold=0.5)
    v, expected = None, []
    for x_t in x:
        u = (x_t if v is None else 0.5 * v + x_t).clamp(min=-0.5)
        s = (u >= 0.5).double()
        v = u - 0.5 * s
        expected.append(s)
    assert torch.equal(multi, torch.stack(expected))
    with streaming(variant):
        assert torch.equal(torch.stack([variant(x_t) for x_t in x]), multi)
    constant = variant.forward_repeated(x[0], 7)
    assert torch.equal(constant, variant(x[0].unsqueeze(0).repeat(7, 1, 1)))
    assert not torch.equal(lif_scan_reference(x, params)[0], multi)


def test_a_variant_cannot_be_forced_onto_the_native_kernel():
    with pytest.raises(RuntimeError, match="overrides a neuronal step"):
        FloorLIF(backend="native")(torch.rand(3, 2, 4))


def test_an_unchanged_subclass_keeps_the_fused_scan():
    class Renamed(LIF):
        pass

    spikes = Renamed()(torch.rand(5, 3, 7, requires_grad=True) * 3)
    assert type(spikes.grad_fn).__name__ == "_LIFScanBackward"


@pytest.mark.parametrize("neuron", [LeakyIntegrator(alpha=0.6), FloorLIF(threshold=0.3)])
def test_a_layer_runs_any_time_aware_neuron_on_a_direct_input(neuron):
    torch.manual_seed(0)
    layer = SpikingDense("bilinear", 6, 5, neuron=neuron)
    x = torch.rand(4, 6)
    direct = layer(DirectEncoder(7)(x))
    copied = layer(x.unsqueeze(0).repeat(7, 1, 1))
    torch.testing.assert_close(direct, copied, rtol=0, atol=1e-6)
