"""The pieces the seeds' recipes are made of, each against a hand-computed example.

snnTorch report (seed 002): the arctan derivative as the report writes it, snnTorch's Leaky
neuron (reset one step late, undecayed), the spiking output read by spike count with its
membrane trace, and the per-step cross-entropy. Liu thesis (seed 004): the shunting neuron's
ablation ab1, ``(W+ x) sigma(kappa V+ x)``. Hu thesis (seed 000): the per-step prediction
loss and the similarity loss through ``E_theta`` at the thesis's weights.
"""

import math

import pytest
import torch

from snn_models import (
    LIF,
    ATanAsWritten,
    CountedSpikingOutput,
    DelayedResetLIF,
    get_surrogate,
    make_synapse,
)
from snn_models.local import (
    BlockOutput,
    ClassifierHead,
    HybridLocalLoss,
    cosine_similarity_matrix,
    frobenius_similarity_loss,
    per_step_cross_entropy,
)


def test_atan_as_written_has_the_reports_derivative():
    surrogate = get_surrogate("atan-as-written")
    assert isinstance(surrogate, ATanAsWritten)
    x = torch.tensor([0.0, 1 / math.pi, -2 / math.pi], requires_grad=True)
    surrogate(x).sum().backward()
    # (1/pi) / (1 + (pi x)^2): 1/pi at 0, half of it at x = 1/pi, a fifth at x = -2/pi
    expected = torch.tensor([1 / math.pi, 1 / (2 * math.pi), 1 / (5 * math.pi)])
    torch.testing.assert_close(x.grad, expected)
    # and its primitive is the antiderivative of that derivative
    y = torch.tensor([0.3], dtype=torch.float64, requires_grad=True)
    surrogate.primitive(y).sum().backward()
    torch.testing.assert_close(y.grad, surrogate.derivative(y.detach()))


def test_delayed_reset_lif_is_snntorchs_leaky_recurrence():
    # snnTorch: U[t] = beta U[t-1] + x[t] - threshold * H(U[t-1] - threshold), beta = 0.5:
    # U = 1.5 (spike), 0.5 * 1.5 + 0.2 - 1 = -0.05, 0.5 * -0.05 + 0.9 = 0.875 (no spike).
    current = torch.tensor([1.5, 0.2, 0.9]).view(3, 1, 1)
    readout = CountedSpikingOutput(DelayedResetLIF(alpha=0.5, threshold=1.0))
    count = readout(current)
    torch.testing.assert_close(readout.membrane.flatten(), torch.tensor([1.5, -0.05, 0.875]))
    assert readout.spikes.flatten().tolist() == [1.0, 0.0, 0.0] and count.item() == 1.0
    # LIF resets at once, so the next step decays the subtraction: 0.45, then 1.125 fires.
    plain = LIF(alpha=0.5, threshold=1.0)
    assert plain(current).flatten().tolist() == [1.0, 0.0, 1.0]
    # The fused multi-step path of the delayed-reset neuron agrees with the recorded spikes.
    assert DelayedResetLIF(alpha=0.5)(current).flatten().tolist() == [1.0, 0.0, 0.0]


def test_delayed_reset_lif_detaches_the_reset_by_default():
    assert DelayedResetLIF(tau=20.0).detach_reset
    with pytest.raises(ValueError):
        DelayedResetLIF(reset="zero")


def test_counted_output_traces_carry_the_gradient_and_restart_every_call():
    readout = CountedSpikingOutput(DelayedResetLIF(alpha=0.95))
    current = torch.full((4, 2, 3), 0.6, requires_grad=True)
    first = readout(current).clone()
    per_step_cross_entropy(readout.membrane, torch.tensor([0, 1])).backward()
    assert current.grad is not None and current.grad.abs().sum() > 0
    assert torch.equal(readout(current), first)  # no state carried from the previous call


def test_per_step_cross_entropy_sums_the_steps_of_batch_means():
    # step 0: logits (0, 0) -> ln 2; step 1: (ln 3, 0), target 0 -> -ln(3/4) = ln(4/3)
    logits = torch.tensor([[[0.0, 0.0]], [[math.log(3.0), 0.0]]])
    loss = per_step_cross_entropy(logits, torch.tensor([0]))
    torch.testing.assert_close(loss, torch.tensor(math.log(8 / 3)))
    # two samples: each step's CE is the batch mean, then the steps are summed
    logits2 = torch.tensor([[[0.0, 0.0], [0.0, 0.0]], [[math.log(3.0), 0.0], [math.log(3.0), 0.0]]])
    loss2 = per_step_cross_entropy(logits2, torch.tensor([0, 1]))
    expected = math.log(2) + (math.log(4 / 3) + math.log(4)) / 2
    torch.testing.assert_close(loss2, torch.tensor(expected))


def test_shunting_ab1_gates_excitation_and_drops_inhibition():
    # W = (2, -1): W+ = (2, 0), W- = (0, -1); V+ = (0, ln 3), kappa = 1; x = (1, 1):
    # ab1 = (W+ x) sigma(V+ x) = 2 * 3/4 = 1.5; ab2 (`excitatory`) adds W- x = -1 -> 0.5.
    x = torch.tensor([[1.0, 1.0]])
    currents = {}
    for gate in ("excitatory-only", "excitatory"):
        synapse = make_synapse("shunting", 2, 1, gate=gate, kappa=1.0)
        with torch.no_grad():
            synapse.weight.copy_(torch.tensor([[2.0, -1.0]]))
            synapse.gate_excitatory.copy_(torch.tensor([[0.0, math.log(3.0)]]))
            synapse.bias.zero_()
        currents[gate] = synapse(x).item()
    assert currents["excitatory-only"] == pytest.approx(1.5)
    assert currents["excitatory"] == pytest.approx(0.5)


def test_shunting_ab1_has_one_gate_matrix_and_no_inhibitory_pathway():
    synapse = make_synapse("shunting", 4, 3, gate="excitatory-only")
    names = {name for name, _ in synapse.named_parameters()}
    assert names == {"weight", "bias", "gate_excitatory"}
    with torch.no_grad():
        synapse.weight.copy_(-synapse.weight.abs())  # only inhibitory weights left
        synapse.bias.zero_()
    assert torch.equal(synapse(torch.rand(5, 4)), torch.zeros(5, 3))


# Hu thesis (seed 000): per-step prediction, the similarity loss through E_theta, its weights


def test_frobenius_similarity_loss_on_a_two_sample_case():
    # rows (1, 0) and (1, 1): cosine 1/sqrt(2); different labels -> S(Y) = I, so the two
    # off-diagonal entries each miss by 1/sqrt(2): ||.||_F^2 = 2 * 1/2 = 1
    embedded = torch.tensor([[1.0, 0.0], [1.0, 1.0]])
    assert frobenius_similarity_loss(embedded, torch.tensor([0, 1]), 2).item() == pytest.approx(1)
    # same label -> S(Y) is all ones: 2 * (1 - 1/sqrt(2))^2
    same = frobenius_similarity_loss(embedded, torch.tensor([1, 1]), 2).item()
    assert same == pytest.approx(2 * (1 - 1 / math.sqrt(2)) ** 2)
    # plain cosine, no centring: the correlation form would see (1, 0) and (1, 1) otherwise
    torch.testing.assert_close(
        cosine_similarity_matrix(embedded), torch.tensor([[1.0, 0.5**0.5], [0.5**0.5, 1.0]])
    )


def test_hu_thesis_local_loss_weights_per_step_prediction_and_the_embedding_similarity():
    head = torch.tensor([[[0.0, 0.0], [0.0, 0.0]], [[math.log(3.0), 0.0], [math.log(3.0), 0.0]]])
    out = BlockOutput(
        index=0,
        input=torch.zeros(2, 2, 3),
        output=torch.rand(2, 2, 3),
        head=head,  # (T, B, classes): a per-step head
        reconstruction=None,
        network_input=torch.zeros(2, 2, 3),
        embedding=torch.tensor([[1.0, 0.0], [1.0, 1.0]]),
    )
    target = torch.tensor([0, 1])
    loss = HybridLocalLoss(2, alpha=0.99, beta=0.01, similarity="cosine-frobenius")
    pred = math.log(2) + (math.log(4 / 3) + math.log(4)) / 2  # as in the per-step test above
    assert loss(out, target).item() == pytest.approx(0.99 * pred + 0.01 * 1.0)
    with pytest.raises(ValueError, match="embedding"):
        loss(BlockOutput(**{**out.__dict__, "embedding": None}), target)


def test_per_step_head_gives_one_logit_vector_per_step_and_the_rate_head_their_mean():
    torch.manual_seed(0)
    per_step = ClassifierHead(6, 3, pool_to=(1, 1), per_step=True)
    rate = ClassifierHead(6, 3, pool_to=(1, 1))
    rate.load_state_dict(per_step.state_dict())
    spikes = (torch.rand(4, 2, 6, 3, 3) > 0.5).float()
    logits = per_step(spikes)
    assert logits.shape == (4, 2, 3)
    # a linear head of pooled activity: the mean of per-step logits is the rate head's logits
    torch.testing.assert_close(logits.mean(0), rate(spikes))


@pytest.mark.parametrize("spike_input", [False, True])
def test_bilinear_with_self_terms_keeps_the_diagonal_pairs(spike_input):
    # W = (1, -1), V = (1, 2), lambda = 0.5, x = (1, 1): W x = 0, (V x)^2 = 9, (V^2)(x^2) = 5.
    # The bilinear neuron: 0.5 * (9 - 5) = 2; without the diagonal correction: 0.5 * 9 = 4.5.
    synapse = make_synapse("bilinear", 2, 1, rank=1, bias=False, spike_input=spike_input)
    with torch.no_grad():
        synapse.weight.copy_(torch.tensor([[1.0, -1.0]]))
        synapse.interaction.copy_(torch.tensor([[1.0, 2.0]]))
        synapse.interaction_gain.fill_(0.5)
    x = torch.tensor([[1.0, 1.0]])
    assert synapse(x).item() == pytest.approx(2.0)
    synapse.keep_self_terms = True
    assert synapse(x).item() == pytest.approx(4.5)
