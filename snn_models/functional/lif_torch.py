"""The pure-torch LIF scan: a loop without graph forward, a one-op-per-step recursion backward.

It runs wherever the compiled kernel does not (GPU tensors, per-neuron decays, custom
surrogates, the smooth mode used by gradient checks). Forward keeps the charged potential
``u`` for every step; backward derives spikes, surrogate derivatives and reset factors from it,
precomputes ``B[t] = g_s[t] * sg[t]`` and ``C[t] = alpha * dv[t]/du[t]`` for all steps at once,
and then needs one fused multiply-add per step: ``g_u[t] = B[t] + C[t] * g_u[t+1]``.
"""

from __future__ import annotations

import torch
from torch import Tensor

from snn_models.functional.lif_parameters import LIFParameters

__all__ = ["backward_from_potential", "forward_keeping_potential", "reset_membrane"]


def reset_membrane(u: Tensor, params: LIFParameters, smooth: bool) -> Tensor:
    """Membrane after firing, computed from the charged potential alone (no graph)."""
    threshold = params.threshold
    if smooth:
        s = params.surrogate.primitive(u - threshold)
        return u - threshold * s if params.reset == "subtract" else u * (1 - s)
    fired = u >= threshold
    if params.reset == "subtract":
        # In u's dtype: a bool times a Python float is float32, which put 0.7 - 0.69999999
        # (~1e-8) into every float64 reset.
        return u - threshold * fired.to(u.dtype)
    return u.masked_fill(fired, 0.0)


def backward_from_potential(
    u: Tensor,
    v0: Tensor | None,
    params: LIFParameters,
    grad_spikes: Tensor | None,
    grad_v_last: Tensor | None,
    smooth: bool,
    need_v0: bool,
    need_alpha: bool,
) -> tuple[Tensor, Tensor | None, Tensor | None]:
    """Gradients ``(current, v0, per-neuron alpha)`` from the stored charged potential.

    ``params.alpha`` must be a tensor (the scan's decay input).
    """
    alpha, decay_input = params.alpha, params.decay_input
    grad_u, grad_alpha_map = _potential_gradient(
        grad_spikes, grad_v_last, u, v0, params, smooth, need_alpha and not decay_input
    )
    if need_alpha and decay_input:
        # u = a v + (1 - a) x  =>  du/da = v - x, with x recovered as (u - a v)/(1 - a)
        grad_alpha_map = _decay_input_alpha_grad(grad_u, u, v0, params, smooth)
    grad_current = grad_u * (1 - alpha) if decay_input else grad_u
    grad_v0 = alpha * grad_u[0] if need_v0 else None
    return grad_current, grad_v0, grad_alpha_map


def forward_keeping_potential(
    current: Tensor, v0: Tensor | None, params: LIFParameters, smooth: bool
) -> tuple[Tensor, Tensor, Tensor]:
    """``(spikes, u, v_last)`` without a graph; ``params.alpha`` must be a tensor."""
    alpha, threshold = params.alpha, params.threshold
    num_steps = current.shape[0]
    step_shape = torch.broadcast_shapes(current.shape[1:], alpha.shape)
    drive = current
    if params.decay_input:
        # Scale once for all steps (once in total when the input repeats over time).
        scale = 1 - alpha
        drive = (
            (current[0] * scale).unsqueeze(0).expand(num_steps, *step_shape)
            if current.stride(0) == 0 and num_steps > 1
            else current * scale
        )
    u = torch.empty((num_steps, *step_shape), dtype=current.dtype, device=current.device)
    v = v0
    for t in range(num_steps):
        if v is None:
            u[t].copy_(drive[t])
        else:
            torch.addcmul(drive[t], v, alpha, out=u[t])
        v = reset_membrane(u[t], params, smooth)
    spikes = params.surrogate.primitive(u - threshold) if smooth else (u >= threshold).to(u.dtype)
    assert v is not None
    return spikes, u, v


def _potential_gradient(
    grad_spikes: Tensor | None,
    grad_v_last: Tensor | None,
    u: Tensor,
    v0: Tensor | None,
    params: LIFParameters,
    smooth: bool,
    need_alpha: bool,
) -> tuple[Tensor, Tensor | None]:
    z = u - params.threshold
    sg = params.surrogate.derivative(z)
    jacobian = _membrane_jacobian(u, z, sg, params, smooth)
    carry = (params.alpha * jacobian).expand_as(u)
    grad_u = grad_spikes * sg if grad_spikes is not None else torch.zeros_like(u)
    num_steps = u.shape[0]
    if grad_v_last is not None:
        grad_u[-1].addcmul_(grad_v_last, jacobian[-1])
    # g_u[t] = B[t] + C[t] * g_u[t+1], with C = alpha * dv/du already folded in.
    for t in range(num_steps - 2, -1, -1):
        grad_u[t].addcmul_(carry[t], grad_u[t + 1])
    grad_alpha_map = None
    if need_alpha:
        v_prev = _previous_membrane(u, v0, params, smooth)
        grad_alpha_map = (grad_u * v_prev).sum(0)
    return grad_u, grad_alpha_map


def _membrane_jacobian(
    u: Tensor, z: Tensor, sg: Tensor, params: LIFParameters, smooth: bool
) -> Tensor:
    """dv[t]/du[t] through the direct path and, unless detached, through the spike."""
    if params.reset == "subtract":
        return torch.ones_like(u[:1]) if params.detach_reset else 1 - params.threshold * sg
    s = params.surrogate.primitive(z) if smooth else (z >= 0).to(u.dtype)
    keep = 1 - s
    return keep if params.detach_reset else keep - u * sg


def _previous_membrane(u: Tensor, v0: Tensor | None, params: LIFParameters, smooth: bool) -> Tensor:
    """``v[t-1]`` for every step, rebuilt from the stored charged potentials."""
    v_after = reset_membrane(u[:-1], params, smooth)
    first = torch.zeros_like(u[:1]) if v0 is None else v0.expand_as(u[0]).unsqueeze(0)
    return torch.cat([first, v_after])


def _decay_input_alpha_grad(
    grad_u: Tensor, u: Tensor, v0: Tensor | None, params: LIFParameters, smooth: bool
) -> Tensor:
    alpha = params.alpha
    v_prev = _previous_membrane(u, v0, params, smooth)
    drive = (u - alpha * v_prev) / (1 - alpha)
    return (grad_u * (v_prev - drive)).sum(0)
