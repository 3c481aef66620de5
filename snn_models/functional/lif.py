"""Leaky integrate-and-fire dynamics as pure functions over time-major tensors.

One step, with decay ``a`` in (0, 1), threshold ``theta`` and input scale ``c`` (1, or
``1 - a`` when the input decays too, as in PLIF / SpikingJelly)::

    u[t] = a * v[t-1] + c * x[t]          charge
    s[t] = H(u[t] - theta)                fire  (surrogate derivative in backward)
    v[t] = u[t] - theta * s[t]            reset by subtraction, or
    v[t] = u[t] * (1 - s[t])              reset to zero

:func:`lif_scan` runs this over all ``T`` steps as ONE autograd node: the forward loop builds
no graph and keeps only the charged potential ``u`` (everything backward needs: spikes,
surrogate derivatives and the reset factors all derive from it), and the backward pass runs
the reverse-time recursion ``g_u[t] = B[t] + C[t] * g_u[t+1]`` with ``B`` and ``C`` computed
for all steps at once, so each step costs a single fused multiply-add. On a CPU, when it is
available, a small compiled kernel (:mod:`snn_models.functional.native`) does each direction
in one pass over memory and keeps only the input current, recomputing the membrane in
backward. :func:`lif_scan_reference` is the plain
step-by-step version the tests compare against.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

from snn_models.functional import native
from snn_models.functional.lif_torch import backward_from_potential, forward_keeping_potential
from snn_models.surrogates import ATan, Surrogate

__all__ = ["ResetMode", "lif_scan", "lif_scan_reference", "lif_step"]

ResetMode = Literal["subtract", "zero"]
Backend = Literal["auto", "torch", "native"]
_RESET_MODES = ("subtract", "zero")


def _as_decay(alpha: float | Tensor, like: Tensor) -> Tensor:
    if isinstance(alpha, Tensor):
        return alpha.to(dtype=like.dtype, device=like.device)
    return torch.tensor(alpha, dtype=like.dtype, device=like.device)


def _check(reset: str, current: Tensor) -> None:
    if reset not in _RESET_MODES:
        raise ValueError(f"reset must be one of {_RESET_MODES}, got {reset!r}")
    if current.dim() < 2:
        raise ValueError(
            f"expected a time-major tensor (T, B, ...), got shape {tuple(current.shape)}"
        )


def lif_step(
    current: Tensor,
    v: Tensor | None,
    alpha: float | Tensor,
    threshold: float = 1.0,
    surrogate: Surrogate | None = None,
    reset: ResetMode = "subtract",
    detach_reset: bool = False,
    decay_input: bool = False,
    smooth: bool = False,
) -> tuple[Tensor, Tensor]:
    """One LIF step ``(x[t], v[t-1]) -> (s[t], v[t])``; ``v=None`` means at rest.

    Ordinary autograd ops, so it also serves streaming inference and as the reference the
    fused scan is tested against. ``smooth`` fires ``surrogate.primitive`` instead of the hard
    step, making the neuron differentiable for gradient checks.
    """
    surrogate = surrogate or ATan()
    drive = (1 - alpha) * current if decay_input else current
    u = drive if v is None else alpha * v + drive
    z = u - threshold
    s = surrogate.primitive(z) if smooth else surrogate(z)
    s_reset = s.detach() if detach_reset else s
    v_next = u - threshold * s_reset if reset == "subtract" else u * (1 - s_reset)
    return s, v_next


def lif_scan_reference(
    current: Tensor,
    alpha: float | Tensor,
    threshold: float = 1.0,
    surrogate: Surrogate | None = None,
    reset: ResetMode = "subtract",
    detach_reset: bool = False,
    decay_input: bool = False,
    v0: Tensor | None = None,
    smooth: bool = False,
) -> tuple[Tensor, Tensor]:
    """Step-by-step LIF over ``(T, B, ...)``: one graph node per op per step. Slow, obvious."""
    _check(reset, current)
    v = v0
    spikes = []
    for x_t in current:
        s, v = lif_step(
            x_t, v, alpha, threshold, surrogate, reset, detach_reset, decay_input, smooth
        )
        spikes.append(s)
    assert v is not None
    return torch.stack(spikes), v


class _LIFScan(torch.autograd.Function):
    @staticmethod
    def forward(  # type: ignore[override]
        ctx,
        current: Tensor,
        v0: Tensor | None,
        alpha: Tensor,
        threshold: float,
        surrogate: Surrogate,
        reset: str,
        detach_reset: bool,
        decay_input: bool,
        smooth: bool,
        use_native: bool,
        num_steps: int | None,
    ) -> tuple[Tensor, Tensor]:
        sequence = _as_sequence(current, num_steps)
        if use_native:
            # The kernel recomputes the membrane in backward; keep only the input current.
            spikes, v_last = native.lif_forward(sequence, v0, alpha, threshold, reset, decay_input)
            ctx.save_for_backward(current, v0, alpha)
        else:
            spikes, u, v_last = forward_keeping_potential(
                sequence, v0, alpha, threshold, surrogate, reset, decay_input, smooth
            )
            ctx.save_for_backward(u, v0, alpha)
        ctx.config = (threshold, surrogate, reset, detach_reset, decay_input, smooth, use_native)
        ctx.has_v0 = v0 is not None
        ctx.num_steps = num_steps
        return spikes, v_last

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_spikes: Tensor | None, grad_v_last: Tensor | None):  # type: ignore[override]
        saved, v0, alpha = ctx.saved_tensors
        threshold, surrogate, reset, detach_reset, decay_input, smooth, use_native = ctx.config
        need_current, need_v0, need_alpha = ctx.needs_input_grad[:3]
        need_v0 = need_v0 and ctx.has_v0
        constant_input = ctx.num_steps is not None
        if use_native:
            grad_current, grad_v0, grad_alpha_map = native.lif_backward(
                _as_sequence(saved, ctx.num_steps),
                v0,
                alpha,
                grad_spikes,
                grad_v_last,
                threshold,
                surrogate,
                reset,
                detach_reset,
                decay_input,
                need_v0,
                need_alpha,
                sum_time=constant_input,
            )
        else:
            grad_current, grad_v0, grad_alpha_map = backward_from_potential(
                saved,
                v0,
                alpha,
                grad_spikes,
                grad_v_last,
                threshold,
                surrogate,
                reset,
                detach_reset,
                decay_input,
                smooth,
                need_v0,
                need_alpha,
            )
            if constant_input:
                grad_current = grad_current.sum(0)
        grad_alpha = _reduce_to(grad_alpha_map, alpha) if need_alpha else None
        return (
            grad_current if need_current else None,
            grad_v0,
            grad_alpha,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
        )


def _as_sequence(current: Tensor, num_steps: int | None) -> Tensor:
    """The time-major view the scan runs on: ``current`` itself, or one step repeated."""
    if num_steps is None:
        return current
    return current.unsqueeze(0).expand(num_steps, *current.shape)


def _reduce_to(grad: Tensor | None, like: Tensor) -> Tensor | None:
    if grad is None:
        return None
    if like.dim() == 0:
        return grad.sum()
    return grad.sum_to_size(like.shape)


@torch.compiler.disable
def lif_scan(
    current: Tensor,
    alpha: float | Tensor,
    threshold: float = 1.0,
    surrogate: Surrogate | None = None,
    reset: ResetMode = "subtract",
    detach_reset: bool = False,
    decay_input: bool = False,
    v0: Tensor | None = None,
    smooth: bool = False,
    backend: Backend = "auto",
    num_steps: int | None = None,
) -> tuple[Tensor, Tensor]:
    """Run LIF neurons over a whole sequence ``current`` of shape ``(T, B, ...)``.

    Returns ``(spikes, v_last)``: spikes ``(T, B, ...)`` in ``current``'s dtype (0/1, or the
    smooth step when ``smooth``) and the membrane after the last step, to continue a stream.
    ``alpha`` is the decay, a float or a tensor broadcastable to one step (learnable: its
    gradient is computed). ``backend="native"`` uses the compiled CPU kernel, ``"torch"`` the
    pure-torch loop, ``"auto"`` the kernel when it is available and applicable.

    With ``num_steps``, ``current`` is ONE step ``(B, ...)`` applied at every one of
    ``num_steps`` steps (a direct-encoded input). The result is the same as passing the
    repeated sequence, but backward returns the time-summed gradient straight away instead of
    a ``(T, B, ...)`` gradient for autograd to sum.

    ``torch.compile`` treats the scan as one opaque call: it is already a fused kernel, and
    compiling the rest of a model around it works without graph-break warnings.
    """
    if num_steps is not None and num_steps < 1:
        raise ValueError(f"num_steps must be >= 1, got {num_steps}")
    sequence = _as_sequence(current, num_steps)
    _check(reset, sequence)
    surrogate = surrogate or ATan()
    alpha_t = _as_decay(alpha, current)
    use_native = _choose_native(backend, sequence, v0, alpha_t, surrogate, smooth)
    return _LIFScan.apply(
        current,
        v0,
        alpha_t,
        float(threshold),
        surrogate,
        reset,
        detach_reset,
        decay_input,
        smooth,
        use_native,
        num_steps,
    )


def _choose_native(
    backend: str,
    current: Tensor,
    v0: Tensor | None,
    alpha: Tensor,
    surrogate: Surrogate,
    smooth: bool,
) -> bool:
    if backend == "torch":
        return False
    applicable = native.supports(current, v0, alpha, surrogate) and not smooth
    if backend == "native":
        if not applicable:
            raise RuntimeError(
                "the native LIF kernel needs CPU float32/float64 tensors, a scalar decay, a "
                "built-in surrogate and a hard threshold; " + native.unavailable_reason()
            )
        return True
    if backend != "auto":
        raise ValueError(f"backend must be 'auto', 'torch' or 'native', got {backend!r}")
    return applicable
