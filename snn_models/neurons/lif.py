"""Leaky integrate-and-fire neurons (LIF, and PLIF with a learnable time constant)."""

from __future__ import annotations

from torch import Tensor

from snn_models.functional.lif import Backend, LIFParameters, ResetMode, lif_scan, lif_step
from snn_models.neurons.decay import MembraneDecay, resolve_decay
from snn_models.state import StatefulModule
from snn_models.surrogates import Surrogate, get_surrogate

__all__ = ["LIF", "PLIF"]


class LIF(StatefulModule):
    """LIF neurons: charge with decay, fire at ``threshold``, reset by subtraction or to zero.

    Multi-step mode (default) takes ``(T, B, ...)`` currents and returns spikes of the same
    shape, running the fused scan and starting from rest every call. Single-step mode (see
    :func:`snn_models.streaming`) takes ``(B, ...)`` and keeps the membrane ``v`` between calls.

    Args:
        tau: membrane time constant in steps (> 1); ``alpha = 1 - 1/tau``. Default 2.
        alpha: the decay factor directly, instead of ``tau``.
        threshold: firing threshold.
        reset: ``"subtract"`` keeps the overshoot (less information lost), ``"zero"`` drops it.
        surrogate: name or :class:`~snn_models.surrogates.Surrogate` for the backward pass.
        learn_tau: learn the decay (PLIF, Fang et al. 2021).
        decay_input: scale the input by ``1 - alpha`` too, so the steady-state potential equals
            the input regardless of ``tau`` (SpikingJelly / PLIF convention).
        detach_reset: do not back-propagate through the reset.
        backend: ``"auto"``, ``"torch"`` or ``"native"`` kernel for the scan.
    """

    def __init__(
        self,
        tau: float | None = None,
        alpha: float | None = None,
        threshold: float = 1.0,
        reset: ResetMode = "subtract",
        surrogate: str | Surrogate = "atan",
        learn_tau: bool = False,
        decay_input: bool = False,
        detach_reset: bool = False,
        backend: Backend = "auto",
    ) -> None:
        super().__init__()
        if reset not in ("subtract", "zero"):
            raise ValueError(f"reset must be 'subtract' or 'zero', got {reset!r}")
        self.decay = MembraneDecay(resolve_decay(tau, alpha), learnable=learn_tau)
        self.threshold = float(threshold)
        self.reset_mode: ResetMode = reset
        self.surrogate = get_surrogate(surrogate)
        self.decay_input = decay_input
        self.detach_reset = detach_reset
        self.backend: Backend = backend
        self.register_state("v")

    @property
    def alpha(self) -> Tensor:
        return self.decay()

    def lif_parameters(self) -> LIFParameters:
        """This layer's settings as one bundle, with the decay as it is now (learnable or not)."""
        return LIFParameters(
            alpha=self.decay(),
            threshold=self.threshold,
            reset=self.reset_mode,
            surrogate=self.surrogate,
            decay_input=self.decay_input,
            detach_reset=self.detach_reset,
        )

    def forward(self, x: Tensor) -> Tensor:
        if self.step_mode == "single":
            return self.step(x)
        spikes, _ = lif_scan(x, self.lif_parameters(), backend=self.backend)
        return spikes

    def forward_repeated(self, current: Tensor, num_steps: int) -> Tensor:
        """Spikes ``(num_steps, B, ...)`` for the same current ``(B, ...)`` at every step.

        Equal to ``forward`` on the repeated sequence, with a cheaper backward: the input's
        gradient comes out already summed over time. :class:`~snn_models.SpikingLayer` uses
        it automatically for a direct-encoded input.
        """
        spikes, _ = lif_scan(
            current, self.lif_parameters(), backend=self.backend, num_steps=num_steps
        )
        return spikes

    def step(self, x: Tensor) -> Tensor:
        """Advance one time step ``(B, ...)`` from the stored membrane; returns the spikes."""
        self.check_state_shape(self.v, x)
        spikes, self.v = lif_step(x, self.v, self.lif_parameters())
        return spikes

    def extra_repr(self) -> str:
        parts = [
            f"threshold={self.threshold}",
            f"reset={self.reset_mode!r}",
            f"surrogate={self.surrogate}",
        ]
        if self.decay_input:
            parts.append("decay_input=True")
        if self.detach_reset:
            parts.append("detach_reset=True")
        mode = super().extra_repr()
        return ", ".join(parts + ([mode] if mode else []))


class PLIF(LIF):
    """Parametric LIF: the time constant is learned, the input decays (Fang et al. 2021)."""

    def __init__(
        self,
        tau: float | None = None,
        alpha: float | None = None,
        threshold: float = 1.0,
        reset: ResetMode = "subtract",
        surrogate: str | Surrogate = "atan",
        decay_input: bool = True,
        detach_reset: bool = False,
        backend: Backend = "auto",
    ) -> None:
        super().__init__(
            tau=tau,
            alpha=alpha,
            threshold=threshold,
            reset=reset,
            surrogate=surrogate,
            learn_tau=True,
            decay_input=decay_input,
            detach_reset=detach_reset,
            backend=backend,
        )
