"""Encoders' statistics and readouts' reductions."""

import pytest
import torch

from snn_models import (
    ENCODER_KINDS,
    DirectEncoder,
    LatencyEncoder,
    MembraneReadout,
    RateEncoder,
    SpikeCount,
    SpikeRate,
    make_encoder,
    streaming,
)


def test_direct_encoder_repeats_the_input_without_copying():
    x = torch.rand(3, 4, requires_grad=True)
    seq = DirectEncoder(7)(x)
    assert seq.shape == (7, 3, 4) and seq.stride(0) == 0
    assert all(torch.equal(step, x) for step in seq)
    seq.sum().backward()
    torch.testing.assert_close(x.grad, torch.full_like(x, 7.0))


def test_rate_encoder_fires_with_the_input_probability():
    p = torch.tensor([0.0, 0.1, 0.5, 0.9, 1.0, 1.7, -0.3])
    spikes = RateEncoder(4000)(p, generator=torch.Generator().manual_seed(0))
    assert set(spikes.unique().tolist()) <= {0.0, 1.0}
    rate = spikes.mean(0)
    expected = p.clamp(0, 1)
    # binomial standard error at n=4000 is at most 0.008; allow 4 sigma
    assert torch.all((rate - expected).abs() < 0.032)
    assert rate[0] == 0 and rate[4] == 1 and rate[6] == 0
    # independent steps: the lag-1 autocorrelation of a p=0.5 train is near zero
    train = spikes[:, 2] - spikes[:, 2].mean()
    assert abs(float((train[1:] * train[:-1]).mean() / train.var())) < 0.06


def test_rate_encoder_gain_scales_probability_and_generator_makes_it_reproducible():
    x = torch.full((1000,), 0.2)
    enc = RateEncoder(50, gain=2.0)
    a = enc(x, generator=torch.Generator().manual_seed(1))
    b = enc(x, generator=torch.Generator().manual_seed(1))
    assert torch.equal(a, b)
    assert abs(a.mean().item() - 0.4) < 0.01


def test_latency_encoder_fires_once_and_earlier_for_stronger_inputs():
    x = torch.tensor([1.0, 0.75, 0.5, 0.25, 0.01, 0.0])
    spikes = LatencyEncoder(5)(x)
    assert spikes.shape == (5, 6)
    assert spikes.sum(0).tolist() == [1, 1, 1, 1, 1, 0]
    first = spikes.argmax(0)[:5].tolist()
    assert first == [0, 1, 2, 3, 4]
    assert first == sorted(first)


def test_encoder_factory():
    assert set(ENCODER_KINDS) == {"direct", "rate", "latency"}
    assert isinstance(make_encoder("rate", 8, gain=0.5), RateEncoder)
    assert make_encoder("direct", 3).num_steps == 3
    with pytest.raises(ValueError, match="unknown encoder"):
        make_encoder("poisson", 3)
    with pytest.raises(ValueError):
        DirectEncoder(0)


def test_rate_and_count_readouts():
    spikes = (torch.rand(10, 4, 3) > 0.5).float()
    torch.testing.assert_close(SpikeCount()(spikes), spikes.sum(0))
    torch.testing.assert_close(SpikeRate()(spikes), spikes.mean(0))
    for readout, expected in ((SpikeCount(), spikes.sum(0)), (SpikeRate(), spikes.mean(0))):
        with streaming(readout):
            for s in spikes:
                value = readout(s)
        torch.testing.assert_close(value, expected)


@pytest.mark.parametrize("reduce", ["last", "mean", "max"])
def test_membrane_readout_reduces_the_integrator_trace(reduce):
    current = torch.randn(6, 2, 3)
    readout = MembraneReadout(tau=4.0, reduce=reduce)
    v, trace = torch.zeros(2, 3), []
    for x_t in current:
        v = 0.75 * v + x_t
        trace.append(v)
    trace = torch.stack(trace)
    expected = {"last": trace[-1], "mean": trace.mean(0), "max": trace.amax(0)}[reduce]
    torch.testing.assert_close(readout(current), expected)
    with streaming(readout):
        for x_t in current:
            now = readout(x_t)
    torch.testing.assert_close(now, trace[-1])
    with pytest.raises(ValueError):
        MembraneReadout(reduce="sum")


def test_readout_factory():
    from snn_models import READOUT_KINDS, make_readout

    assert set(READOUT_KINDS) == {"rate", "count", "membrane"}
    assert isinstance(make_readout("rate"), SpikeRate)
    membrane = make_readout("membrane", tau=3.0, reduce="last")
    assert isinstance(membrane, MembraneReadout) and membrane.reduce == "last"
    with pytest.raises(ValueError, match="unknown readout"):
        make_readout("latency")
