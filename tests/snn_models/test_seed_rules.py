"""Seeds 003 and 001 pinned to their equations on hand-computed examples.

Plasticity-centric network (Zhang et al. 2018): one equilibrium step of a two-neuron chain, the
energy whose descent it is, one differential-STDP update, the teacher's targets. Lee, Delbruck &
Pfeiffer (2016): the aggregate gain with its WTA factor, the g/g_bar error normalisation, one
output-layer gradient, the loss on max-normalised counts, inhibition and refractory weights, the
threshold regulariser with its floor, the exponential weight penalty.
"""

import math

import pytest
import torch

from snn_models.plasticity import (
    Lee2016Network,
    PlasticityCentricNetwork,
    aggregate_gain,
    backward_errors,
    count_loss,
    differential_stdp,
    energy,
    energy_gradient,
    refractory_weight,
    regularise_thresholds,
    simulate_layer,
    weight_penalty_grad,
)


def chain(w0=0.8, b0=0.1, w1=0.5, b1=0.0, **options) -> PlasticityCentricNetwork:
    """input -> one hidden neuron -> one output neuron, weights set by hand."""
    net = PlasticityCentricNetwork((1, 1, 1), **options)
    with torch.no_grad():
        net.weights[0].fill_(w0)
        net.biases[0].fill_(b0)
        net.weights[1].fill_(w1)
        net.biases[1].fill_(b1)
    return net


def test_two_neuron_equilibrium_step_matches_the_hand_computed_values():
    # dE/dV_h = V_h - rho'(V_h) (w0 x + b0 + w1 rho(V_o)) = 0.5 - (0.8 + 0.1 + 0.5 * 0.4) = -0.6
    # dE/dV_o = V_o - rho'(V_o) (w1 rho(V_h) + b1)       = 0.4 - 0.5 * 0.5           = 0.15
    # one step of size 0.5: V_h = 0.5 + 0.3 = 0.8, V_o = 0.4 - 0.075 = 0.325
    net = chain(step=0.5)
    x = torch.tensor([[1.0]])
    v_h, v_o = net.relax(x, [torch.tensor([[0.5]]), torch.tensor([[0.4]])], steps=1)
    assert v_h.item() == pytest.approx(0.8)
    assert v_o.item() == pytest.approx(0.325)


def test_the_equilibrium_step_descends_the_energy_it_is_the_gradient_of():
    torch.manual_seed(0)
    net = PlasticityCentricNetwork((5, 4, 3), step=0.1)
    x = torch.rand(2, 5)
    v = [torch.rand(2, 4) * 0.8 + 0.1, torch.rand(2, 3) * 0.8 + 0.1]  # inside (0, 1)
    leaves = [t.clone().requires_grad_(True) for t in v]
    energy(x, leaves, list(net.weights), list(net.biases)).sum().backward()
    bottom_up = x @ net.weights[0].T + net.biases[0]
    top_down = v[1] @ net.weights[1]
    assert torch.allclose(energy_gradient(v[0], bottom_up, top_down), leaves[0].grad, atol=1e-6)
    out_drive = v[0] @ net.weights[1].T + net.biases[1]
    assert torch.allclose(energy_gradient(v[1], out_drive), leaves[1].grad, atol=1e-6)
    before = energy(x, v, list(net.weights), list(net.biases))
    after = energy(x, net.relax(x, v, steps=1), list(net.weights), list(net.biases))
    assert (after < before).all()


def test_one_differential_stdp_update_is_presynaptic_rate_times_potential_change():
    pre = torch.tensor([[0.5, 1.0, 0.0]])
    dv_post = torch.tensor([[0.2, -0.1]])
    dw = differential_stdp(pre, dv_post, lr=0.5)
    expected = 0.5 * torch.tensor([[0.1, 0.2, 0.0], [-0.05, -0.1, 0.0]])
    assert torch.allclose(dw, expected)


def test_relaxation_trace_of_the_clamped_input_telescopes_exactly():
    torch.manual_seed(1)
    net = PlasticityCentricNetwork((6, 5, 3), step=0.3)
    x = torch.rand(4, 6)
    start = net.feed_forward(x)
    trace = [torch.zeros_like(w) for w in net.weights]
    net.relax(x, start, steps=7, trace=trace)
    # step by step, the same sum: sum_t dV_hidden(t) ⊗ x and sum_t dV_out(t) ⊗ rho(V_hidden(t))
    expected = [torch.zeros_like(w) for w in net.weights]
    v = start
    for _ in range(7):
        nxt = net.relax(x, v, steps=1)
        expected[0] += (nxt[0] - v[0]).T @ x
        expected[1] += (nxt[1] - v[1]).T @ v[0].clamp(0, 1)
        v = nxt
    assert torch.allclose(trace[0], expected[0], atol=1e-5)
    assert torch.allclose(trace[1], expected[1], atol=1e-5)


def test_teacher_targets_and_one_supervised_step_move_the_output_weight_as_computed():
    # No free-phase STDP, zero relaxation: the supervised phase alone, by hand.
    net = chain(
        w0=1.0,
        b0=0.0,
        w1=0.5,
        b1=0.0,
        steps=0,
        lr=0.05,
        weight_lr=1.0,
        teacher_rate=1.0,
        free_phase_stdp=0.0,
    )
    x = torch.tensor([[0.6]])
    # free: V_h = 0.6, V_o = 0.5 * 0.6 = 0.3; target V_o = 1 (the label's teacher rate); the
    # hidden target with 0 steps is its free value. V_o += 0.05 * 2 * (1 - 0.3) = 0.07.
    # step = 1 / (rho(V_h)^2 + 1) = 1 / 1.36: dW1 = 0.07 * 0.6 / 1.36, db1 = 0.07 / 1.36
    assert net.teacher_potentials(torch.tensor([0])).tolist() == [[1.0]]
    net.learn(x, torch.tensor([0]))
    assert net.weights[1].item() == pytest.approx(0.5 + 0.07 * 0.6 / 1.36)
    assert net.biases[1].item() == pytest.approx(0.07 / 1.36)
    assert net.weights[0].item() == pytest.approx(1.0)  # the hidden potential did not move
    # the synapses took up the potential change: the new feed-forward drive is 0.3 + 0.07
    assert net.feed_forward(x)[1].item() == pytest.approx(0.37)


def test_lee_aggregate_gain_applies_the_wta_factor_to_active_neurons_only():
    total = torch.tensor([[2.0, 1.0, -1.0]])
    threshold = torch.tensor([1.0, 2.0, 1.0])
    # n = 2 active neurons, mu = 0.4, sigma = 0.5: factor 1 / (0.4 * 0.5 * 1 + 1) = 1 / 1.2
    gain = aggregate_gain(total, threshold, mu=0.4, sigma=0.5)
    assert torch.allclose(gain, torch.tensor([[1 / 1.2, 1 / 2.4, 0.0]]))
    # g_bar = mean over active = (1/1.2 + 1/2.4) / 2 = 0.625; delta = dL/da * g / g_bar
    delta = backward_errors(torch.ones(1, 3), gain)
    assert torch.allclose(delta, torch.tensor([[4 / 3, 2 / 3, 0.0]]))


def test_lee_count_loss_on_max_normalised_counts():
    counts = torch.tensor([[4.0, 2.0, 0.0]])
    target = torch.tensor([[0.0, 1.0, 0.0]])
    loss, grad = count_loss(counts, target)
    # normalised (1, 0.5, 0): L = 1/2 (1 + 0.25) = 0.625; dL/dc = (1, -0.5, 0) / 4
    assert loss.item() == pytest.approx(0.625)
    assert torch.allclose(grad, torch.tensor([[0.25, -0.125, 0.0]]))


def test_one_lee_aggregate_gradient_step_on_the_output_layer():
    # 1 input -> 2 hidden -> 2 output, no leak, no refractory period, no inhibition: every
    # quantity by hand. Input: 3 events at step 0 only (T = 2).
    net = Lee2016Network((1, 2, 2), alpha=1.0, inhibition=(0.0, 0.0), t_ref=0.0, tau=1e9, sigma=1.0)
    with torch.no_grad():
        net.weights[0].copy_(torch.tensor([[1.0], [0.5]]))
        net.thresholds[0].copy_(torch.tensor([1.0, 1.0]))
        net.weights[1].copy_(torch.tensor([[1.0, 0.0], [0.5, -1.0]]))
        net.thresholds[1].copy_(torch.tensor([2.0, 1.0]))
    events = torch.tensor([[[3.0]], [[0.0]]])
    # hidden: currents (3, 1.5) at step 0 -> one spike each (v 3 -> 2, 1.5 -> 0.5), then
    # neuron 0 fires again at step 1 (v = 2 >= 1): counts (2, 1).
    # output x = W1 counts = (2, 0): counts (1, 0) (neuron 0 reaches 2 at step 1).
    loss, logits, fired = net.set_gradients(events, torch.tensor([[0.0, 1.0]]), lam=0.0)
    assert logits.round().tolist() == [[1.0, 0.0]]
    # normalised output (1, 0) vs target (0, 1): dL/da = (1, -1); active: x = (2, 0) -> only
    # neuron 0, n = 1, gain 1 / 2, g_bar = 1 / 2: delta = (1, 0); dL/dW1 = delta^T counts_hidden
    assert torch.allclose(net.weights[1].grad, torch.tensor([[2.0, 1.0], [0.0, 0.0]]))
    # thresholds: dL/dV_th = -dL/da * a / V_th = -(1 * 1 / 2, -1 * 0 / 1)
    assert torch.allclose(net.thresholds[1].grad, torch.tensor([-0.5, 0.0]))
    assert loss == pytest.approx(1.0)


def test_lee_inhibition_scales_with_the_inhibited_threshold_and_makes_it_refractory():
    current = torch.tensor([[[1.5, 0.5]], [[0.0, 0.9]], [[0.0, 0.9]]])
    threshold = torch.tensor([1.0, 2.0])
    spikes, v = simulate_layer(current, threshold, inhibition=0.4, t_ref=2.0, decay=1.0)
    # step 0: neuron 0 fires (1.5 -> 0.5); neuron 1 gets 0.5 - 0.4 * 2 = -0.3 and becomes refractory
    # step 1: dt = 1, weight (1/2)^2 = 0.25: -0.3 + 0.225 = -0.075; step 2: weight 1: 0.825
    assert spikes[:, 0].tolist() == [[1.0, 0.0], [0.0, 0.0], [0.0, 0.0]]
    assert v[0, 1].item() == pytest.approx(0.825)
    assert refractory_weight(torch.tensor([0.0, 1.0, 2.0, 5.0]), 2.0).tolist() == [
        0.0,
        0.25,
        1.0,
        1.0,
    ]


def test_lee_threshold_regulariser_with_floor_and_weight_rescale():
    threshold = torch.tensor([1.0, 1.0, 0.21])
    weight = torch.ones(3, 2)
    floor = torch.tensor([0.2, 0.2, 0.2])
    fired = torch.tensor([[True, False, False]])
    regularise_thresholds(threshold, weight, fired, rho=0.01, floor=floor)
    # N = 3, N_w = 1: fired +0.03, silent -0.01 each; the third would fall to 0.20 -> 0.2 exactly
    assert torch.allclose(threshold, torch.tensor([1.03, 0.99, 0.2]))
    # a threshold pushed below its floor stays there and the weights grow instead
    regularise_thresholds(threshold, weight, fired, rho=0.05, floor=floor)
    assert threshold[2].item() == pytest.approx(0.2)
    assert torch.allclose(weight[2], torch.full((2,), 0.2 / 0.15))


def test_lee_weight_penalty_gradient_matches_its_formula():
    weight = torch.tensor([[0.5, -1.0], [2.0, 0.0]], requires_grad=True)
    beta, lam, alpha = 10.0, 0.02, math.sqrt(3.0)
    penalty = beta * torch.exp(lam * (weight.square().sum(1) - alpha**2)).sum()
    penalty.backward()
    assert torch.allclose(weight_penalty_grad(weight.detach(), beta, lam, alpha), weight.grad)
