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
step-by-step version the tests compare against; it is :func:`lif_step`, which is
:func:`lif_charge`, :func:`lif_fire` and :func:`lif_reset` in turn.

Every function takes the neuron's settings as one :class:`LIFParameters` bundle.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

from snn_models.functional import native
from snn_models.functional.lif_parameters import LIFParameters, ResetMode
from snn_models.functional.lif_torch import backward_from_potential, forward_keeping_potential

__all__ = [
    "Backend",
    "LIFParameters",
    "ResetMode",
    "lif_charge",
    "lif_fire",
    "lif_reset",
    "lif_scan",
    "lif_scan_reference",
    "lif_step",
]

Backend = Literal["auto", "torch", "native"]
_DEFAULT = LIFParameters()


def _as_decay(alpha: float | Tensor, like: Tensor) -> Tensor:
    if isinstance(alpha, Tensor):
        return alpha.to(dtype=like.dtype, device=like.device)
    return torch.tensor(alpha, dtype=like.dtype, device=like.device)


def _check(params: LIFParameters, current: Tensor) -> None:
    if not isinstance(params, LIFParameters):
        raise TypeError(
            f"expected LIFParameters, got {type(params).__name__}; "
            "pass the decay as LIFParameters(alpha=...)"
        )
    if current.dim() < 2:
        raise ValueError(
            f"expected a time-major tensor (T, B, ...), got shape {tuple(current.shape)}"
        )


def lif_charge(current: Tensor, v: Tensor | None, params: LIFParameters) -> Tensor:
    """``u[t] = a * v[t-1] + c * x[t]``; ``v=None`` means at rest."""
    alpha = params.alpha
    drive = (1 - alpha) * current if params.decay_input else current
    return drive if v is None else alpha * v + drive


def lif_fire(u: Tensor, params: LIFParameters, smooth: bool = False) -> Tensor:
    """``s[t] = H(u[t] - threshold)``, differentiated through the surrogate.

    ``smooth`` fires ``surrogate.primitive`` instead of the hard step, making the neuron
    differentiable for gradient checks.
    """
    z = u - params.threshold
    return params.surrogate.primitive(z) if smooth else params.surrogate(z)


def lif_reset(u: Tensor, s: Tensor, params: LIFParameters) -> Tensor:
    """The membrane after firing: subtract the threshold, or drop to zero, where ``s`` fired."""
    s_reset = s.detach() if params.detach_reset else s
    if params.reset == "subtract":
        return u - params.threshold * s_reset
    return u * (1 - s_reset)


def lif_step(
    current: Tensor,
    v: Tensor | None,
    params: LIFParameters = _DEFAULT,
    smooth: bool = False,
) -> tuple[Tensor, Tensor]:
    """One LIF step ``(x[t], v[t-1]) -> (s[t], v[t])``: charge, fire, reset; ``v=None`` is rest.

    Ordinary autograd ops, so it also serves streaming inference and as the reference the
    fused scan is tested against.
    """
    u = lif_charge(current, v, params)
    s = lif_fire(u, params, smooth)
    return s, lif_reset(u, s, params)


def lif_scan_reference(
    current: Tensor,
    params: LIFParameters = _DEFAULT,
    v0: Tensor | None = None,
    smooth: bool = False,
) -> tuple[Tensor, Tensor]:
    """Step-by-step LIF over ``(T, B, ...)``: one graph node per op per step. Slow, obvious."""
    _check(params, current)
    v = v0
    spikes = []
    for x_t in current:
        s, v = lif_step(x_t, v, params, smooth)
        spikes.append(s)
    assert v is not None
    return torch.stack(spikes), v


class _ScanPlan(NamedTuple):
    """How the scan runs (not what the neuron is): which kernel, and a constant input's length."""

    smooth: bool
    use_native: bool
    num_steps: int | None


class _LIFScan(torch.autograd.Function):
    """The whole scan as one node. ``alpha`` is its own input so that autograd tracks it;
    ``params.alpha`` is the same tensor."""

    @staticmethod
    def forward(  # type: ignore[override]
        ctx,
        current: Tensor,
        v0: Tensor | None,
        alpha: Tensor,
        params: LIFParameters,
        plan: _ScanPlan,
    ) -> tuple[Tensor, Tensor]:
        sequence = _as_sequence(current, plan.num_steps)
        if plan.use_native:
            # The kernel recomputes the membrane in backward; keep only the input current.
            spikes, v_last = native.lif_forward(sequence, v0, params)
            ctx.save_for_backward(current, v0, alpha)
        else:
            spikes, u, v_last = forward_keeping_potential(sequence, v0, params, plan.smooth)
            ctx.save_for_backward(u, v0, alpha)
        ctx.params = params
        ctx.plan = plan
        ctx.has_v0 = v0 is not None
        return spikes, v_last

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_spikes: Tensor | None, grad_v_last: Tensor | None):  # type: ignore[override]
        saved, v0, alpha = ctx.saved_tensors
        params, plan = ctx.params.with_decay(alpha), ctx.plan
        need_current, need_v0, need_alpha = ctx.needs_input_grad[:3]
        need_v0 = need_v0 and ctx.has_v0
        constant_input = plan.num_steps is not None
        if plan.use_native:
            grad_current, grad_v0, grad_alpha_map = native.lif_backward(
                _as_sequence(saved, plan.num_steps),
                v0,
                params,
                grad_spikes,
                grad_v_last,
                need_v0,
                need_alpha,
                sum_time=constant_input,
            )
        else:
            grad_current, grad_v0, grad_alpha_map = backward_from_potential(
                saved, v0, params, grad_spikes, grad_v_last, plan.smooth, need_v0, need_alpha
            )
            if constant_input:
                grad_current = grad_current.sum(0)
        grad_alpha = _reduce_to(grad_alpha_map, alpha) if need_alpha else None
        return grad_current if need_current else None, grad_v0, grad_alpha, None, None


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
    params: LIFParameters = _DEFAULT,
    v0: Tensor | None = None,
    smooth: bool = False,
    backend: Backend = "auto",
    num_steps: int | None = None,
) -> tuple[Tensor, Tensor]:
    """Run LIF neurons over a whole sequence ``current`` of shape ``(T, B, ...)``.

    Returns ``(spikes, v_last)``: spikes ``(T, B, ...)`` in ``current``'s dtype (0/1, or the
    smooth step when ``smooth``) and the membrane after the last step, to continue a stream
    (pass it back as ``v0``). ``params.alpha`` may be a tensor that requires grad (a learnable
    decay): its gradient is computed. ``backend="native"`` uses the compiled CPU kernel,
    ``"torch"`` the pure-torch loop, ``"auto"`` the kernel when it is available and applicable.

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
    _check(params, sequence)
    alpha = _as_decay(params.alpha, current)
    params = params.with_decay(alpha)
    use_native = _choose_native(backend, sequence, v0, params, smooth)
    return _LIFScan.apply(current, v0, alpha, params, _ScanPlan(smooth, use_native, num_steps))


def _choose_native(
    backend: str, current: Tensor, v0: Tensor | None, params: LIFParameters, smooth: bool
) -> bool:
    if backend == "torch":
        return False
    applicable = native.supports(current, v0, params) and not smooth
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
