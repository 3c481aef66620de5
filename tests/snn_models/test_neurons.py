"""LIF / PLIF / leaky integrator modules: step modes, state, reset and decay parameters."""

import pytest
import torch
from torch import nn

from snn_models import (
    LIF,
    PLIF,
    DirectEncoder,
    LeakyIntegrator,
    LIFParameters,
    SpikingDense,
    lif_scan_reference,
    reset_states,
    set_step_mode,
    streaming,
)


def _net(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(
        SpikingDense("bilinear", 6, 8, neuron=LIF(tau=3.0, threshold=0.3)),
        SpikingDense("shunting", 8, 4, neuron=PLIF(tau=2.0, threshold=0.2)),
    )


def test_lif_module_matches_the_reference_scan():
    lif = LIF(tau=4.0, threshold=0.7, reset="zero", surrogate="sigmoid")
    x = torch.randn(12, 5, 3)
    params = LIFParameters(alpha=0.75, threshold=0.7, reset="zero", surrogate=lif.surrogate)
    expected, _ = lif_scan_reference(x, params)
    assert torch.equal(lif(x), expected)


def test_single_step_mode_equals_multi_step():
    net = _net()
    x = torch.rand(9, 3, 6)
    multi = net(x)
    with streaming(net):
        single = torch.stack([net(x_t) for x_t in x])
    assert torch.equal(multi, single)
    assert multi.sum() > 0


def test_single_step_gradients_equal_multi_step_gradients():
    net = _net()
    x = torch.rand(6, 3, 6)
    net(x).sum().backward()
    multi = [p.grad.clone() for p in net.parameters()]
    net.zero_grad()
    with streaming(net):
        torch.stack([net(x_t) for x_t in x]).sum().backward()
    for a, b in zip(multi, (p.grad for p in net.parameters()), strict=True):
        torch.testing.assert_close(a, b)


def test_two_batches_in_a_row_equal_two_fresh_networks():
    first, second = torch.rand(8, 3, 6), torch.rand(8, 5, 6)
    net = _net()
    out_first, out_second = net(first), net(second)
    assert torch.equal(out_first, _net()(first))
    assert torch.equal(out_second, _net()(second))


def test_streaming_state_persists_until_reset():
    net = _net()
    set_step_mode(net, "single")
    x = torch.rand(3, 6)
    first = [net(x) for _ in range(5)]
    reset_states(net)
    again = [net(x) for _ in range(5)]
    for a, b in zip(first, again, strict=True):
        assert torch.equal(a, b)
    # without a reset the neurons remember: the five steps are one sequence's steps, and the
    # stored membrane is what makes a constant input give different outputs over time
    assert torch.equal(torch.stack(first), _net()(x.expand(5, 3, 6)))
    assert not all(torch.equal(first[0], step) for step in first[1:])
    set_step_mode(net, "multi")  # switching modes returns to rest
    assert net[0].neuron.v is None
    set_step_mode(net, "single")
    assert torch.equal(net(x), first[0])


def test_a_forgotten_reset_with_a_new_batch_size_raises():
    lif = LIF()
    with streaming(lif):
        lif(torch.rand(4, 3))
        with pytest.raises(RuntimeError, match="reset_states"):
            lif(torch.rand(2, 3))


def test_streaming_restores_mode_and_rest():
    lif = LIF()
    with streaming(lif):
        assert lif.step_mode == "single"
        lif(torch.rand(2, 2) + 2)
    assert lif.step_mode == "multi" and lif.v is None


def test_multi_step_forward_keeps_no_state():
    lif = LIF()
    lif(torch.rand(5, 2, 3) * 3)
    assert lif.v is None


def test_tau_and_alpha_are_two_views_of_the_same_decay():
    assert LIF(tau=4.0).alpha.item() == pytest.approx(0.75)
    assert LIF(alpha=0.75).decay.tau == pytest.approx(4.0)
    assert LIF().alpha.item() == pytest.approx(0.5)
    for bad in (dict(tau=1.0), dict(alpha=1.5), dict(alpha=0.0), dict(tau=2.0, alpha=0.5)):
        with pytest.raises(ValueError):
            LIF(**bad)
    with pytest.raises(ValueError, match="learnable"):
        PLIF(alpha=1.0)
    with pytest.raises(ValueError, match="reset"):
        LIF(reset="hard")


def test_alpha_one_is_the_non_leaky_integrate_and_fire_neuron():
    neuron = LIF(alpha=1.0, threshold=1.0)
    assert neuron.decay.tau == float("inf")
    spikes = neuron(torch.full((8, 1, 1), 0.25))  # charges 0.25 per step and never leaks
    assert spikes.flatten().tolist() == [0, 0, 0, 1, 0, 0, 0, 1]
    leaky = LIF(alpha=0.9, threshold=1.0)(torch.full((8, 1, 1), 0.25))
    assert leaky.sum() < spikes.sum()


def test_plif_learns_its_time_constant_and_stays_stable():
    torch.manual_seed(0)
    plif = PLIF(tau=2.0)
    assert [n for n, _ in plif.named_parameters()] == ["decay.logit"]
    x = torch.rand(10, 4, 3) * 2
    plif(x).sum().backward()
    assert plif.decay.logit.grad is not None and plif.decay.logit.grad != 0
    with torch.no_grad():
        plif.decay.logit.fill_(50.0)
    assert 0 < plif.alpha.item() <= 1.0


def test_fixed_decay_is_a_buffer_that_follows_the_module():
    lif = LIF(tau=5.0)
    assert list(lif.parameters()) == []
    assert "decay.value" in lif.state_dict()
    assert lif.to(torch.float64).alpha.dtype == torch.float64


def test_higher_constant_current_never_fires_less():
    """Rate is monotone in a constant input current (used by the XOR impossibility proof)."""
    currents = torch.linspace(-1, 3, 401)
    for reset in ("subtract", "zero"):
        lif = LIF(tau=2.0, threshold=0.5, reset=reset)
        counts = lif(DirectEncoder(16)(currents.unsqueeze(1))).sum(0).squeeze(1)
        assert torch.all(counts[1:] >= counts[:-1])


def test_leaky_integrator_trace_follows_its_recurrence():
    x = torch.randn(7, 2, 3)
    for decay_input in (False, True):
        integrator = LeakyIntegrator(alpha=0.6, decay_input=decay_input)
        trace = integrator(x)
        v = torch.zeros(2, 3)
        for t in range(7):
            v = 0.6 * v + (0.4 * x[t] if decay_input else x[t])
            torch.testing.assert_close(trace[t], v)
        with streaming(integrator):
            for t in range(7):
                step = integrator(x[t])
            torch.testing.assert_close(step, trace[-1])


def test_leaky_integrator_learns_its_decay_and_handles_repeated_input():
    integrator = LeakyIntegrator(alpha=0.5, learn_tau=True)
    x = torch.rand(2, 3)
    repeated = integrator(DirectEncoder(6)(x))
    copied = integrator(x.unsqueeze(0).repeat(6, 1, 1))
    torch.testing.assert_close(repeated, copied)
    repeated.sum().backward()
    assert integrator.decay.logit.grad > 0


def test_neuron_factory():
    from snn_models import make_neuron, neuron_kinds

    # The registry now also holds snnTorch's Leaky and the ANN twin's ReLU (issue 26).
    assert set(neuron_kinds()) == {"lif", "plif", "li", "delayed-reset", "relu"}
    lif = make_neuron("lif", tau=4.0, surrogate="triangle")
    assert type(lif) is LIF and lif.alpha.item() == pytest.approx(0.75)
    assert type(make_neuron("PLIF")) is PLIF
    assert type(make_neuron("li", alpha=0.9)) is LeakyIntegrator
    with pytest.raises(ValueError, match="unknown neuron"):
        make_neuron("izhikevich")


@pytest.mark.parametrize("kind", ["linear", "bilinear", "shunting"])
def test_spiking_layer_runs_a_direct_input_as_a_constant_current(kind):
    torch.manual_seed(0)
    layer = SpikingDense(kind, 6, 5, neuron=LIF(threshold=0.3))
    x = torch.rand(4, 6, requires_grad=True)
    fast = layer(DirectEncoder(7)(x))
    (fast * torch.arange(7.0).view(7, 1, 1)).sum().backward()
    fast_grads = [x.grad.clone()] + [p.grad.clone() for p in layer.parameters()]
    x.grad = None
    layer.zero_grad()
    plain = layer.neuron(layer.synapse(x.unsqueeze(0).repeat(7, 1, 1)))
    (plain * torch.arange(7.0).view(7, 1, 1)).sum().backward()
    plain_grads = [x.grad] + [p.grad for p in layer.parameters()]
    assert torch.equal(fast, plain) and fast.sum() > 0
    for a, b in zip(fast_grads, plain_grads, strict=True):
        torch.testing.assert_close(a, b)
