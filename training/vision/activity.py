"""How many hidden neurons ever fire: the "silent neuron" share of Lee et al.'s target.

A neuron that never spikes on the test set contributes nothing but its parameters; Lee et al.
(2016) introduced threshold regularisation to make every neuron take part. We count, for every
spiking layer of the hidden blocks, the neurons (per channel and position for conv layers) with
zero spikes over all test images.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from snn_models import LIF, LocalNetwork
from snn_models.plasticity import CompetitiveSTDPLayer, MembraneBPTTLIF

SPIKING = (LIF, MembraneBPTTLIF, CompetitiveSTDPLayer)
BATCH = 500


@torch.no_grad()
def silent_share(network: LocalNetwork, images: Tensor, device: torch.device) -> float | None:
    """Fraction of hidden spiking neurons that never fire on ``images``; None if there are none."""
    totals: dict[nn.Module, Tensor] = {}

    def record(module: nn.Module, _inputs, output: Tensor) -> None:
        counts = output.detach().sum((0, 1)).cpu()
        totals[module] = totals[module] + counts if module in totals else counts

    hidden = [m for block in network.blocks[:-1] for m in block.modules() if isinstance(m, SPIKING)]
    handles = [m.register_forward_hook(record) for m in hidden]
    try:
        network.eval()
        for start in range(0, images.shape[0], BATCH):
            network(images[start : start + BATCH].to(device))
    finally:
        for handle in handles:
            handle.remove()
    if not totals:
        return None
    silent = sum(int((counts == 0).sum()) for counts in totals.values())
    neurons = sum(counts.numel() for counts in totals.values())
    return silent / neurons
