"""The mechanisms of the two added learning systems, each checked on hand-built cases.

membrane-bptt (mechanisms after Lee et al. 2016): k-winner-take-all, the membrane pass-through gradient, threshold
regularisation, the exponential weight penalty, the refractory period. Competitive STDP
(stdp-delta): pair-based STDP on a hand-built spike pair, soft-bounded STDP, the
teacher-driven output update, and a back-propagation-free network that learns digits.
"""

import math

import pytest
import torch

from snn_models.neurons.base import SpikingNeuron
from snn_models.plasticity import (
    CompetitiveSTDPLayer,
    KWinnersLIF,
    KWinnersParameters,
    MembraneBPTTLIF,
    TeacherOutputLayer,
    exponential_trace,
    exponential_weight_penalty,
    k_winners,
    membrane_spike,
    stdp_update,
    threshold_update,
    trace_stdp_update,
)


def test_k_winners_keeps_the_k_most_driven_candidates():
    drive = torch.tensor([[0.5, 2.0, 1.0, -1.0, 3.0]])
    candidates = drive >= 0
    assert k_winners(drive, candidates, 2).tolist() == [[False, True, False, False, True]]
    # fewer candidates than k: all of them win, and a non-candidate never does
    assert k_winners(drive, drive >= 1.5, 3).tolist() == [[False, True, False, False, True]]
    with pytest.raises(ValueError):
        k_winners(drive, candidates, 0)


def test_wta_layer_fires_at_most_k_neurons_per_step():
    torch.manual_seed(0)
    layer = MembraneBPTTLIF(40, tau=2.0, k=3)
    current = 2.0 + torch.rand(8, 5, 40)  # every neuron crosses threshold at every step
    spikes = layer(current)
    per_step = spikes.sum(-1)
    assert per_step.max() <= 3
    assert per_step.min() == 3  # the circuit limits, it does not silence
    unlimited = MembraneBPTTLIF(40, tau=2.0, k=None)(current).sum(-1)
    assert unlimited.min() > 3


def test_lateral_inhibition_lowers_the_other_neurons_potential():
    current = torch.tensor([[[1.5, 0.6]], [[0.0, 0.6]]])  # neuron 0 fires at t=0
    free = MembraneBPTTLIF(2, tau=1e9, inhibition=0.0)(current)
    inhibited = MembraneBPTTLIF(2, tau=1e9, inhibition=0.5)(current)
    assert free[1, 0, 1] == 1  # 0.6 + 0.6 reaches threshold 1
    assert inhibited[1, 0, 1] == 0  # 0.6 - 0.5 + 0.6 does not


def test_membrane_gradient_is_one_over_threshold_where_the_potential_is_positive():
    v = torch.tensor([-0.5, 0.3, 1.5, 2.0], requires_grad=True)
    threshold = torch.tensor([1.0, 2.0, 0.5, 1.0])
    allowed = torch.tensor([True, True, True, False])
    out = membrane_spike(v, threshold, allowed)
    assert out.tolist() == [0.0, 0.0, 1.0, 0.0]
    out.sum().backward()
    # below rest: nothing; positive: 1 / V_th, fired or not; suppressed by WTA: nothing
    torch.testing.assert_close(v.grad, torch.tensor([0.0, 0.5, 2.0, 0.0]))


def test_bounded_membrane_gradient_stops_where_one_reset_still_leaves_the_neuron_above():
    v = torch.tensor([-0.5, 0.5, 1.5, 1.99, 2.0, 5.0], requires_grad=True)
    threshold = torch.ones(6)
    out = membrane_spike(v, threshold, ceiling=2.0)
    assert out.tolist() == [0.0, 0.0, 1.0, 1.0, 1.0, 1.0]  # the forward pass is unchanged
    out.sum().backward()
    # 0 < v < 2 V_th: 1 / V_th; at or above two thresholds (saturated in one step): nothing
    torch.testing.assert_close(v.grad, torch.tensor([0.0, 1.0, 1.0, 1.0, 0.0, 0.0]))
    with pytest.raises(ValueError):
        membrane_spike(v, threshold, ceiling=1.0)


def test_lee_layer_with_a_gradient_ceiling_passes_no_gradient_to_saturated_inputs():
    current = torch.tensor([[[0.5, 6.0]], [[0.5, 6.0]]], requires_grad=True)
    MembraneBPTTLIF(2, tau=2.0, gradient_ceiling=2.0)(current).sum().backward()
    assert (current.grad[:, 0, 0] > 0).all()  # below threshold: learns
    assert (current.grad[:, 0, 1] == 0).all()  # far above: saturated every step
    current.grad = None
    MembraneBPTTLIF(2, tau=2.0)(current).sum().backward()
    assert (current.grad[:, 0, 1] > 0).all()  # the paper's unbounded pass-through


def test_threshold_update_moves_thresholds_from_busy_to_silent_neurons():
    threshold = torch.ones(4)
    counts = torch.tensor([3.0, 1.0, 0.0, 0.0])
    new = threshold_update(threshold, counts, rho=0.01)
    # busy neuron up by rho * (N * 3 - 4), silent ones down by rho * 4; the sum is kept
    torch.testing.assert_close(new, torch.tensor([1.08, 1.0, 0.96, 0.96]))
    torch.testing.assert_close(new.sum(), threshold.sum())
    assert threshold_update(threshold, counts, rho=1.0, minimum=0.1).min() == 0.1


def test_threshold_regularisation_lowers_the_share_of_silent_neurons():
    torch.manual_seed(0)
    # 20 neurons, half of them driven too weakly to ever reach threshold 1
    drive = torch.cat([torch.full((10,), 0.8), torch.full((10,), 0.3)])
    current = drive + 0.05 * torch.randn(6, 32, 20)

    def silent_share(rho: float) -> float:
        layer = MembraneBPTTLIF(20, tau=2.0, rho=rho)
        layer.train()
        for _ in range(200):
            layer(current)
            layer.regularise_thresholds()
        layer.eval()
        return float((layer(current).sum((0, 1)) == 0).float().mean())

    without, with_reg = silent_share(0.0), silent_share(2e-3)
    assert without == 0.5
    assert with_reg < without / 2


def test_exponential_weight_penalty_matches_its_formula():
    weight = torch.tensor([[0.6, 0.8], [0.0, 2.0]])  # row norms^2: 1 and 4
    expected = 0.5 * 0.1 * (math.exp(0.0) + math.exp(3.0 * 3.0))
    torch.testing.assert_close(
        exponential_weight_penalty(weight, beta=3.0, lam=0.1), torch.tensor(expected)
    )


def test_refractory_period_scales_the_input_after_a_spike():
    current = torch.full((3, 1, 1), 1.0)
    plain = MembraneBPTTLIF(1, tau=1e9)(current)
    refractory = MembraneBPTTLIF(1, tau=1e9, refractory_tau=2.0)(current)
    assert plain[:, 0, 0].tolist() == [1.0, 1.0, 1.0]
    # after the spike at t=0 the input is scaled by 1 - exp(-1/2) ~ 0.39, then 1 - exp(-2/2)
    # ~ 0.63: together they reach threshold again at t=2
    assert refractory[:, 0, 0].tolist() == [1.0, 0.0, 1.0]
    slow = MembraneBPTTLIF(1, tau=1e9, refractory_tau=10.0)(current)
    assert slow[:, 0, 0].tolist() == [1.0, 0.0, 0.0]


def _pair(t_pre: int, t_post: int, steps: int = 10) -> tuple[torch.Tensor, torch.Tensor]:
    pre = torch.zeros(steps, 1, 1)
    post = torch.zeros(steps, 1, 1)
    pre[t_pre, 0, 0] = 1.0
    post[t_post, 0, 0] = 1.0
    return pre, post


def test_stdp_on_a_hand_built_pair_has_the_sign_and_size_of_the_rule():
    a_plus, a_minus, tau_plus, tau_minus = 0.01, 0.012, 20.0, 10.0
    kwargs = dict(a_plus=a_plus, a_minus=a_minus, tau_plus=tau_plus, tau_minus=tau_minus)
    potentiation = stdp_update(*_pair(2, 5), **kwargs)  # pre 3 steps before post
    torch.testing.assert_close(potentiation, torch.tensor([[a_plus * math.exp(-3 / tau_plus)]]))
    depression = stdp_update(*_pair(5, 2), **kwargs)  # post 3 steps before pre
    torch.testing.assert_close(depression, torch.tensor([[-a_minus * math.exp(-3 / tau_minus)]]))
    assert stdp_update(*_pair(4, 4), **kwargs).item() == 0.0
    # closer pairs change the weight more
    assert stdp_update(*_pair(4, 5), **kwargs) > potentiation


def test_exponential_trace_decays_by_the_time_constant():
    spikes = torch.tensor([1.0, 0.0, 0.0, 1.0]).reshape(4, 1)
    trace = exponential_trace(spikes, tau=2.0)[:, 0]
    decay = math.exp(-0.5)
    torch.testing.assert_close(trace, torch.tensor([1.0, decay, decay**2, decay**3 + 1.0]))


def test_soft_bounded_stdp_moves_a_firing_neuron_towards_its_input_pattern():
    pattern = torch.tensor([1.0, 1.0, 0.0, 0.0])
    pre = pattern.expand(20, 1, 4).clone()
    post = torch.ones(20, 1, 1)
    weight = torch.full((1, 4), 0.5)
    dw = trace_stdp_update(pre, post, weight, tau=2.0)
    assert (dw[0, :2] > 0).all() and (dw[0, 2:] < 0).all()
    silent = trace_stdp_update(pre, torch.zeros(20, 1, 1), weight, tau=2.0)
    assert (silent == 0).all()


def test_teacher_update_moves_output_potentials_towards_the_target():
    torch.manual_seed(0)
    layer = TeacherOutputLayer(6, 3)
    x = (torch.rand(5, 8, 6) < 0.5).float()
    target = torch.randint(0, 3, (8,))
    wanted = torch.nn.functional.one_hot(target, 3).float()
    before = (layer(x) - wanted).square().mean()
    for _ in range(20):
        layer.learn(x, target, lr=0.5)
    after = (layer(x) - wanted).square().mean()
    assert after < 0.5 * before


def test_plasticity_network_learns_digits_without_backpropagation():
    from sklearn.datasets import load_digits

    torch.manual_seed(0)
    digits = load_digits()
    x = torch.tensor(digits.data, dtype=torch.float32) / 16.0
    y = torch.tensor(digits.target)
    train, test = slice(0, 1400), slice(1400, None)
    hidden = CompetitiveSTDPLayer(64, 200, k=20, gain=3.0, rho=1e-5)
    output = TeacherOutputLayer(200, 10)
    steps = 4

    def encode(batch):
        return batch.expand(steps, *batch.shape)

    for start in range(0, 1400, 16):
        hidden.learn(encode(x[train][start : start + 16]), lr=0.05)
    for _ in range(3):
        for start in range(0, 1400, 16):
            batch = encode(x[train][start : start + 16])
            output.learn(hidden(batch), y[train][start : start + 16], lr=1.0)
    assert all(p.grad is None for p in (*hidden.parameters(), *output.parameters()))
    with torch.no_grad():
        accuracy = (output(hidden(encode(x[test]))).argmax(1) == y[test]).float().mean()
    assert accuracy > 0.8


def test_k_winners_lif_charges_fires_the_k_furthest_above_threshold_and_subtracts():
    neurons = KWinnersLIF(alpha=0.5)
    assert isinstance(neurons, SpikingNeuron)
    params = KWinnersParameters(threshold=torch.tensor([1.0, 1.0, 1.0, 0.5]), k=2)
    x = torch.tensor([[[1.5, 1.2, 0.9, 0.8]], [[0.0, 0.0, 0.0, 0.0]], [[0.0, 0.5, 0.8, 0.0]]])
    spikes, v = neurons.scan(x, None, params)
    # step 1: drives 0.5, 0.2, -0.1, 0.3 -> the two furthest above (0 and 3) fire, 1 does not
    # step 2: v = 0.25, 0.6, 0.45, 0.15 -> none at threshold
    # step 3: v = 0.125, 0.8, 1.025, 0.075 -> only neuron 2
    assert spikes[:, 0].tolist() == [[1, 0, 0, 1], [0, 0, 0, 0], [0, 0, 1, 0]]
    torch.testing.assert_close(v[0], torch.tensor([0.125, 0.8, 0.025, 0.075]))
    every = neurons.scan(x, None, params._replace(k=4))[0]
    assert every[0, 0].tolist() == [1, 1, 0, 1]  # k = N: no competition


def test_competitive_layer_fires_through_its_k_winners_neurons():
    torch.manual_seed(0)
    layer = CompetitiveSTDPLayer(30, 20, k=3)
    x = (torch.rand(8, 6, 30) < 0.3).float()
    spikes = layer(x)
    assert isinstance(layer.neurons, KWinnersLIF) and spikes.sum() > 0
    assert spikes.sum(-1).max() <= 3
    unit = x / x.norm(dim=-1, keepdim=True).clamp(min=1e-6)
    current = layer.gain * unit @ layer.weight.T
    expected, _ = KWinnersLIF(layer.neurons.alpha).scan(
        current, None, KWinnersParameters(layer.threshold, 3)
    )
    assert torch.equal(spikes, expected)
    assert layer(x, k=1).sum(-1).max() <= 1
