"""Helpers that run per-time-step work on all time steps at once.

Synaptic integration has no time dependence, so a ``(T, B, ...)`` sequence can be folded into
one big batch ``(T*B, ...)``: one large matrix product is much faster on a CPU than T small
ones. Direct encoding repeats the same analog input at every step; it arrives as an expanded
view with stride 0 on the time axis, and then the work is done once and expanded again,
which saves a factor T for the first layer.
"""

from __future__ import annotations

from collections.abc import Callable

from torch import Tensor

__all__ = ["apply_over_time", "is_repeated_over_time", "repeat_over_time"]


def is_repeated_over_time(x: Tensor) -> bool:
    """True when every time step of ``x`` is the same memory (an expanded view, stride 0)."""
    return x.dim() >= 2 and x.size(0) > 1 and x.stride(0) == 0


def repeat_over_time(x: Tensor, num_steps: int) -> Tensor:
    """``x`` seen ``num_steps`` times along a new leading axis, without copying."""
    return x.unsqueeze(0).expand(num_steps, *x.shape)


def apply_over_time(fn: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    """Apply a per-sample ``fn`` (batch-first) to a time-major sequence ``(T, B, ...)``.

    Folds time into the batch for one call, or calls ``fn`` once when the sequence is a
    repeated view.
    """
    num_steps, batch = x.shape[0], x.shape[1]
    if is_repeated_over_time(x):
        return repeat_over_time(fn(x[0]), num_steps)
    y = fn(x.reshape(num_steps * batch, *x.shape[2:]))
    return y.reshape(num_steps, batch, *y.shape[1:])
