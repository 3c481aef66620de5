"""What every spiking neuron shares: charge, fire, reset as three overridable steps.

After SpikingJelly's ``BaseNode``. The reference path, one step at a time, is
``neuronal_charge`` then ``neuronal_fire`` then ``neuronal_reset``; a neuron variant (an
adaptive threshold, a different leak, a soft reset) overrides the one step that differs and
inherits the loop, the step modes and the state handling. A neuron may also offer a fused
multi-step kernel (:class:`~snn_models.LIF` does); it must fall back to the reference loop
when a subclass overrides a step, so that a variant is always one change, not three.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from snn_models.functional.time import repeat_over_time
from snn_models.state import StatefulModule

__all__ = ["SpikingNeuron"]

NEURONAL_STEPS = ("neuronal_charge", "neuronal_fire", "neuronal_reset")


class SpikingNeuron(StatefulModule):
    """Base class: membrane ``v`` as state, charge → fire → reset per step.

    Subclasses implement :meth:`neuron_parameters` (the settings the three steps read, as one
    value, computed once per call so a learnable setting is evaluated once) and the three
    ``neuronal_*`` steps.
    """

    def __init__(self) -> None:
        super().__init__()
        self.register_state("v")

    def neuron_parameters(self) -> Any:
        raise NotImplementedError

    def neuronal_charge(self, x: Tensor, v: Tensor | None, params: Any) -> Tensor:
        """The potential after integrating input ``x`` into membrane ``v`` (``None``: rest)."""
        raise NotImplementedError

    def neuronal_fire(self, u: Tensor, params: Any) -> Tensor:
        """Spikes (0/1 forward, surrogate gradient backward) from the charged potential."""
        raise NotImplementedError

    def neuronal_reset(self, u: Tensor, spikes: Tensor, params: Any) -> Tensor:
        """The membrane after the spikes."""
        raise NotImplementedError

    def overrides_a_step(self, base: type[SpikingNeuron]) -> bool:
        """Whether this neuron's class replaces any of ``base``'s three steps."""
        return any(getattr(type(self), name) is not getattr(base, name) for name in NEURONAL_STEPS)

    def charge_fire_reset(self, x: Tensor, v: Tensor | None, params: Any) -> tuple[Tensor, Tensor]:
        """``(spikes, v_next)`` for one step, through the three overridable steps."""
        u = self.neuronal_charge(x, v, params)
        spikes = self.neuronal_fire(u, params)
        return spikes, self.neuronal_reset(u, spikes, params)

    def scan(self, x: Tensor, v0: Tensor | None, params: Any) -> tuple[Tensor, Tensor]:
        """``(spikes, v_last)`` over a sequence: the reference loop, :meth:`charge_fire_reset` per step."""
        v = v0
        spikes = []
        for x_t in x:
            s, v = self.charge_fire_reset(x_t, v, params)
            spikes.append(s)
        assert v is not None
        return torch.stack(spikes), v

    def scan_repeated(
        self, step: Tensor, num_steps: int, v0: Tensor | None, params: Any
    ) -> tuple[Tensor, Tensor]:
        """:meth:`scan` on ``step`` repeated ``num_steps`` times; fused kernels do better."""
        return self.scan(repeat_over_time(step, num_steps), v0, params)

    def single_step_forward(self, x: Tensor) -> Tensor:
        self.check_state_shape(self.v, x)
        spikes, self.v = self.charge_fire_reset(x, self.v, self.neuron_parameters())
        return spikes

    def multi_step_forward(self, x: Tensor) -> Tensor:
        spikes, v_last = self.scan(x, self.initial_state("v", x[0]), self.neuron_parameters())
        if self.keep_state:
            self.v = v_last
        return spikes

    def forward_repeated(self, step: Tensor, num_steps: int) -> Tensor:
        """Spikes ``(num_steps, B, ...)`` for the same current ``(B, ...)`` at every step.

        Equal to ``forward`` on the repeated sequence; a fused :meth:`scan_repeated` makes its
        backward cheaper (the input's gradient comes out already summed over time).
        :class:`~snn_models.SpikingLayer` uses it automatically for a direct-encoded input.
        """
        if self.step_mode != "multi":
            raise RuntimeError("forward_repeated runs a sequence; it needs multi-step mode")
        v0 = self.initial_state("v", step)
        spikes, v_last = self.scan_repeated(step, num_steps, v0, self.neuron_parameters())
        if self.keep_state:
            self.v = v_last
        return spikes
