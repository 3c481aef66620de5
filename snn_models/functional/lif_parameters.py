"""The settings of a LIF neuron as one value, as Norse's ``LIFParameters``.

One bundle travels from the module through :func:`~snn_models.lif_step`,
:func:`~snn_models.lif_scan`, the autograd node and both kernels, so adding a setting changes
one class instead of a dozen positional argument lists, and a call site cannot swap two
booleans by accident.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from torch import Tensor

from snn_models.surrogates import ATan, Surrogate

__all__ = ["DEFAULT_TAU", "DEFAULT_THRESHOLD", "RESET_MODES", "LIFParameters", "ResetMode"]

ResetMode = Literal["subtract", "zero"]
RESET_MODES: tuple[str, ...] = ("subtract", "zero")

#: The library's LIF defaults, declared here once: every neuron, readout and network that does
#: not choose its own membrane time constant (in steps) or threshold reads them from here.
DEFAULT_TAU = 2.0
DEFAULT_THRESHOLD = 1.0


@dataclass(frozen=True)
class LIFParameters:
    """Decay, threshold, reset and gradient settings of LIF neurons (see :mod:`..lif`).

    Attributes:
        alpha: the decay per step, ``1 - 1/tau``: a float, or a tensor broadcastable to one
            step (a learnable decay gets its gradient through the scan).
        threshold: firing threshold.
        reset: ``"subtract"`` (keep the overshoot) or ``"zero"``.
        surrogate: the spike's derivative in backward.
        decay_input: scale the input by ``1 - alpha`` too (PLIF / SpikingJelly convention).
        detach_reset: leave the reset out of the gradient.
    """

    alpha: float | Tensor = 1.0 - 1.0 / DEFAULT_TAU
    threshold: float = DEFAULT_THRESHOLD
    reset: ResetMode = "subtract"
    surrogate: Surrogate = ATan()
    decay_input: bool = False
    detach_reset: bool = False

    def __post_init__(self) -> None:
        if self.reset not in RESET_MODES:
            raise ValueError(f"reset must be one of {RESET_MODES}, got {self.reset!r}")
        if not isinstance(self.surrogate, Surrogate):
            raise TypeError(f"surrogate must be a Surrogate, got {type(self.surrogate).__name__}")
        object.__setattr__(self, "threshold", float(self.threshold))

    def with_decay(self, alpha: float | Tensor) -> LIFParameters:
        """The same settings with another decay (e.g. the decay as a tensor on the input's device)."""
        return replace(self, alpha=alpha)
