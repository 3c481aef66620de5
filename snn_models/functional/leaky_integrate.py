"""Membrane trace of a non-spiking leaky integrator, computed for all steps at once.

``u[t] = a * u[t-1] + c * x[t]`` is linear, so ``u = L @ x`` with the lower-triangular decay
matrix ``L[t, s] = a**(t - s)``: one matrix product instead of a loop, differentiable in ``a``.
Readouts built on it (last / mean / max membrane) stay cheap even for learnable decays.
"""

from __future__ import annotations

import torch
from torch import Tensor

from snn_models.functional.time import is_repeated_over_time

__all__ = ["decay_matrix", "leaky_integrate"]


def decay_matrix(alpha: Tensor, num_steps: int) -> Tensor:
    """``L[t, s] = alpha**(t - s)`` for ``s <= t``, else 0; ``alpha`` a scalar tensor."""
    steps = torch.arange(num_steps, device=alpha.device)
    lag = steps.unsqueeze(1) - steps.unsqueeze(0)
    causal = lag >= 0
    powers = torch.pow(alpha, lag.clamp(min=0).to(alpha.dtype))
    return torch.where(causal, powers, torch.zeros((), dtype=alpha.dtype, device=alpha.device))


def leaky_integrate(
    current: Tensor,
    alpha: float | Tensor,
    decay_input: bool = False,
    v0: Tensor | None = None,
) -> Tensor:
    """Membrane trace ``(T, B, ...)`` of a leaky integrator driven by ``current`` ``(T, B, ...)``."""
    alpha_t = torch.as_tensor(alpha, dtype=current.dtype, device=current.device)
    if alpha_t.dim() > 0:
        return _integrate_stepwise(current, alpha_t, decay_input, v0)
    num_steps = current.shape[0]
    weights = decay_matrix(alpha_t, num_steps)
    if decay_input:
        weights = weights * (1 - alpha_t)
    if is_repeated_over_time(current):
        gain = weights.sum(1)
        trace = gain.view(-1, *([1] * (current.dim() - 1))) * current[0]
    else:
        flat = current.reshape(num_steps, -1)
        trace = (weights @ flat).reshape(current.shape)
    if v0 is not None:
        carried = torch.pow(alpha_t, torch.arange(1, num_steps + 1, device=current.device))
        trace = trace + carried.view(-1, *([1] * v0.dim())) * v0
    return trace


def _integrate_stepwise(
    current: Tensor, alpha: Tensor, decay_input: bool, v0: Tensor | None
) -> Tensor:
    """Per-neuron decays do not fit one decay matrix; loop instead."""
    v = v0
    trace = []
    for x_t in current:
        drive = (1 - alpha) * x_t if decay_input else x_t
        v = drive if v is None else alpha * v + drive
        trace.append(v)
    return torch.stack(trace)
