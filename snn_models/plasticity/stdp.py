"""Spike-timing-dependent plasticity (STDP) as pure functions of time-major spike trains.

Pair-based STDP with exponential traces (Song, Miller & Abbott 2000; Morrison et al. 2008):
a presynaptic spike at ``t_pre`` and a postsynaptic one at ``t_post = t_pre + dt`` change the
weight by ``+a_plus * exp(-dt / tau_plus)`` when ``dt > 0`` (pre before post: potentiation) and
by ``-a_minus * exp(dt / tau_minus)`` when ``dt < 0`` (post before pre: depression). Summing
over all pairs is the same as reading a decaying trace of the other side at each spike, which
is how :func:`stdp_update` computes it: O(T) steps, one outer product each.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

__all__ = ["exponential_trace", "stdp_update", "trace_stdp_update"]


def exponential_trace(spikes: Tensor, tau: float) -> Tensor:
    """``x[t] = exp(-1/tau) * x[t-1] + s[t]`` over ``(T, ...)`` spikes (all-to-all pairing).

    The trace at ``t`` counts the spikes up to and including ``t``, each weighted by
    ``exp(-(t - t_spike) / tau)``.
    """
    decay = math.exp(-1.0 / tau)
    trace = torch.zeros_like(spikes[0])
    out = []
    for s in spikes:
        trace = decay * trace + s
        out.append(trace)
    return torch.stack(out)


def stdp_update(
    pre: Tensor,
    post: Tensor,
    a_plus: float = 0.01,
    a_minus: float = 0.0105,
    tau_plus: float = 20.0,
    tau_minus: float = 20.0,
) -> Tensor:
    """Weight change ``(N_post, N_pre)`` from spikes ``pre (T, B, N_pre)``, ``post (T, B, N_post)``.

    Summed over the batch. Pairs at the same step count as neither potentiation nor depression.
    """
    decay_plus = math.exp(-1.0 / tau_plus)
    decay_minus = math.exp(-1.0 / tau_minus)
    # Traces just before each step: only strictly earlier spikes pair with the current one.
    pre_trace = torch.zeros_like(pre[0])
    post_trace = torch.zeros_like(post[0])
    dw = pre.new_zeros(post.shape[-1], pre.shape[-1])
    for s_pre, s_post in zip(pre, post, strict=True):
        pre_trace = pre_trace * decay_plus
        post_trace = post_trace * decay_minus
        dw += a_plus * s_post.T @ pre_trace  # post now, pre earlier: potentiation
        dw -= a_minus * post_trace.T @ s_pre  # pre now, post earlier: depression
        pre_trace = pre_trace + s_pre
        post_trace = post_trace + s_post
    return dw


def trace_stdp_update(pre: Tensor, post: Tensor, weight: Tensor, tau: float = 5.0) -> Tensor:
    """Soft-bounded STDP of Diehl & Cook (2015): at each postsynaptic spike,
    ``dw = x_pre - w`` (the presynaptic trace, normalised to a rate, minus the weight).

    Potentiation of recently active inputs and depression of the rest, so each neuron's weight
    vector settles at the mean input pattern that makes it fire (the fixed point of the rule):
    competitive learning of prototypes. Returns the change ``(N_post, N_pre)`` averaged over
    the postsynaptic spikes of the batch (zero rows for silent neurons).
    """
    trace = exponential_trace(pre, tau) * (1.0 - math.exp(-1.0 / tau))
    drive = torch.einsum("tbo,tbi->oi", post, trace)
    counts = post.sum((0, 1))
    dw = drive - counts.unsqueeze(1) * weight
    return dw / counts.clamp(min=1.0).unsqueeze(1)
