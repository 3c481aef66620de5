"""Modules follow their tensors' device: a CUDA run matches the CPU run (skipped without GPU)."""

import pytest
import torch
from torch import nn

import snn_models as sm

CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")


def _network():
    torch.manual_seed(0)
    return nn.Sequential(
        sm.SpikingConv2d("bilinear", 1, 4, 3, padding=1, neuron=sm.PLIF(threshold=0.5)),
        sm.TimeDistributed(nn.Flatten()),
        sm.SpikingDense("shunting", 4 * 6 * 6, 8, neuron=sm.LIF(reset="zero", threshold=0.3)),
        sm.LinearSynapse(8, 3),
        sm.MembraneReadout(tau=2.0, reduce="max", learn_tau=True),
    ).double()


@CUDA
def test_cuda_forward_and_gradients_match_cpu():
    x = torch.rand(5, 2, 1, 6, 6, dtype=torch.float64) * 3
    cpu, gpu = _network(), _network().cuda()
    out_cpu, out_gpu = cpu(x), gpu(x.cuda())
    torch.testing.assert_close(out_gpu.cpu(), out_cpu)
    out_cpu.sum().backward()
    out_gpu.sum().backward()
    for p_cpu, p_gpu in zip(cpu.parameters(), gpu.parameters(), strict=True):
        torch.testing.assert_close(p_gpu.grad.cpu(), p_cpu.grad)


@CUDA
def test_cuda_encoders_kernels_and_local_training():
    device = torch.device("cuda")
    x = torch.rand(16, 4, device=device)
    assert sm.RateEncoder(5)(x).device.type == "cuda"
    assert sm.LatencyEncoder(5)(x).device.type == "cuda"
    for kind in sm.KERNEL_KINDS:
        assert sm.get_kernel(kind)(x).device.type == "cuda"
    loss = sm.HybridLocalLoss(2, gamma=1.0)
    net = sm.LocalNetwork(
        [sm.LocalBlock(sm.SpikingDense("bilinear", 4, 6), sm.ClassifierHead(6, 2), loss)],
        encoder=sm.DirectEncoder(4),
    ).to(device)
    losses = sm.LocalTrainer(net, lambda p: torch.optim.SGD(p, lr=0.1)).step(
        x * 3, torch.arange(16, device=device) % 2
    )
    assert all(torch.isfinite(torch.tensor(losses)))
