"""k-winner-take-all lateral inhibition within a layer, one time step at a time.

Lee, Delbruck & Pfeiffer (2016, Sec. 2.2) put each hidden layer in a winner-take-all circuit:
the neurons that cross threshold first inhibit the rest, so a layer's code stays sparse and
its neurons specialise. In a time-stepped network "first" means "most above threshold at this
step"; :func:`k_winners` keeps at most ``k`` of the neurons that may fire.
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["k_winners"]


def k_winners(drive: Tensor, candidates: Tensor, k: int) -> Tensor:
    """Boolean mask of at most ``k`` winners per sample among ``candidates``.

    Args:
        drive: ``(B, N)`` how far each neuron is above threshold (larger wins).
        candidates: ``(B, N)`` boolean, the neurons that would fire without inhibition.
        k: winners allowed per sample and step; ``k >= N`` disables the competition.

    Ties are broken by index (``torch.topk`` order), so the mask never exceeds ``k``.
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    if k >= drive.shape[-1]:
        return candidates
    masked = drive.masked_fill(~candidates, float("-inf"))
    top = masked.topk(k, dim=-1).indices
    winners = torch.zeros_like(candidates)
    winners.scatter_(-1, top, True)
    return winners & candidates
