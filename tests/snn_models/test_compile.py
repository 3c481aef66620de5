"""Models built from the library run under torch.compile (dynamo), with the scan left opaque."""

import torch
from torch import nn

import snn_models as sm


def test_torch_compile_traces_a_spiking_model_and_matches_eager():
    torch.manual_seed(0)
    model = nn.Sequential(
        sm.DirectEncoder(4),
        sm.SpikingDense("bilinear", 8, 16),
        sm.SpikingDense("shunting", 16, 16, neuron=sm.PLIF()),
        sm.LinearSynapse(16, 3),
        sm.MembraneReadout(reduce="max"),
    )
    x = torch.rand(5, 8) * 3
    expected = model(x)
    compiled = torch.compile(model, backend="eager", fullgraph=False)
    out = compiled(x)
    torch.testing.assert_close(out, expected)
    out.sum().backward()
    assert all(p.grad is not None for p in model.parameters())
