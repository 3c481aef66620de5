"""Leaky integrate-and-fire neurons (LIF, and PLIF with a learnable time constant)."""

from __future__ import annotations

from torch import Tensor, nn

from snn_models.functional.lif import (
    Backend,
    LIFParameters,
    ResetMode,
    lif_charge,
    lif_fire,
    lif_reset,
    lif_scan,
)
from snn_models.neurons.base import SpikingNeuron
from snn_models.neurons.decay import MembraneDecay, resolve_decay
from snn_models.surrogates import Surrogate, get_surrogate

__all__ = ["LIF", "PLIF", "DelayedResetLIF"]


_DEFAULTS = LIFParameters()


class LIF(SpikingNeuron):
    """LIF neurons: charge with decay, fire at ``threshold``, reset by subtraction or to zero.

    Multi-step mode (default) takes ``(T, B, ...)`` currents and returns spikes of the same
    shape, running the fused scan, from rest every call unless it keeps state (chunks of a
    stream, ``streaming(net, "multi")``: then each chunk continues from the membrane ``v`` the
    last one left). Single-step mode (``streaming(net)``) takes ``(B, ...)`` and keeps ``v``
    between calls.

    Charge, fire and reset are the overridable steps of :class:`~snn_models.neurons.SpikingNeuron`;
    a subclass that overrides one of them runs the reference loop instead of the fused scan.

    The settings live in ONE :class:`LIFParameters`, ``self.p`` (as Norse's
    ``LIFCell(p=LIFParameters(...))``), whose class declares the defaults; only the decay is
    held apart, by :class:`MembraneDecay`, because it may be learned.

    Args:
        tau: membrane time constant in steps (> 1); ``alpha = 1 - 1/tau``. Default
            :data:`~snn_models.functional.lif_parameters.DEFAULT_TAU`.
        alpha: the decay factor directly, instead of ``tau``.
        threshold: firing threshold.
        reset: one of :data:`RESET_MODES`: ``"subtract"`` keeps the overshoot (less information
            lost), ``"zero"`` drops it.
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
        threshold: float = _DEFAULTS.threshold,
        reset: ResetMode = _DEFAULTS.reset,
        surrogate: str | Surrogate = _DEFAULTS.surrogate,
        learn_tau: bool = False,
        decay_input: bool = _DEFAULTS.decay_input,
        detach_reset: bool = _DEFAULTS.detach_reset,
        backend: Backend = "auto",
    ) -> None:
        super().__init__()
        self.decay = MembraneDecay(resolve_decay(tau, alpha), learnable=learn_tau)
        # Validates the reset mode against RESET_MODES; alpha is filled in per call.
        self.p = LIFParameters(
            threshold=threshold,
            reset=reset,
            surrogate=get_surrogate(surrogate),
            decay_input=decay_input,
            detach_reset=detach_reset,
        )
        self.backend: Backend = backend

    # Read-only views of ``p``, for code that inspects one setting.
    @property
    def threshold(self) -> float:
        return self.p.threshold

    @property
    def reset_mode(self) -> ResetMode:
        return self.p.reset

    @property
    def surrogate(self) -> Surrogate:
        return self.p.surrogate

    @property
    def decay_input(self) -> bool:
        return self.p.decay_input

    @property
    def detach_reset(self) -> bool:
        return self.p.detach_reset

    @property
    def alpha(self) -> Tensor:
        return self.decay()

    def neuron_parameters(self) -> LIFParameters:
        """This layer's settings as one bundle, with the decay as it is now (learnable or not)."""
        return self.p.with_decay(self.decay())

    def neuronal_charge(self, x: Tensor, v: Tensor | None, params: LIFParameters) -> Tensor:
        return lif_charge(x, v, params)

    def neuronal_fire(self, u: Tensor, params: LIFParameters) -> Tensor:
        return lif_fire(u, params)

    def neuronal_reset(self, u: Tensor, spikes: Tensor, params: LIFParameters) -> Tensor:
        return lif_reset(u, spikes, params)

    def scan(self, x: Tensor, v0: Tensor | None, params: LIFParameters) -> tuple[Tensor, Tensor]:
        if self._reference_only():
            return super().scan(x, v0, params)
        return lif_scan(x, params, v0=v0, backend=self.backend)

    def scan_repeated(
        self, step: Tensor, num_steps: int, v0: Tensor | None, params: LIFParameters
    ) -> tuple[Tensor, Tensor]:
        if self._reference_only():
            return super().scan_repeated(step, num_steps, v0, params)
        return lif_scan(step, params, v0=v0, backend=self.backend, num_steps=num_steps)

    def _reference_only(self) -> bool:
        """A subclass that changes charge, fire or reset is not what the fused scan computes."""
        if not self.overrides_a_step(LIF):
            return False
        if self.backend == "native":
            raise RuntimeError(
                f"{type(self).__name__} overrides a neuronal step, which the native LIF kernel "
                "cannot run; use backend='auto' or 'torch'"
            )
        return True

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
        threshold: float = _DEFAULTS.threshold,
        reset: ResetMode = _DEFAULTS.reset,
        surrogate: str | Surrogate = _DEFAULTS.surrogate,
        decay_input: bool = True,
        detach_reset: bool = _DEFAULTS.detach_reset,
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


class DelayedResetLIF(LIF):
    """snnTorch's ``Leaky`` neuron: the reset is subtracted one step later, without decay.

    snnTorch updates ``U[t] = beta U[t-1] + x[t] - threshold * S[t-1]`` with
    ``S[t-1] = H(U[t-1] - threshold)``, and the reset term carries no gradient (its
    ``reset_mechanism="subtract"`` default). :class:`LIF` subtracts right after the spike, so the
    next step decays the subtraction too: ``U[t] = beta (U[t-1] - threshold S[t-1]) + x[t]``.
    Subtracting ``threshold / beta`` instead makes the two identical, which is all this class
    changes; it exists so a recipe written for snnTorch runs its exact dynamics here. Being a
    changed step, it runs the reference loop rather than the fused scan.

    Args: as :class:`LIF`; ``detach_reset`` defaults to True (snnTorch's default) and only
    ``reset="subtract"`` exists in this form.
    """

    def __init__(self, *args, detach_reset: bool = True, **kwargs) -> None:
        super().__init__(*args, detach_reset=detach_reset, **kwargs)
        if self.reset_mode != "subtract":
            raise ValueError("DelayedResetLIF resets by subtraction only")

    def neuronal_reset(self, u: Tensor, spikes: Tensor, params: LIFParameters) -> Tensor:
        s = spikes.detach() if params.detach_reset else spikes
        return u - (params.threshold / params.alpha) * s


def plain_lif_parameters(neuron: nn.Module) -> LIFParameters | None:
    """The neuron's :class:`LIFParameters` when it computes exactly the LIF of ``lif_scan`` (a
    :class:`LIF` or a subclass that replaces none of its steps), else None.

    What a frozen serving copy asks before running the dynamics in its own kernel (e.g.
    :func:`~snn_models.functional.lif_rates_constant_input`): the answer lives here, beside the
    neuron, so callers hold no list of neuron types."""
    if not isinstance(neuron, LIF) or neuron.overrides_a_step(LIF):
        return None
    return neuron.neuron_parameters()
