"""Non-spiking leaky integrator: the output layer whose membrane is read as an analog value."""

from __future__ import annotations

from torch import Tensor

from snn_models.functional.leaky_integrate import leaky_integrate
from snn_models.neurons.decay import MembraneDecay, resolve_decay
from snn_models.state import StatefulModule

__all__ = ["LeakyIntegrator"]


class LeakyIntegrator(StatefulModule):
    """``u[t] = alpha * u[t-1] + x[t]`` with no threshold; returns the membrane trace.

    Multi-step: ``(T, B, ...)`` in, trace of the same shape out, from rest (or from the last
    call's membrane while keeping state). Single-step: ``(B, ...)`` in, current membrane out,
    state kept until reset.
    """

    def __init__(
        self,
        tau: float | None = None,
        alpha: float | None = None,
        learn_tau: bool = False,
        decay_input: bool = False,
    ) -> None:
        super().__init__()
        self.decay = MembraneDecay(resolve_decay(tau, alpha), learnable=learn_tau)
        self.decay_input = decay_input
        self.register_state("v")

    def multi_step_forward(self, x: Tensor) -> Tensor:
        trace = leaky_integrate(x, self.decay(), self.decay_input, self.initial_state("v", x[0]))
        if self.keep_state:
            self.v = trace[-1]
        return trace

    def single_step_forward(self, x: Tensor) -> Tensor:
        self.check_state_shape(self.v, x)
        alpha = self.decay()
        drive = (1 - alpha) * x if self.decay_input else x
        self.v = drive if self.v is None else alpha * self.v + drive
        return self.v
