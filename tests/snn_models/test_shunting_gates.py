"""The shunting gate variants (``gate=``): hand-computed currents, parameters, linear limit,
dense/conv agreement and which variants let one neuron compute XOR."""

import math

import pytest
import torch
import torch.nn.functional as F

from snn_models import (
    LIF,
    SHUNTING_GATES,
    Conv2dSynapse,
    DirectEncoder,
    LinearSynapse,
    ShuntingConv2dSynapse,
    ShuntingSynapse,
    make_conv_synapse,
    make_synapse,
)

INPUTS = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], dtype=torch.float64)
XOR = torch.tensor([False, True, True, False])


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


# One hand-set neuron, W = (2, -1): input 1 excites (W+ = (2, 0)), input 2 inhibits
# (W- = (0, -1)); kappa = 1. Gates: V+ = (-1, -1), V- = (1, 1), shared V = (-1, -1), divisive
# conductance C = (1, 1). With s = x1 + x2 the currents of (0,0), (0,1), (1,0), (1,1) are:
HAND_SET = {
    # (2 x1) sigmoid(-s) + (-x2) sigmoid(s)
    "both": [0.0, -sigmoid(1), 2 * sigmoid(-1), 2 * sigmoid(-2) - sigmoid(2)],
    # (2 x1 - x2) sigmoid(-s)
    "shared": [0.0, -sigmoid(-1), 2 * sigmoid(-1), sigmoid(-2)],
    # (2 x1) sigmoid(-s) - x2
    "excitatory": [0.0, -1.0, 2 * sigmoid(-1), 2 * sigmoid(-2) - 1],
    # (2 x1) sigmoid(-s): the thesis's ab1, no inhibitory pathway at all
    "excitatory-only": [0.0, 0.0, 2 * sigmoid(-1), 2 * sigmoid(-2)],
    # 2 x1 - x2 sigmoid(s)
    "inhibitory": [0.0, -sigmoid(1), 2.0, 2 - sigmoid(2)],
    # 2 x1 / (1 + relu(s)) - x2
    "divisive": [0.0, -1.0, 1.0, 2 / 3 - 1],
    # 2 x1 - x2
    "none": [0.0, -1.0, 2.0, 1.0],
}
GATE_VALUES = {
    "gate_excitatory": [-1.0, -1.0],
    "gate_inhibitory": [1.0, 1.0],
    "gate": [-1.0, -1.0],
    "conductance": [1.0, 1.0],
}


def _hand_set(syn, weight=(2.0, -1.0), gates=GATE_VALUES):
    """Copy the hand-set values into a 2-input, 1-output synapse, dense or 1x1 conv."""
    with torch.no_grad():
        for name, param in syn.named_parameters():
            values = weight if name == "weight" else gates[name]
            param.copy_(torch.tensor(values, dtype=param.dtype).reshape(param.shape))
    return syn


@pytest.mark.parametrize("gate", SHUNTING_GATES)
def test_dense_gate_variant_gives_the_hand_computed_currents(gate):
    syn = _hand_set(ShuntingSynapse(2, 1, kappa=1.0, bias=False, gate=gate).double())
    expected = torch.tensor(HAND_SET[gate], dtype=torch.float64)
    torch.testing.assert_close(syn(INPUTS).squeeze(1), expected)


@pytest.mark.parametrize("gate", SHUNTING_GATES)
def test_conv_gate_variant_on_a_1x1_kernel_gives_the_same_currents(gate):
    conv = _hand_set(ShuntingConv2dSynapse(2, 1, 1, kappa=1.0, bias=False, gate=gate).double())
    images = INPUTS.view(4, 2, 1, 1).expand(4, 2, 3, 3)  # every pixel the same pattern
    out = conv(images)
    assert out.shape == (4, 1, 3, 3)
    expected = torch.tensor(HAND_SET[gate], dtype=torch.float64)
    torch.testing.assert_close(out[:, 0], expected.view(4, 1, 1).expand(4, 3, 3))


@pytest.mark.parametrize("gate", SHUNTING_GATES)
def test_conv_and_dense_agree_on_a_1x1_kernel_with_random_weights(gate):
    torch.manual_seed(0)
    conv = ShuntingConv2dSynapse(5, 4, 1, kappa=1.7, gate=gate).double()
    dense = ShuntingSynapse(5, 4, kappa=1.7, gate=gate).double()
    dense.load_state_dict(
        {k: v.reshape(v.shape[0], -1) if v.dim() == 4 else v for k, v in conv.state_dict().items()}
    )
    x = torch.randn(3, 5, 4, 6, dtype=torch.float64)
    per_pixel = dense(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
    torch.testing.assert_close(conv(x), per_pixel)


@pytest.mark.parametrize("gate", SHUNTING_GATES)
def test_conv_gate_variant_is_the_dense_one_on_every_3x3_patch(gate):
    torch.manual_seed(1)
    conv = ShuntingConv2dSynapse(2, 3, 3, stride=2, padding=1, kappa=0.8, gate=gate).double()
    dense = ShuntingSynapse(18, 3, kappa=0.8, gate=gate).double()
    dense.load_state_dict(
        {k: v.reshape(v.shape[0], -1) if v.dim() == 4 else v for k, v in conv.state_dict().items()}
    )
    x = torch.randn(4, 2, 7, 7, dtype=torch.float64)
    patches = F.unfold(x, 3, padding=1, stride=2).transpose(1, 2)
    expected = dense(patches).transpose(1, 2).reshape(4, 3, 4, 4)
    torch.testing.assert_close(conv(x), expected)


def test_gate_none_is_the_linear_synapse():
    torch.manual_seed(2)
    shunt = ShuntingSynapse(6, 4, gate="none").double()
    linear = LinearSynapse(6, 4).double()
    linear.load_state_dict(shunt.state_dict())
    x = torch.randn(10, 6, dtype=torch.float64)
    assert torch.equal(shunt(x), linear(x))  # bit for bit: a gate-free run is a linear run
    conv_shunt = ShuntingConv2dSynapse(2, 3, 3, padding=1, gate="none").double()
    conv_linear = Conv2dSynapse(2, 3, 3, padding=1).double()
    conv_linear.load_state_dict(conv_shunt.state_dict())
    images = torch.randn(2, 2, 5, 5, dtype=torch.float64)
    assert torch.equal(conv_shunt(images), conv_linear(images))


def test_gate_none_starts_from_the_linear_synapses_initial_weights():
    """Same seed, same draws: an ablation run with ``gate="none"`` is the linear network."""
    torch.manual_seed(3)
    shunt = ShuntingSynapse(7, 5, gate="none")
    torch.manual_seed(3)
    linear = LinearSynapse(7, 5)
    for name, param in linear.state_dict().items():
        assert torch.equal(shunt.state_dict()[name], param)


@pytest.mark.parametrize(
    "gate,gates",
    [
        ("both", {"gate_excitatory", "gate_inhibitory"}),
        ("shared", {"gate"}),
        ("excitatory", {"gate_excitatory"}),
        ("excitatory-only", {"gate_excitatory"}),
        ("inhibitory", {"gate_inhibitory"}),
        ("divisive", {"conductance"}),
        ("none", set()),
    ],
)
def test_each_variant_owns_exactly_its_gate_matrices(gate, gates):
    for syn, per_matrix in (
        (ShuntingSynapse(10, 4, gate=gate), 10 * 4),
        (ShuntingConv2dSynapse(3, 4, 3, gate=gate), 4 * 3 * 3 * 3),
    ):
        names = {name for name, _ in syn.named_parameters()}
        assert names == {"weight", "bias"} | gates
        count = sum(p.numel() for p in syn.parameters())
        assert count == (1 + len(gates)) * per_matrix + 4


def test_shared_gate_is_one_parameter_that_gates_both_pathways():
    syn = ShuntingSynapse(3, 2, gate="shared").double()
    x = torch.randn(8, 3, dtype=torch.float64)
    gate = torch.sigmoid(x @ syn.gate.detach().T)
    expected = (x @ syn.weight.detach().T) * gate + syn.bias.detach()
    torch.testing.assert_close(syn(x), expected)
    syn(x).sum().backward()
    assert syn.gate.grad is not None and syn.gate.grad.abs().sum() > 0


def test_default_gate_keeps_todays_parameters_and_formula():
    """``both`` is the default, so models saved before ``gate=`` existed still load."""
    torch.manual_seed(4)
    syn = ShuntingSynapse(4, 3, kappa=2.0).double()
    assert syn.gate_kind == "both"
    x = torch.randn(5, 4, dtype=torch.float64)
    w = syn.weight.detach()
    expected = (
        (x @ w.clamp(min=0).T) * torch.sigmoid(2.0 * x @ syn.gate_excitatory.detach().T)
        + (x @ w.clamp(max=0).T) * torch.sigmoid(2.0 * x @ syn.gate_inhibitory.detach().T)
        + syn.bias.detach()
    )
    torch.testing.assert_close(syn(x), expected)
    assert make_conv_synapse("shunting", 2, 3, 3).gate_kind == "both"


def test_divisive_gate_only_scales_excitation_down():
    """The divisor 1 + kappa relu(C x) is at least 1: an excitatory current never grows and
    never changes sign; inhibition passes unchanged."""
    torch.manual_seed(5)
    syn = ShuntingSynapse(6, 8, kappa=3.0, bias=False, gate="divisive").double()
    x = torch.rand(50, 6, dtype=torch.float64)
    w = syn.weight.detach()
    excite, inhibit = x @ w.clamp(min=0).T, x @ w.clamp(max=0).T
    shunted = syn(x).detach() - inhibit
    assert torch.all(shunted >= 0) and torch.all(shunted <= excite + 1e-12)
    assert torch.any(shunted < excite - 1e-3)  # some inputs do open the conductance


def test_factories_pass_the_gate_and_reject_unknown_ones():
    assert make_synapse("shunting", 3, 2, gate="divisive").gate_kind == "divisive"
    assert make_conv_synapse("shunting", 1, 2, 3, gate="shared").gate_kind == "shared"
    with pytest.raises(ValueError, match="unknown shunting gate"):
        ShuntingSynapse(3, 2, gate="sideways")
    with pytest.raises(ValueError, match="unknown shunting gate"):
        ShuntingConv2dSynapse(1, 2, 3, gate="sideways")
    assert "gate='inhibitory'" in repr(ShuntingSynapse(3, 2, gate="inhibitory"))


def _fires(syn, threshold):
    neuron = LIF(tau=2.0, threshold=threshold)
    return neuron(syn(DirectEncoder(1)(INPUTS.float())))[0, :, 0] > 0


@pytest.mark.parametrize("gate", ["both", "shared", "excitatory", "excitatory-only"])
def test_sigmoid_gated_excitation_computes_xor_with_designs_example(gate):
    """DESIGN.md § 3: w = (1, 1), gates (-1, -1), kappa = 1, threshold 0.25 gives currents
    0, 0.269, 0.269, 0.238. With no inhibitory weight the four variants coincide."""
    gates = {"gate_excitatory": [-1.0, -1.0], "gate_inhibitory": [-1.0, -1.0], "gate": [-1.0, -1.0]}
    syn = _hand_set(ShuntingSynapse(2, 1, kappa=1.0, bias=False, gate=gate), (1.0, 1.0), gates)
    current = syn(INPUTS.float()).squeeze(1)
    torch.testing.assert_close(
        current, torch.tensor([0.0, 0.2689, 0.2689, 0.2384]), atol=1e-4, rtol=0
    )
    assert torch.equal(_fires(syn, threshold=0.25), XOR)


@pytest.mark.parametrize("gate", ["inhibitory", "divisive", "none"])
def test_variants_without_a_sigmoid_on_excitation_cannot_separate_xor(gate):
    """For any weights: min(i(0,1), i(1,0)) <= max(i(0,0), i(1,1)), so no threshold fires on
    exactly the XOR-true patterns (a neuron's output is monotone in a constant current).

    Each input either excites (w > 0) or inhibits. If input j inhibits (or is silent), its
    pattern alone gives i(e_j) = b + w_j (gate) <= b = i(0,0). If both excite, there is no
    inhibitory pathway: ``inhibitory`` and ``none`` are linear, where i(0,1) + i(1,0) =
    i(0,0) + i(1,1); ``divisive`` has i(1,1) - b = (w1 + w2) / (1 + k relu(c1 + c2)) >=
    (w1 + w2) / (d1 + d2) >= min(w1 / d1, w2 / d2) with d_j = 1 + k relu(c_j) (mediant).
    """
    torch.manual_seed(6)
    for _ in range(500):
        syn = ShuntingSynapse(2, 1, kappa=float(torch.rand(()) * 5), gate=gate).double()
        with torch.no_grad():
            for param in syn.parameters():
                param.normal_(0, 3)
            i = syn(INPUTS).squeeze(1)
        assert float(torch.minimum(i[1], i[2])) <= float(torch.maximum(i[0], i[3])) + 1e-12
