"""What every synaptic integration shares: time folding and parameter initialisation."""

from __future__ import annotations

import math

import torch
from torch import Tensor

from snn_models.functional.time import apply_over_time, is_repeated_over_time, repeat_over_time
from snn_models.state import TimeAwareModule

__all__ = ["Synapse", "init_like_linear"]


def init_like_linear(weight: Tensor, fan_in: int) -> None:
    """Uniform in +-1/sqrt(fan_in), the torch.nn.Linear / Conv2d default, in place."""
    bound = 1.0 / math.sqrt(fan_in)
    with torch.no_grad():
        weight.uniform_(-bound, bound)


class Synapse(TimeAwareModule):
    """Turns presynaptic activity into input current; stateless, so time folds into the batch.

    Subclasses implement :meth:`integrate` for batch-first input with ``sample_dims`` trailing
    dimensions per sample (1 for dense, 3 for conv). Like every time-aware module a synapse
    follows the step mode: one step ``(B, ...)`` is integrated as is; a time-major sequence is
    folded into one batch, and a sequence repeated over time (direct encoding) is integrated
    once. Having no state, a synapse in multi-step mode also takes a batch without time axis.

    Every synapse takes ``spike_input``: a declaration that inputs are 0/1 spikes, which lets
    the bilinear kinds fold ``x^2 = x`` into their main product; the others accept and ignore
    it, so a command line can set it per layer whatever the kind.
    """

    sample_dims: int = 1

    def integrate(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def single_step_forward(self, x: Tensor) -> Tensor:
        return self.integrate(x)

    def multi_step_forward(self, x: Tensor) -> Tensor:
        if x.dim() == self.sample_dims + 2:
            return apply_over_time(self.integrate, x)
        if x.dim() > self.sample_dims + 2 and is_repeated_over_time(x):
            return repeat_over_time(self.integrate(x[0]), x.shape[0])
        return self.integrate(x)
