"""Membrane decay given as a time constant or a factor, fixed or learnable.

Both neurons and non-spiking integrators use ``alpha = 1 - 1/tau`` (forward-Euler
discretisation, as in SpikingJelly and the PLIF paper). A learnable decay is stored as a logit
so that gradient steps can never push it outside (0, 1), i.e. never make the neuron unstable.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from snn_models.functional.lif_parameters import DEFAULT_TAU

__all__ = ["MembraneDecay", "resolve_decay"]


def resolve_decay(
    tau: float | None, alpha: float | None, default_tau: float = DEFAULT_TAU
) -> float:
    """The decay factor in (0, 1] from exactly one of ``tau`` (> 1) or ``alpha``.

    ``alpha = 1`` is the non-leaky integrate-and-fire neuron (``tau`` infinite).
    """
    if tau is not None and alpha is not None:
        raise ValueError("give either tau or alpha, not both")
    if alpha is None:
        tau = default_tau if tau is None else tau
        if tau <= 1.0:
            raise ValueError(f"tau must be > 1 time step, got {tau}")
        alpha = 1.0 - 1.0 / tau
    if not 0.0 < alpha <= 1.0:
        raise ValueError(f"alpha must lie in (0, 1], got {alpha}")
    return float(alpha)


class MembraneDecay(nn.Module):
    """Holds the decay factor; ``forward()`` returns it as a (possibly learnable) scalar tensor."""

    def __init__(self, alpha: float, learnable: bool = False) -> None:
        super().__init__()
        self.learnable = learnable
        if learnable:
            if not 0.0 < alpha < 1.0:
                raise ValueError(f"a learnable decay starts strictly inside (0, 1), got {alpha}")
            self.logit = nn.Parameter(torch.tensor(math.log(alpha / (1.0 - alpha))))
        else:
            self.register_buffer("value", torch.tensor(alpha))

    def forward(self) -> Tensor:
        return torch.sigmoid(self.logit) if self.learnable else self.value

    @property
    def tau(self) -> float:
        """The equivalent time constant, for logging."""
        alpha = float(self.forward().detach())
        return math.inf if alpha >= 1.0 else 1.0 / (1.0 - alpha)

    def extra_repr(self) -> str:
        return f"alpha={float(self.forward().detach()):.4g}, learnable={self.learnable}"
