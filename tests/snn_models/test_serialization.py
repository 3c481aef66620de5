"""Every module survives pickle and torch.save / state_dict round-trips, state excluded."""

import io
import pickle

import pytest
import torch
from torch import nn

import snn_models as sm


def _modules():
    loss = sm.HybridLocalLoss(3)
    return {
        "LIF": (sm.LIF(tau=3.0, reset="zero", surrogate="triangle"), torch.rand(4, 2, 5) * 2),
        "PLIF": (sm.PLIF(tau=2.5, surrogate=sm.Sigmoid(5.0)), torch.rand(4, 2, 5) * 2),
        "DelayedResetLIF": (sm.DelayedResetLIF(tau=20.0), torch.rand(4, 2, 5) * 2),
        "CountedSpikingOutput": (
            sm.CountedSpikingOutput(sm.DelayedResetLIF(alpha=0.9, surrogate="atan-as-written")),
            torch.rand(4, 2, 5) * 2,
        ),
        "LeakyIntegrator": (sm.LeakyIntegrator(tau=2.0, learn_tau=True), torch.rand(4, 2, 5)),
        "LinearSynapse": (sm.LinearSynapse(5, 3), torch.rand(4, 2, 5)),
        "BilinearSynapse": (sm.BilinearSynapse(5, 3, rank=2), torch.rand(4, 2, 5)),
        "ShuntingSynapse": (sm.ShuntingSynapse(5, 3, kappa=2.0), torch.rand(4, 2, 5)),
        "Conv2dSynapse": (sm.Conv2dSynapse(2, 3, 3), torch.rand(4, 2, 2, 6, 6)),
        "BilinearConv2dSynapse": (
            sm.BilinearConv2dSynapse(2, 3, 3, rank=2),
            torch.rand(4, 2, 2, 6, 6),
        ),
        "ShuntingConv2dSynapse": (sm.ShuntingConv2dSynapse(2, 3, 3), torch.rand(4, 2, 2, 6, 6)),
        "SpikingDense": (
            sm.SpikingDense("bilinear", 5, 3, neuron=sm.PLIF()),
            torch.rand(4, 2, 5) * 3,
        ),
        "SpikingConv2d": (
            sm.SpikingConv2d("shunting", 2, 3, 3, padding=1),
            torch.rand(4, 2, 2, 6, 6) * 3,
        ),
        "TimeDistributed": (sm.TimeDistributed(nn.AvgPool2d(2)), torch.rand(4, 2, 2, 6, 6)),
        "DirectEncoder": (sm.DirectEncoder(4), torch.rand(2, 5)),
        "LatencyEncoder": (sm.LatencyEncoder(4), torch.rand(2, 5)),
        "SpikeRate": (sm.SpikeRate(), torch.rand(4, 2, 5)),
        "SpikeCount": (sm.SpikeCount(), torch.rand(4, 2, 5)),
        "MembraneReadout": (
            sm.MembraneReadout(tau=2.0, reduce="max", learn_tau=True),
            torch.rand(4, 2, 5),
        ),
        "ClassifierHead": (sm.ClassifierHead(5, 3), torch.rand(4, 2, 5)),
        "DenseDecoder": (sm.DenseDecoder(5, 7), torch.rand(4, 2, 5)),
        "ConvDecoder": (sm.ConvDecoder(2, 1, scale=2), torch.rand(4, 2, 2, 3, 3)),
        "LocalNetwork": (
            sm.LocalNetwork(
                [
                    sm.LocalBlock(sm.SpikingDense("linear", 5, 4), sm.ClassifierHead(4, 3), loss),
                    sm.LocalBlock(
                        sm.SpikingDense("shunting", 4, 4),
                        loss=sm.HSICBottleneckLoss(3, kernel="laplace"),
                    ),
                ],
                encoder=sm.DirectEncoder(3),
            ),
            torch.rand(2, 5) * 3,
        ),
    }


MODULES = _modules()


def test_every_public_module_class_is_covered():
    public = {
        name
        for name in sm.__all__
        if isinstance(getattr(sm, name), type)
        and issubclass(getattr(sm, name), nn.Module)
        and name
        not in {
            "Synapse",
            "StatefulModule",
            "TimeAwareModule",
            "SpikingLayer",
            "SpikingNeuron",
            "LocalBlock",
        }
    }
    covered = set(MODULES) | {"RateEncoder"}  # random output: checked separately below
    assert public <= covered, public - covered


@pytest.mark.parametrize("name", list(MODULES))
def test_pickle_round_trip_gives_the_same_outputs(name):
    module, x = MODULES[name]
    clone = pickle.loads(pickle.dumps(module))
    assert torch.equal(module(x), clone(x))


@pytest.mark.parametrize("name", list(MODULES))
def test_torch_save_of_the_whole_module_and_of_its_state_dict(name):
    module, x = MODULES[name]
    buffer = io.BytesIO()
    torch.save(module, buffer)
    buffer.seek(0)
    whole = torch.load(buffer, weights_only=False)
    assert torch.equal(module(x), whole(x))

    buffer = io.BytesIO()
    torch.save(module.state_dict(), buffer)
    buffer.seek(0)
    fresh = pickle.loads(pickle.dumps(module))
    with torch.no_grad():
        for p in fresh.parameters():
            p.add_(1.0)
    fresh.load_state_dict(torch.load(buffer, weights_only=True))
    assert torch.equal(module(x), fresh(x))


def test_rate_encoder_round_trip_keeps_its_configuration():
    enc = sm.RateEncoder(7, gain=0.5)
    clone = pickle.loads(pickle.dumps(enc))
    assert (clone.num_steps, clone.gain) == (7, 0.5)
    x = torch.rand(3, 4)
    assert torch.equal(
        enc(x, torch.Generator().manual_seed(0)), clone(x, torch.Generator().manual_seed(0))
    )


def test_streaming_state_with_a_graph_is_not_saved():
    net = sm.SpikingDense("bilinear", 5, 3)
    with sm.streaming(net):
        net(torch.rand(2, 5, requires_grad=True) * 3)
        assert net.neuron.v is not None and net.neuron.v.requires_grad
        buffer = io.BytesIO()
        torch.save(net, buffer)
    buffer.seek(0)
    restored = torch.load(buffer, weights_only=False)
    assert restored.neuron.v is None
