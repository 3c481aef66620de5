"""Membrane-BPTT: surrogate-gradient BPTT through a time-stepped LIF layer with mechanisms
borrowed from Lee, Delbruck & Pfeiffer (2016), "Training deep spiking neural networks using
backpropagation" (Front. Neurosci. 10:508).

This is *not* that paper's learning system (which back-propagates through time-aggregated
activity; see :mod:`snn_models.plasticity.lee2016`): it differentiates every time step, and in
the vision presets runs with batch norm and cross-entropy. Each borrowed piece is separate here:

* **Back-propagation through the membrane potential** (Sec. 2.3): a spike is treated as noise
  on the membrane, so a neuron's output is differentiated as if it were its potential divided by
  its threshold (``a = x / V_th``). :func:`membrane_spike` fires a Heaviside step forward and
  passes ``grad / V_th`` backward, also to neurons far below threshold (which therefore can
  still learn: there is no dead zone as with a narrow surrogate bump).
* **Winner-take-all lateral inhibition** (Sec. 2.2): at most ``k`` neurons fire per step, and
  every spike pushes the other neurons' potentials down by ``inhibition * V_th``.
* **Threshold regularisation** (Sec. 2.4.2): each neuron that fires has its threshold raised by
  ``rho * N`` and every neuron's threshold is then lowered by ``rho`` per spike of the layer,
  so the mean threshold is kept and neurons that fire too much give way to silent ones.
* **Exponential weight regularisation** (Sec. 2.4.1): ``lambda/2 * sum_i exp(beta * (|w_i|^2 -
  1))`` over each neuron's incoming weights ``w_i``, which lets norms grow to about 1 and then
  penalises them sharply (a soft max-norm).
* **Dynamic-weight refractory period** (Sec. 2.1): after a spike the neuron's input is scaled by
  ``1 - exp(-dt / tau_ref)`` (0 at the spike, recovering with the steps since it), the
  time-stepped version of the paper's weights that recover after a spike.

State is per call (multi-step, ``(T, B, N)`` in and out); thresholds are a buffer, so they are
saved with the weights and used unchanged at test time.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import Tensor

from snn_models.functional.lif_parameters import DEFAULT_TAU, DEFAULT_THRESHOLD
from snn_models.functional.time import repeat_over_time
from snn_models.neurons.base import SpikingNeuron
from snn_models.plasticity.wta import k_winners
from snn_models.surrogates import Surrogate, get_surrogate

__all__ = [
    "MembraneBPTTLIF",
    "RefractoryState",
    "exponential_weight_penalty",
    "membrane_spike",
    "threshold_update",
]


class _MembraneSpike(torch.autograd.Function):
    @staticmethod
    def forward(
        ctx, v: Tensor, threshold: Tensor, allowed: Tensor, ceiling: float | None
    ) -> Tensor:  # type: ignore[override]
        passing = allowed & (v > 0)
        if ceiling is not None:
            passing = passing & (v < ceiling * threshold)
        ctx.save_for_backward(threshold, passing)
        return ((v >= threshold) & allowed).to(v.dtype)

    @staticmethod
    def backward(ctx, grad: Tensor):  # type: ignore[override]
        threshold, allowed = ctx.saved_tensors
        # d(spike)/dv = 1 / V_th where the potential is positive (a = x / V_th of Lee et al.
        # 2016, which holds for a neuron driven above rest; below rest it emits nothing);
        # neurons suppressed by the winner-take-all circuit pass no gradient.
        return grad * allowed.to(grad.dtype) / threshold, None, None, None


def membrane_spike(
    v: Tensor, threshold: Tensor, allowed: Tensor | None = None, ceiling: float | None = None
) -> Tensor:
    """``H(v - threshold)`` (masked by ``allowed``) whose gradient is ``1 / threshold``.

    The gradient passes where ``v > 0``; with ``ceiling`` only where ``0 < v < ceiling *
    threshold``. Why a ceiling: the paper's ``a = x / V_th`` is a rate in continuous time,
    but a time-stepped neuron emits at most one spike per step, so once ``v`` is far above
    threshold more input no longer adds spikes in that step. ``ceiling = 2`` stops the
    pass-through where one reset by subtraction would still leave the neuron above threshold.
    This is our adaptation to discrete time, not part of the paper.
    """
    if allowed is None:
        allowed = torch.ones_like(v, dtype=torch.bool)
    if ceiling is not None and ceiling <= 1.0:
        raise ValueError(f"ceiling must be > 1 (in units of the threshold), got {ceiling}")
    return _MembraneSpike.apply(v, threshold.expand_as(v), allowed, ceiling)


def exponential_weight_penalty(weight: Tensor, beta: float = 10.0, lam: float = 1e-3) -> Tensor:
    """``lam / 2 * sum_i exp(beta * (sum_j w_ij^2 - 1))`` over output neurons ``i`` (rows)."""
    norms = weight.flatten(1).square().sum(1)
    return 0.5 * lam * torch.exp(beta * (norms - 1.0)).sum()


def threshold_update(
    threshold: Tensor, spike_counts: Tensor, rho: float, minimum: float = 0.05
) -> Tensor:
    """New thresholds after a batch with ``spike_counts`` per neuron (averaged per sample).

    Each spike of neuron ``i`` raises its threshold by ``rho * N``; each spike of the layer
    lowers all ``N`` thresholds by ``rho``. The sum of thresholds is unchanged (before the
    floor at ``minimum``); a silent neuron's threshold only falls, until it fires.
    """
    n = spike_counts.numel()
    change = rho * (n * spike_counts - spike_counts.sum())
    return (threshold + change).clamp(min=minimum)


class RefractoryState(NamedTuple):
    """A neuron's membrane ``v`` and the steps ``since`` its last spike (or inhibition): the
    state of neurons with a refractory period, carried from step to step as one value."""

    v: Tensor
    since: Tensor


class MembraneBPTTLIF(SpikingNeuron):
    """LIF neurons trained as in Lee et al. (2016); a drop-in for :class:`~snn_models.LIF`.

    A :class:`~snn_models.neurons.SpikingNeuron`: charge (refractory input scaling, leak), fire
    (winner-take-all, membrane or surrogate gradient) and reset (detached subtraction, lateral
    inhibition, refractory clock) are its three steps, run by the base class's reference loop
    on a :class:`RefractoryState`.

    Args:
        features: neurons in the layer (thresholds are per neuron).
        tau: membrane time constant in steps; ``alpha = 1 - 1/tau``.
        threshold: initial threshold of every neuron.
        k: winners allowed per step and sample (``None``: no winner-take-all).
        inhibition: lateral inhibition per spike, in units of the threshold.
        refractory_tau: time constant of the dynamic-weight refractory period (``None``: off).
        rho: threshold-regularisation rate used by :meth:`regularise_thresholds`.
        surrogate: ``None`` for the paper's membrane pass-through gradient, or a surrogate
            (e.g. ``"atan"``) to keep the other mechanisms with a surrogate gradient.
        gradient_ceiling: with the membrane gradient, pass it only where the potential is
            below this many thresholds (see :func:`membrane_spike`; ``None``: no ceiling).

    In training mode the layer remembers the spike counts of its last call, so a learning rule
    can call :meth:`regularise_thresholds` after its optimizer step. Multi-step only, from rest
    every call (the winner-take-all circuit and the counts are per sequence).
    """

    def __init__(
        self,
        features: int,
        tau: float = DEFAULT_TAU,
        threshold: float = DEFAULT_THRESHOLD,
        k: int | None = None,
        inhibition: float = 0.0,
        refractory_tau: float | None = None,
        rho: float = 0.0,
        surrogate: str | Surrogate | None = None,
        gradient_ceiling: float | None = None,
    ) -> None:
        super().__init__()
        if gradient_ceiling is not None and gradient_ceiling <= 1.0:
            raise ValueError(f"gradient_ceiling must be > 1, got {gradient_ceiling}")
        self.gradient_ceiling = gradient_ceiling
        if tau <= 1.0:
            raise ValueError(f"tau must be > 1 step, got {tau}")
        self.features = features
        self.alpha = 1.0 - 1.0 / tau
        self.k = k
        self.inhibition = float(inhibition)
        self.refractory_tau = refractory_tau
        self.rho = float(rho)
        # None: the paper's membrane pass-through; a surrogate instead isolates what the other
        # mechanisms do (an ablation, not the paper's method).
        self.surrogate = get_surrogate(surrogate) if surrogate is not None else None
        self.register_buffer("threshold", torch.full((features,), float(threshold)))
        self.last_counts: Tensor | None = None

    def neuron_parameters(self) -> Tensor:
        """The thresholds, per neuron."""
        return self.threshold

    def neuronal_charge(
        self, x: Tensor, v: RefractoryState | None, params: Tensor
    ) -> RefractoryState:
        if v is None:
            v = RefractoryState(x.new_zeros(x.shape), torch.full_like(x, math.inf))
        if self.refractory_tau is not None:
            x = x * (1.0 - torch.exp(-v.since / self.refractory_tau))
        return RefractoryState(self.alpha * v.v + x, v.since)

    def neuronal_fire(self, u: RefractoryState, params: Tensor) -> Tensor:
        v, theta = u.v, params
        allowed = torch.ones_like(v, dtype=torch.bool)
        if self.k is not None:
            with torch.no_grad():
                candidates = v >= theta
                winners = k_winners(v - theta, candidates, self.k)
                allowed = ~candidates | winners
        if self.surrogate is None:
            return membrane_spike(v, theta, allowed, self.gradient_ceiling)
        return self.surrogate(v - theta) * allowed.to(v.dtype)

    def neuronal_reset(self, u: RefractoryState, spikes: Tensor, params: Tensor) -> RefractoryState:
        theta, s = params, spikes
        # Reset by subtraction, kept out of the gradient: the output is treated as the
        # potential over the threshold, as in the paper's a = x / V_th.
        v = u.v - (s * theta).detach()
        if self.inhibition > 0:
            others = s.sum(-1, keepdim=True) - s
            v = v - (self.inhibition * theta * others).detach()
        with torch.no_grad():
            since = torch.where(s > 0, torch.ones_like(u.since), u.since + 1)
        return RefractoryState(v, since)

    def single_step_forward(self, x: Tensor) -> Tensor:
        raise NotImplementedError("MembraneBPTTLIF runs whole sequences (multi-step mode)")

    def multi_step_forward(self, current: Tensor) -> Tensor:
        if current.dim() != 3 or current.shape[-1] != self.features:
            raise ValueError(
                f"expected (T, B, {self.features}) currents, got {tuple(current.shape)}"
            )
        out, _ = self.scan(current, None, self.threshold.to(current.dtype))
        if self.training:
            self.last_counts = out.detach().sum(0).mean(0)
        return out

    def forward_repeated(self, step: Tensor, num_steps: int) -> Tensor:
        return self(repeat_over_time(step, num_steps))

    @torch.no_grad()
    def regularise_thresholds(self) -> None:
        """Apply :func:`threshold_update` with the spike counts of the last training call."""
        if self.rho <= 0 or self.last_counts is None:
            return
        self.threshold.copy_(threshold_update(self.threshold, self.last_counts, self.rho))

    def extra_repr(self) -> str:
        return (
            f"features={self.features}, alpha={self.alpha:.3g}, k={self.k}, "
            f"inhibition={self.inhibition}, refractory_tau={self.refractory_tau}, rho={self.rho}, "
            f"surrogate={self.surrogate}, gradient_ceiling={self.gradient_ceiling}"
        )
