"""Encoders: turn a static sample ``(B, ...)`` into a time-major sequence ``(T, B, ...)``.

* :class:`DirectEncoder` feeds the analog value as a constant current at every step. It returns
  an expanded view (stride 0 on time), which synapses detect to integrate once instead of T
  times; it is also the most accurate encoding for few time steps.
* :class:`RateEncoder` emits Bernoulli spikes with probability equal to the (clamped) value.
* :class:`LatencyEncoder` emits one spike per input, earlier for larger values.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from snn_models.functional.time import repeat_over_time

__all__ = [
    "ENCODER_KINDS",
    "DirectEncoder",
    "LatencyEncoder",
    "RateEncoder",
    "make_encoder",
]


class _Encoder(nn.Module):
    def __init__(self, num_steps: int) -> None:
        super().__init__()
        if num_steps < 1:
            raise ValueError(f"num_steps must be >= 1, got {num_steps}")
        self.num_steps = num_steps

    def extra_repr(self) -> str:
        return f"num_steps={self.num_steps}"


class DirectEncoder(_Encoder):
    """The same analog input at every step, as a zero-copy view. Differentiable."""

    def forward(self, x: Tensor) -> Tensor:
        return repeat_over_time(x, self.num_steps)


class RateEncoder(_Encoder):
    """Bernoulli spikes, ``P(spike) = clamp(gain * x, 0, 1)`` independently at every step."""

    def __init__(self, num_steps: int, gain: float = 1.0) -> None:
        super().__init__(num_steps)
        self.gain = float(gain)

    def forward(self, x: Tensor, generator: torch.Generator | None = None) -> Tensor:
        probability = (self.gain * x).clamp(0.0, 1.0)
        noise = torch.rand(
            (self.num_steps, *x.shape), generator=generator, dtype=x.dtype, device=x.device
        )
        return (noise < probability).to(x.dtype)

    def extra_repr(self) -> str:
        return super().extra_repr() + f", gain={self.gain}"


class LatencyEncoder(_Encoder):
    """One spike per input at step ``round((1 - x) * (T - 1))``: strong inputs fire first.

    Inputs are clamped to [0, 1]; values at or below ``min_value`` never fire, so an empty
    pixel stays silent instead of spiking at the last step.
    """

    def __init__(self, num_steps: int, min_value: float = 0.0) -> None:
        super().__init__(num_steps)
        self.min_value = float(min_value)

    def spike_times(self, x: Tensor) -> Tensor:
        """Step index of each input's spike (``num_steps`` for "never")."""
        x = x.clamp(0.0, 1.0)
        times = torch.round((1.0 - x) * (self.num_steps - 1)).long()
        return times.masked_fill(x <= self.min_value, self.num_steps)

    def forward(self, x: Tensor) -> Tensor:
        times = self.spike_times(x)
        steps = torch.arange(self.num_steps, device=x.device).view(-1, *([1] * x.dim()))
        return (steps == times.unsqueeze(0)).to(x.dtype)

    def extra_repr(self) -> str:
        return super().extra_repr() + f", min_value={self.min_value}"


_ENCODERS: dict[str, type[_Encoder]] = {
    "direct": DirectEncoder,
    "rate": RateEncoder,
    "latency": LatencyEncoder,
}
ENCODER_KINDS: tuple[str, ...] = tuple(_ENCODERS)


def make_encoder(kind: str, num_steps: int, **options: Any) -> nn.Module:
    """Encoder by name: ``"direct"``, ``"rate"`` (gain) or ``"latency"`` (min_value)."""
    try:
        cls = _ENCODERS[kind.lower()]
    except KeyError:
        raise ValueError(f"unknown encoder {kind!r}; choose one of {ENCODER_KINDS}") from None
    return cls(num_steps, **options)
