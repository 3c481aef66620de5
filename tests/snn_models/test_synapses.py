"""Synaptic integrations, dense and conv: formulas, shapes, time folding, factories."""

import pytest
import torch
import torch.nn.functional as F

from snn_models import (
    SYNAPSE_KINDS,
    BilinearConv2dSynapse,
    BilinearSynapse,
    Conv2dSynapse,
    LinearSynapse,
    ShuntingConv2dSynapse,
    ShuntingSynapse,
    make_conv_synapse,
    make_synapse,
)


def _double(module):
    torch.manual_seed(0)
    return module.double()


@pytest.mark.parametrize("rank", [1, 3])
def test_bilinear_equals_explicit_pairwise_interactions(rank):
    syn = _double(BilinearSynapse(5, 4, rank=rank, lambda_init=-0.7))
    x = torch.randn(6, 5, dtype=torch.float64)
    v = syn.interaction.detach().view(4, rank, 5)
    expected = []
    for n in range(4):
        m = v[n].T @ v[n]
        m = m - torch.diag(torch.diag(m))  # no self-interaction x_i * x_i
        quad = torch.einsum("bi,ij,bj->b", x, m, x)
        expected.append(x @ syn.weight[n] + syn.interaction_gain[n] * quad + syn.bias[n])
    torch.testing.assert_close(syn(x), torch.stack(expected, 1).detach())


def test_bilinear_with_spike_input_folds_the_diagonal_exactly():
    syn = _double(BilinearSynapse(7, 3, rank=2))
    spikes = (torch.rand(10, 7) > 0.5).double()
    folded = _double(BilinearSynapse(7, 3, rank=2, spike_input=True))
    folded.load_state_dict(syn.state_dict())
    torch.testing.assert_close(folded(spikes), syn(spikes))


def test_bilinear_parameters_grow_linearly_with_rank():
    counts = [sum(p.numel() for p in BilinearSynapse(100, 10, rank=k).parameters()) for k in (1, 2)]
    assert counts[1] - counts[0] == 100 * 10  # one more vector per neuron, never 100 x 100


def test_shunting_equals_gated_excitation_and_inhibition():
    syn = _double(ShuntingSynapse(4, 3, kappa=2.5))
    x = torch.randn(8, 4, dtype=torch.float64)
    w = syn.weight.detach()
    w_pos, w_neg = w.clamp(min=0), w.clamp(max=0)
    gate_e = torch.sigmoid(2.5 * x @ syn.gate_excitatory.detach().T)
    gate_i = torch.sigmoid(2.5 * x @ syn.gate_inhibitory.detach().T)
    expected = (x @ w_pos.T) * gate_e + (x @ w_neg.T) * gate_i + syn.bias.detach()
    torch.testing.assert_close(syn(x), expected)


def test_shunting_inhibition_can_only_subtract_and_excitation_only_add():
    syn = ShuntingSynapse(3, 2, bias=False)
    with torch.no_grad():
        syn.weight.copy_(torch.tensor([[1.0, 1.0, 1.0], [-1.0, -1.0, -1.0]]))
    x = torch.rand(50, 3)
    out = syn(x)
    assert torch.all(out[:, 0] >= 0) and torch.all(out[:, 1] <= 0)


def _dense_twin(conv, dense_cls, **options):
    """A dense synapse with the conv's parameters, applied to unfolded patches."""
    fan_in = conv.weight[0].numel()
    dense = dense_cls(fan_in, conv.out_channels, **options).double()
    state = {
        k: (v.reshape(v.shape[0], -1) if v.dim() == 4 else v) for k, v in conv.state_dict().items()
    }
    dense.load_state_dict(state)
    return dense


@pytest.mark.parametrize(
    "conv_cls,dense_cls,options",
    [
        (Conv2dSynapse, LinearSynapse, {}),
        (BilinearConv2dSynapse, BilinearSynapse, {"rank": 2, "lambda_init": 0.4}),
        (ShuntingConv2dSynapse, ShuntingSynapse, {"kappa": 1.5}),
    ],
)
def test_conv_synapse_is_the_dense_synapse_on_every_patch(conv_cls, dense_cls, options):
    conv = _double(conv_cls(2, 3, 3, stride=2, padding=1, **options))
    dense = _dense_twin(conv, dense_cls, **options)
    x = torch.randn(4, 2, 7, 7, dtype=torch.float64)
    out = conv(x)
    assert out.shape == (4, 3, 4, 4)
    patches = F.unfold(x, 3, padding=1, stride=2).transpose(1, 2)  # (B, L, C*k*k)
    expected = dense(patches).transpose(1, 2).reshape(4, 3, 4, 4)
    torch.testing.assert_close(out, expected)


def test_conv_bilinear_spike_input_matches_general_path():
    conv = _double(BilinearConv2dSynapse(2, 4, 3, padding=1, rank=2))
    folded = _double(BilinearConv2dSynapse(2, 4, 3, padding=1, rank=2, spike_input=True))
    folded.load_state_dict(conv.state_dict())
    spikes = (torch.rand(3, 2, 5, 5) > 0.6).double()
    torch.testing.assert_close(folded(spikes), conv(spikes))


@pytest.mark.parametrize("kind", SYNAPSE_KINDS)
def test_time_major_input_is_folded_into_one_batch(kind):
    dense = make_synapse(kind, 6, 4)
    conv = make_conv_synapse(kind, 2, 5, 3, padding=1)
    xd, xc = torch.rand(5, 3, 6), torch.rand(5, 3, 2, 8, 8)
    assert dense(xd).shape == (5, 3, 4)
    assert conv(xc).shape == (5, 3, 5, 8, 8)
    for t in range(5):
        torch.testing.assert_close(dense(xd)[t], dense(xd[t]))
        torch.testing.assert_close(conv(xc)[t], conv(xc[t]))


@pytest.mark.parametrize("kind", SYNAPSE_KINDS)
def test_input_repeated_over_time_is_integrated_once(kind, monkeypatch):
    for syn, x in (
        (make_synapse(kind, 6, 4), torch.rand(3, 6)),
        (make_conv_synapse(kind, 2, 3, 3), torch.rand(3, 2, 6, 6)),
    ):
        calls = []
        original = syn.integrate
        monkeypatch.setattr(
            syn, "integrate", lambda z, f=original, log=calls: log.append(z.shape) or f(z)
        )
        repeated = syn(x.unsqueeze(0).expand(20, *x.shape))
        assert calls == [x.shape]
        assert repeated.stride(0) == 0
        torch.testing.assert_close(repeated, syn(x.unsqueeze(0).repeat(20, *([1] * x.dim()))))


def test_factories_pick_by_name_and_reject_unknown_kinds():
    assert type(make_synapse("linear", 2, 3)) is LinearSynapse
    bil = make_synapse("bilinear", 2, 3, rank=2, lambda_init=-1.0)
    assert isinstance(bil, BilinearSynapse) and bil.rank == 2
    assert torch.all(bil.interaction_gain == -1.0)
    assert make_synapse("shunting", 2, 3, kappa=3.0).kappa == 3.0
    conv = make_conv_synapse("bilinear", 1, 8, 5, stride=2, padding=2, rank=3)
    assert isinstance(conv, BilinearConv2dSynapse) and conv.stride == (2, 2)
    assert isinstance(make_conv_synapse("shunting", 1, 2, 3), ShuntingConv2dSynapse)
    with pytest.raises(ValueError, match="unknown synapse"):
        make_synapse("quadratic", 2, 3)
    with pytest.raises(ValueError, match="rank"):
        make_synapse("bilinear", 2, 3, rank=0)


@pytest.mark.parametrize("kind", SYNAPSE_KINDS)
def test_every_parameter_receives_a_gradient(kind):
    for syn, x in (
        (make_synapse(kind, 6, 4), torch.rand(5, 3, 6)),
        (make_conv_synapse(kind, 2, 3, 3), torch.rand(5, 3, 2, 6, 6)),
    ):
        syn(x).square().sum().backward()
        for name, p in syn.named_parameters():
            assert p.grad is not None and p.grad.abs().sum() > 0, name


@pytest.mark.parametrize("kind", SYNAPSE_KINDS)
def test_every_kind_accepts_the_spike_input_declaration(kind):
    x = (torch.rand(4, 6) > 0.5).float()
    plain = make_synapse(kind, 6, 3)
    declared = make_synapse(kind, 6, 3, spike_input=True)
    declared.load_state_dict(plain.state_dict())
    torch.testing.assert_close(declared(x), plain(x))
    conv = make_conv_synapse(kind, 2, 3, 3, spike_input=True)
    assert conv.spike_input


_CACHED_BILINEAR = {
    "dense": (lambda spikes: BilinearSynapse(12, 5, rank=2, spike_input=spikes), (3, 12)),
    "conv": (
        lambda spikes: BilinearConv2dSynapse(2, 3, 3, padding=1, rank=2, spike_input=spikes),
        (2, 2, 6, 6),
    ),
}


@pytest.mark.parametrize("kind", sorted(_CACHED_BILINEAR))
@pytest.mark.parametrize("spike_input", [False, True])
def test_bilinear_inference_cache_follows_every_weight_change(kind, spike_input):
    build, shape = _CACHED_BILINEAR[kind]
    torch.manual_seed(0)
    synapse = build(spike_input)
    x = (torch.rand(*shape) < 0.5).float()
    with torch.no_grad():
        first = synapse(x)
        torch.testing.assert_close(synapse(x), first)  # served from the cache
    torch.testing.assert_close(synapse(x).detach(), first)  # autograd path agrees
    optimizer = torch.optim.SGD(synapse.parameters(), lr=0.5)
    synapse(x).sum().backward()
    optimizer.step()
    with torch.no_grad():
        after_step = synapse(x)
    torch.testing.assert_close(after_step, synapse(x).detach())
    assert not torch.allclose(after_step, first)
    fresh = build(spike_input)
    synapse.load_state_dict(fresh.state_dict())
    with torch.no_grad():
        torch.testing.assert_close(synapse(x), fresh(x))
    assert set(synapse.state_dict()) == {"weight", "bias", "interaction", "interaction_gain"}
