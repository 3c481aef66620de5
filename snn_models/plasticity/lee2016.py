"""The learning system of Lee, Delbruck & Pfeiffer (2016), "Training deep spiking neural
networks using backpropagation" (Front. Neurosci. 10:508): seed 001.

Why it is not surrogate BPTT: the paper back-propagates through *time-aggregated* activity. A
neuron's spike count over the presentation is treated as ``a_i ≈ x_i / V_th,i`` with ``x_i`` its
total synaptic input (the spikes are noise on the membrane), so one backward pass per sample
replaces a pass per time step. Here every piece is its own function, checked by hand in the tests:

* **Forward** (:func:`simulate_layer`): LIF neurons driven by input events; a neuron fires when
  its potential reaches its own threshold ``V_th,i`` and is reset by subtracting it. Every spike
  inhibits the other neurons of its layer by ``kappa * V_th`` of the inhibited neuron
  (``kappa`` = 0.4 hidden, 1.0 output) and makes them refractory, like the spiking neuron itself.
  A refractory neuron's input synapses are scaled by the dynamic weight ``(dt / T_ref)^2``
  (:func:`refractory_weight`), ``dt`` the steps since its last spike or inhibition.
* **Aggregate-rate gradient** (:func:`aggregate_gain`): for an active neuron (``x_i > 0``)
  ``da_i/dx_i = 1 / (V_th,i (mu sigma (n - 1) + 1))``, the WTA factor for ``n`` active neurons
  in the circuit, lateral strength ``mu`` and the paper's ``sigma``; 0 for inactive neurons.
* **Error normalisation** (:func:`backward_errors`): a layer's error ``delta_i = (g_i / g_bar)
  dL/da_i`` with ``g_bar`` the mean gain of the layer's active neurons, so errors keep their
  scale from layer to layer whatever the thresholds.
* **Thresholds learn** by the same gradient, ``dL/dV_th,i = -dL/da_i * a_i / V_th,i``, at
  ``0.1`` times the weights' learning rate.
* **Threshold regulariser** (:func:`regularise_thresholds`): ``+rho N`` for a neuron that fired,
  ``-rho N_w`` for a silent one (``N`` neurons, ``N_w`` of them fired), floored at a fifth of
  the initial threshold; below the floor the neuron's weights are scaled up instead.
* **Weight penalty** (:func:`weight_penalty_grad`): ``beta * exp(lambda (sum_j w_ij^2 -
  alpha^2))`` per neuron, ``beta = 10``.
* **Initialisation**: ``W ~ U[-alpha/sqrt(M), alpha/sqrt(M)]``, ``V_th ~ U[alpha, 2 alpha]``.
* **Loss**: mean squared error between the output spike counts divided by their maximum and the
  one-hot label.

Readings chosen where the text is open are listed in docs/vision.md (seed 001).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from snn_models.neurons.base import SpikingNeuron
from snn_models.plasticity.membrane_bptt import RefractoryState

__all__ = [
    "Lee2016Network",
    "WTANeurons",
    "PoissonEvents",
    "aggregate_gain",
    "backward_errors",
    "count_loss",
    "refractory_weight",
    "regularise_thresholds",
    "simulate_layer",
    "weight_penalty_grad",
]


def refractory_weight(steps_since: Tensor, t_ref: float) -> Tensor:
    """Dynamic input weight ``min(1, (dt / T_ref)^2)`` ``dt`` steps after a spike/inhibition."""
    if t_ref <= 0:
        return torch.ones_like(steps_since)
    return (steps_since / t_ref).square().clamp(max=1.0)


class WTANeurons(SpikingNeuron):
    """The paper's winner-take-all layer of LIF neurons, as charge → fire → reset steps.

    * charge: the refractory clock advances, then ``v = decay * v + (dt / T_ref)^2 * i``
      (:func:`refractory_weight`);
    * fire: ``v >= V_th,i``, each neuron at its own threshold (no gradient: the paper
      differentiates the aggregate rate, :func:`aggregate_gain`, not the spikes);
    * reset: subtract the neuron's threshold, inhibit every other neuron of the layer by
      ``inhibition * V_th`` of the inhibited neuron, and restart the clock of every neuron that
      spiked or was inhibited.

    The thresholds are the network's learned parameters, so they are the step's ``params``
    (``threshold`` here is only the default :meth:`neuron_parameters` gives a standalone layer).
    """

    def __init__(
        self,
        inhibition: float,
        t_ref: float,
        decay: float,
        threshold: Tensor | None = None,
    ) -> None:
        super().__init__()
        self.inhibition, self.t_ref, self.decay = inhibition, t_ref, decay
        self.threshold = threshold

    def neuron_parameters(self) -> Tensor:
        if self.threshold is None:
            raise RuntimeError("pass the thresholds to scan(), or build the layer with them")
        return self.threshold

    def check_state_shape(self, state: RefractoryState | None, x: Tensor) -> None:
        super().check_state_shape(None if state is None else state.v, x)

    def neuronal_charge(
        self, x: Tensor, v: RefractoryState | None, params: Tensor
    ) -> RefractoryState:
        if v is None:
            v = RefractoryState(x.new_zeros(x.shape), torch.full_like(x, float("inf")))
        since = v.since + 1.0
        return RefractoryState(self.decay * v.v + refractory_weight(since, self.t_ref) * x, since)

    def neuronal_fire(self, u: RefractoryState, params: Tensor) -> Tensor:
        return (u.v >= params).to(u.v.dtype)

    def neuronal_reset(self, u: RefractoryState, spikes: Tensor, params: Tensor) -> RefractoryState:
        v = u.v - spikes * params
        others = spikes.sum(1, keepdim=True) - spikes
        v = v - self.inhibition * params * others
        hit = (spikes > 0) | (others > 0)
        return RefractoryState(v, torch.where(hit, torch.zeros_like(u.since), u.since))


def simulate_layer(
    current: Tensor, threshold: Tensor, inhibition: float, t_ref: float, decay: float
) -> tuple[Tensor, Tensor]:
    """Run a WTA layer of LIF neurons (:class:`WTANeurons`) on input currents ``(T, B, N)``
    (already ``W`` times the input events); returns the spikes ``(T, B, N)`` and the final
    potentials ``(B, N)``."""
    spikes, last = WTANeurons(inhibition, t_ref, decay).scan(current, None, threshold)
    return spikes, last.v


def aggregate_gain(total_input: Tensor, threshold: Tensor, mu: float, sigma: float) -> Tensor:
    """``da_i/dx_i`` per sample ``(B, N)``: ``1 / (V_th,i (mu sigma (n - 1) + 1))`` for active
    neurons (``x_i > 0``), ``n`` the number of active neurons of the sample; 0 otherwise."""
    active = (total_input > 0).to(total_input.dtype)
    n = active.sum(1, keepdim=True)
    wta = 1.0 / (mu * sigma * (n - 1).clamp(min=0) + 1.0)
    return active * wta / threshold


def backward_errors(grad_activity: Tensor, gain: Tensor) -> Tensor:
    """``delta_i = (g_i / g_bar) dL/da_i``, ``g_bar`` the mean gain over the active neurons of
    the layer (the whole batch), so normalised errors neither vanish nor explode by layer."""
    active = gain > 0
    g_bar = gain[active].mean() if active.any() else gain.new_tensor(1.0)
    return grad_activity * gain / g_bar


def count_loss(counts: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
    """MSE between max-normalised output counts and one-hot targets, and ``dL/dcounts``.

    ``L = 1/2 mean_b sum_i (c_i / max_k c_k - y_i)^2``; the maximum is treated as a constant in
    the derivative (a sample whose outputs are all silent is normalised by 1).
    """
    scale = counts.amax(1, keepdim=True).clamp(min=1.0)
    out = counts / scale
    diff = out - target
    loss = 0.5 * diff.square().sum(1).mean()
    return loss, diff / scale / counts.shape[0]


def weight_penalty_grad(weight: Tensor, beta: float, lam: float, alpha: float) -> Tensor:
    """Gradient of ``beta * sum_i exp(lam (sum_j w_ij^2 - alpha^2))`` with respect to ``W``."""
    norms = weight.square().sum(1, keepdim=True)
    return 2.0 * beta * lam * torch.exp(lam * (norms - alpha**2)) * weight


@torch.no_grad()
def regularise_thresholds(
    threshold: Tensor, weight: Tensor, fired: Tensor, rho: float, floor: Tensor
) -> None:
    """In place: ``+rho N`` for neurons that fired, ``-rho N_w`` for silent ones, per sample and
    summed over the batch (``fired (B, N)`` boolean); a threshold that would fall below ``floor``
    stays there and the neuron's weights grow by the same factor instead (the neuron's dynamics
    depend only on ``W / V_th``, so this is the same change)."""
    n = fired.shape[1]
    fired_f = fired.to(threshold.dtype)
    winners = fired_f.sum(1, keepdim=True)
    change = (rho * n * fired_f - rho * winners * (1.0 - fired_f)).sum(0)
    wanted = threshold + change
    below = wanted < floor
    scale = torch.where(below, floor / wanted.clamp(min=1e-12), torch.ones_like(wanted))
    scale = torch.where(below & (wanted <= 0), torch.full_like(scale, 1.0), scale)
    weight.mul_(scale.unsqueeze(1))
    threshold.copy_(torch.maximum(wanted, floor))


class PoissonEvents(nn.Module):
    """``(B, ...)`` intensities in [0, 1] -> ``(T, B, ...)`` Poisson event counts per step with
    mean ``rate * intensity`` (the paper's artificially generated input events)."""

    def __init__(self, T: int, rate: float = 0.2) -> None:
        super().__init__()
        self.T, self.rate = T, float(rate)

    def forward(self, x: Tensor) -> Tensor:
        means = (x * self.rate).unsqueeze(0).expand(self.T, *x.shape)
        return torch.poisson(means.contiguous())

    def extra_repr(self) -> str:
        return f"T={self.T}, rate={self.rate}"


class Lee2016Network(nn.Module):
    """Fully connected ``sizes`` (e.g. 784-800-10) WTA spiking network of the paper.

    ``forward(events (T, B, in))`` returns output spike counts ``(B, out)`` plus a small tie-break
    by the total input (a sample with equal counts goes to the more driven neuron), the logits.
    """

    def __init__(
        self,
        sizes: tuple[int, ...],
        alpha: float = math.sqrt(3.0),
        inhibition: tuple[float, float] = (0.4, 1.0),
        t_ref: float = 2.0,
        tau: float = 20.0,
        sigma: float = 1.0,
    ) -> None:
        super().__init__()
        self.sizes, self.alpha, self.t_ref, self.sigma = tuple(sizes), float(alpha), t_ref, sigma
        self.decay = math.exp(-1.0 / tau)
        layers = len(sizes) - 1
        self.inhibition = [inhibition[0]] * (layers - 1) + [inhibition[1]]
        weights, thresholds = [], []
        for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
            bound = alpha / math.sqrt(n_in)
            weights.append(nn.Parameter(torch.empty(n_out, n_in).uniform_(-bound, bound)))
            thresholds.append(nn.Parameter(torch.empty(n_out).uniform_(alpha, 2 * alpha)))
        self.weights = nn.ParameterList(weights)
        self.thresholds = nn.ParameterList(thresholds)
        for index, th in enumerate(thresholds):
            self.register_buffer(f"floor{index}", th.detach() / 5.0)

    def floor(self, layer: int) -> Tensor:
        return getattr(self, f"floor{layer}")

    def run(self, events: Tensor) -> list[tuple[Tensor, Tensor, Tensor]]:
        """Per layer: (input event counts ``(B, M)``, total input ``x (B, N)``, spikes)."""
        records = []
        pre = events
        for layer, (w, th) in enumerate(zip(self.weights, self.thresholds, strict=True)):
            current = pre @ w.T
            spikes, _ = simulate_layer(current, th, self.inhibition[layer], self.t_ref, self.decay)
            counts_in = pre.sum(0)
            records.append((counts_in, counts_in @ w.T, spikes))
            pre = spikes
        return records

    def forward(self, events: Tensor) -> Tensor:
        with torch.no_grad():
            _, total, spikes = self.run(events)[-1]
            return spikes.sum(0) + 1e-3 * torch.tanh(total)

    @torch.no_grad()
    def set_gradients(
        self, events: Tensor, target: Tensor, beta: float = 10.0, lam: float = 0.01
    ) -> tuple[float, Tensor, list[Tensor]]:
        """Forward, then ``.grad`` of every weight and threshold by the aggregate-rate rule.

        ``target`` is one-hot ``(B, out)``. Returns the loss, the logits and each layer's
        per-sample "fired" mask (for :func:`regularise_thresholds`).
        """
        records = self.run(events)
        counts = records[-1][2].sum(0)
        loss, grad_activity = count_loss(counts, target)
        fired = [spikes.sum(0) > 0 for _, _, spikes in records]
        for layer in reversed(range(len(records))):
            counts_in, total, spikes = records[layer]
            w, th = self.weights[layer], self.thresholds[layer]
            activity = spikes.sum(0)
            gain = aggregate_gain(total, th, self.inhibition[layer], self.sigma)
            delta = backward_errors(grad_activity, gain)
            w.grad = delta.T @ counts_in + weight_penalty_grad(w, beta, lam, self.alpha)
            th.grad = -(grad_activity * activity / th).sum(0)
            grad_activity = delta @ w
        logits = counts + 1e-3 * torch.tanh(records[-1][1])
        return float(loss), logits, fired

    def extra_repr(self) -> str:
        return (
            f"sizes={self.sizes}, alpha={self.alpha:.3g}, inhibition={self.inhibition}, "
            f"t_ref={self.t_ref}, sigma={self.sigma}"
        )
