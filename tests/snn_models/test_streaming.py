"""A stream fed in chunks gives what it gives fed whole, until an explicit reset."""

import pytest
import torch
from torch import nn

from snn_models import (
    LIF,
    PLIF,
    DirectEncoder,
    LeakyIntegrator,
    MembraneReadout,
    SpikeCount,
    SpikeRate,
    SpikingDense,
    reset_states,
    set_step_mode,
    streaming,
)


def _net(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(
        SpikingDense("bilinear", 6, 8, neuron=LIF(tau=3.0, threshold=0.3)),
        SpikingDense("shunting", 8, 4, neuron=PLIF(tau=2.0, threshold=0.2, reset="zero")),
    )


def _sequence(steps=12, batch=3, seed=1):
    return torch.rand(steps, batch, 6, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("backend", ["auto", "torch"])
def test_two_chunks_give_the_spikes_and_gradients_of_the_whole_sequence(backend):
    x = _sequence()
    whole_net, chunked_net = _net(), _net()
    for net in (whole_net, chunked_net):
        for module in net.modules():
            if isinstance(module, LIF):
                module.backend = backend
    whole = whole_net(x)
    with streaming(chunked_net, "multi"):
        chunked = torch.cat([chunked_net(x[:5]), chunked_net(x[5:])])
    assert torch.equal(whole, chunked)
    assert whole[5:].sum() > 0, "the second chunk must fire for the test to mean anything"
    whole.sum().backward()
    chunked.sum().backward()
    for a, b in zip(whole_net.parameters(), chunked_net.parameters(), strict=True):
        torch.testing.assert_close(a.grad, b.grad)


def test_without_state_the_second_chunk_would_start_from_rest():
    """The property above is not vacuous: restarting from rest changes the second chunk."""
    x = _sequence()
    net = _net()
    whole = net(x)
    assert not torch.equal(net(x[5:]), whole[5:])


def test_an_explicit_reset_starts_a_new_stream():
    x = _sequence()
    net = _net()
    fresh = net(x[5:])
    with streaming(net, "multi"):
        net(x[:5])
        continued = net(x[5:])
        reset_states(net)
        restarted = net(x[5:])
    assert torch.equal(restarted, fresh)
    assert not torch.equal(continued, fresh)


def test_a_direct_input_streams_in_chunks_through_the_constant_current_path():
    net = _net()
    images = torch.rand(3, 6) * 2
    whole = net(DirectEncoder(10)(images))
    with streaming(net, "multi"):
        chunks = [net(DirectEncoder(steps)(images)) for steps in (4, 6)]
    assert torch.equal(torch.cat(chunks), whole)


@pytest.mark.parametrize(
    "readout",
    [
        SpikeCount(),
        SpikeRate(),
        MembraneReadout(tau=2.0, reduce="last"),
        MembraneReadout(tau=2.0, reduce="mean"),
        MembraneReadout(tau=3.0, reduce="max", decay_input=True),
    ],
    ids=lambda r: f"{type(r).__name__}-{getattr(r, 'reduce', '')}",
)
def test_readouts_of_a_chunked_stream_answer_for_everything_seen(readout):
    torch.manual_seed(0)
    x = (
        (torch.rand(11, 2, 5) > 0.6).float()
        if isinstance(readout, (SpikeCount, SpikeRate))
        else (torch.randn(11, 2, 5))
    )
    whole = readout(x)
    with streaming(readout, "multi"):
        readout(x[:3])
        readout(x[3:7])
        last = readout(x[7:])
    torch.testing.assert_close(last, whole)


def test_leaky_integrator_continues_its_trace_across_chunks():
    x = torch.randn(9, 2, 4)
    integrator = LeakyIntegrator(alpha=0.7)
    whole = integrator(x)
    with streaming(integrator, "multi"):
        chunked = torch.cat([integrator(x[:4]), integrator(x[4:])])
    torch.testing.assert_close(chunked, whole)


def test_a_chunk_with_another_batch_shape_raises():
    lif = LIF()
    with streaming(lif, "multi"):
        lif(torch.rand(3, 4, 5))
        with pytest.raises(RuntimeError, match="reset_states"):
            lif(torch.rand(3, 2, 5))


def test_leaving_the_block_restores_stateless_sequences():
    net = _net()
    x = _sequence()
    with streaming(net, "multi"):
        net(x)
        assert net[0].neuron.v is not None
    assert net[0].neuron.v is None and not net[0].neuron.keep_state
    net(x)
    assert net[0].neuron.v is None, "outside a stream, a sequence keeps nothing"


def test_single_steps_always_keep_state():
    with pytest.raises(ValueError, match="keeps state"):
        set_step_mode(LIF(), "single", keep_state=False)
    lif = set_step_mode(LIF(), "multi", keep_state=True)
    lif(torch.full((2, 1, 1), 0.8))
    assert lif.v is not None
