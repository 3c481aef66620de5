"""A single bilinear or shunting neuron computes XOR; a single linear neuron cannot."""

import pytest
import torch
import torch.nn.functional as F

from snn_models import LIF, BilinearSynapse, DirectEncoder, ShuntingSynapse, make_synapse

INPUTS = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR = torch.tensor([0.0, 1.0, 1.0, 0.0])
NUM_STEPS = 4


def _fires_at_first_step(synapse, threshold):
    """Whether one LIF neuron at rest fires on the pattern's current: ``i >= threshold``."""
    neuron = LIF(tau=2.0, threshold=threshold)
    return neuron(synapse(DirectEncoder(1)(INPUTS)))[0, :, 0] > 0


def test_hand_set_bilinear_neuron_computes_xor():
    syn = BilinearSynapse(2, 1, bias=False, lambda_init=-1.0)
    with torch.no_grad():
        syn.weight.copy_(torch.tensor([[1.0, 1.0]]))
        syn.interaction.copy_(torch.tensor([[1.0, 1.0]]))
    torch.testing.assert_close(syn(INPUTS).squeeze(1), torch.tensor([0.0, 1.0, 1.0, 0.0]))
    assert torch.equal(_fires_at_first_step(syn, threshold=0.5), XOR.bool())


def test_hand_set_shunting_neuron_computes_xor():
    syn = ShuntingSynapse(2, 1, kappa=1.0, bias=False)
    with torch.no_grad():
        syn.weight.copy_(torch.tensor([[1.0, 1.0]]))
        syn.gate_excitatory.copy_(torch.tensor([[-1.0, -1.0]]))
        syn.gate_inhibitory.copy_(torch.tensor([[-1.0, -1.0]]))
    current = syn(INPUTS).squeeze(1)
    torch.testing.assert_close(
        current, torch.tensor([0.0, 0.2689, 0.2689, 0.2384]), atol=1e-4, rtol=0
    )
    assert torch.equal(_fires_at_first_step(syn, threshold=0.25), XOR.bool())


def _train(kind, seed, iterations=400):
    """Surrogate-gradient training of one spiking neuron; returns the first step at 100%."""
    torch.manual_seed(seed)
    syn = make_synapse(kind, 2, 1, bias=False)
    neuron = LIF(tau=2.0, threshold=0.5, surrogate="atan")
    encoder = DirectEncoder(NUM_STEPS)
    optimizer = torch.optim.Adam(syn.parameters(), lr=0.05)
    for step in range(iterations):
        rate = neuron(syn(encoder(INPUTS))).mean(0).squeeze(1)
        if torch.equal(rate > 0.5, XOR.bool()):
            return step
        loss = F.mse_loss(rate, XOR)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return None


@pytest.mark.parametrize("kind", ["bilinear", "shunting"])
def test_single_nonlinear_neuron_learns_xor_from_every_seed(kind):
    solved_at = [_train(kind, seed) for seed in range(5)]
    assert all(step is not None for step in solved_at), solved_at


def test_single_linear_neuron_never_learns_xor():
    assert all(_train("linear", seed) is None for seed in range(5))


def test_linear_currents_cannot_separate_xor():
    """For any weights: i(0,1) + i(1,0) = i(0,0) + i(1,1).

    A neuron's output is a non-decreasing function of its constant current (see
    test_neurons.test_higher_constant_current_never_fires_less), so firing on both XOR-true
    patterns and on neither XOR-false one would need both larger currents to exceed both
    smaller ones, i.e. a strictly larger sum. The identity forbids it for every weight choice.
    """
    torch.manual_seed(0)
    for _ in range(100):
        syn = make_synapse("linear", 2, 1).double()
        with torch.no_grad():
            for p in syn.parameters():
                p.normal_(0, 3)
        i = syn(INPUTS.double()).squeeze(1)
        torch.testing.assert_close(i[1] + i[2], i[0] + i[3])
    # the bilinear and shunting neurons break exactly this identity
    bil = make_synapse("bilinear", 2, 1, lambda_init=-1.0).double()
    shunt = make_synapse("shunting", 2, 1).double()
    for syn in (bil, shunt):
        i = syn(INPUTS.double()).squeeze(1)
        assert abs(float(i[1] + i[2] - i[0] - i[3])) > 1e-3
