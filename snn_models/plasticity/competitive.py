"""Competitive STDP + delta-rule readout: a back-propagation-free network of our own.

It began as a reading of Zhang et al. (AAAI 2018), "A plasticity-centric approach to train the
non-differential spiking neural networks", but it is not that paper's method (which learns
membrane potentials by equilibrium dynamics, with differential STDP in every layer; see
:mod:`snn_models.plasticity.equilibrium`).

A three-layer spiking network (input, hidden, output) learns in two stages, neither of which
propagates an error across a layer:

1. **Unsupervised, layer-wise** (:class:`CompetitiveSTDPLayer`): the hidden layer's LIF neurons
   compete (k-winner-take-all) and their synapses follow soft-bounded STDP
   (:func:`~snn_models.plasticity.stdp.trace_stdp_update`). A neuron's weights converge to
   the equilibrium of that rule, the mean input that makes it fire, so the hidden layer ends up
   holding prototypes of the inputs; adaptive thresholds keep every neuron taking part.
2. **Supervised, output layer** (:class:`TeacherOutputLayer`): a teacher signal moves the output
   neurons' membrane potentials: the correct class's potential towards ``target_high``, the
   others towards ``target_low``. The synapses then change by presynaptic rate times the change
   of postsynaptic potential, ``dW = lr * (V_teacher - V_free) r_pre^T``: the STDP rule of
   Bengio et al. (2015), under which spike-timing dependence is the product of presynaptic
   activity and the temporal change of the postsynaptic potential.

Everything is local in space (each update reads only the two sides of its synapse) and runs
under ``torch.no_grad()``. This is our reading of the paper's method at the level of detail its
text gives, not a line-by-line port: the paper's exact equilibrium dynamics are not reproduced.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from snn_models.functional.lif_parameters import DEFAULT_TAU
from snn_models.neurons.base import SpikingNeuron
from snn_models.plasticity.membrane_bptt import threshold_update
from snn_models.plasticity.stdp import trace_stdp_update
from snn_models.plasticity.wta import k_winners
from snn_models.state import TimeAwareModule

__all__ = [
    "CompetitiveSTDPLayer",
    "KWinnersLIF",
    "KWinnersParameters",
    "TeacherOutputLayer",
    "teacher_potentials",
]


class KWinnersParameters(NamedTuple):
    """What a step of :class:`KWinnersLIF` reads: per-neuron thresholds and the winners allowed."""

    threshold: Tensor
    k: int


class KWinnersLIF(SpikingNeuron):
    """LIF neurons of which at most ``k`` fire per sample and step, as charge → fire → reset.

    * charge: ``v = alpha * v + i``;
    * fire: among the neurons at or above their own threshold, the ``k`` furthest above it
      (:func:`~snn_models.plasticity.wta.k_winners`); no surrogate gradient, since the layer
      that owns them learns by STDP;
    * reset: subtract the neuron's threshold.

    The thresholds adapt as the layer learns and the layer's ``k`` differs between learning and
    inference, so both are the step's ``params`` (:class:`KWinnersParameters`), not settings.
    """

    def __init__(self, alpha: float) -> None:
        super().__init__()
        self.alpha = alpha

    def neuronal_charge(self, x: Tensor, v: Tensor | None, params: KWinnersParameters) -> Tensor:
        if v is None:
            v = x.new_zeros(x.shape)
        return self.alpha * v + x

    def neuronal_fire(self, u: Tensor, params: KWinnersParameters) -> Tensor:
        drive = u - params.threshold
        return k_winners(drive, drive >= 0, params.k).to(u.dtype)

    def neuronal_reset(self, u: Tensor, spikes: Tensor, params: KWinnersParameters) -> Tensor:
        return u - spikes * params.threshold

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class CompetitiveSTDPLayer(TimeAwareModule):
    """Dense synapses + :class:`KWinnersLIF` neurons, learned by soft-bounded STDP;
    ``(T, B, in) -> (T, B, out)``.

    Weights start as non-negative random unit vectors and are kept at unit L2 norm (the
    synaptic resources of a neuron are bounded). The input current of a neuron is the cosine-like
    match ``w . x`` scaled by ``gain``.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        k: int = 10,
        tau: float = 4.0,
        gain: float = 2.0,
        rho: float = 1e-4,
        trace_tau: float = 5.0,
        learn_k: int = 1,
    ) -> None:
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.k, self.gain, self.rho, self.trace_tau = k, float(gain), float(rho), float(trace_tau)
        self.learn_k = learn_k
        self.neurons = KWinnersLIF(alpha=1.0 - 1.0 / tau)
        weight = torch.rand(out_features, in_features)
        self.weight = nn.Parameter(F.normalize(weight, dim=1), requires_grad=False)
        self.register_buffer("threshold", torch.full((out_features,), 1.0))

    def forward(self, x: Tensor, k: int | None = None) -> Tensor:
        k = self.k if k is None else k
        unit = x / x.norm(dim=-1, keepdim=True).clamp(min=1e-6)
        current = self.gain * unit @ self.weight.T
        spikes, _ = self.neurons.scan(current, None, KWinnersParameters(self.threshold, k))
        return spikes

    @torch.no_grad()
    def learn(self, x: Tensor, lr: float) -> Tensor:
        """One unsupervised step on input spikes/currents ``x (T, B, in)``; returns the spikes."""
        spikes = self(x, k=self.learn_k)
        dw = trace_stdp_update(x, spikes, self.weight, tau=self.trace_tau)
        self.weight.add_(lr * dw).clamp_(min=0.0)
        self.weight.copy_(F.normalize(self.weight, dim=1))
        counts = spikes.sum(0).mean(0)
        self.threshold.copy_(threshold_update(self.threshold, counts, self.rho, minimum=0.05))
        return spikes

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, k={self.k}, "
            f"gain={self.gain}, rho={self.rho}"
        )


def teacher_potentials(
    target: Tensor, num_classes: int, high: float = 1.0, low: float = 0.0
) -> Tensor:
    """The output potentials the teacher signal drives towards: ``high`` for the label."""
    return F.one_hot(target, num_classes).to(torch.float32) * (high - low) + low


class TeacherOutputLayer(TimeAwareModule):
    """Output synapses whose potentials (averaged over time) are the logits.

    ``learn`` runs the free phase, moves the potentials towards the teacher's and applies
    ``dW = lr * (V_teacher - V_free) r_pre^T`` (the STDP of Bengio et al. 2015 in rate form).
    """

    def __init__(self, in_features: int, out_features: int, tau: float = DEFAULT_TAU) -> None:
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.alpha = 1.0 - 1.0 / tau
        bound = 1.0 / math.sqrt(in_features)
        self.weight = nn.Parameter(
            torch.empty(out_features, in_features).uniform_(-bound, bound), requires_grad=False
        )
        self.bias = nn.Parameter(torch.zeros(out_features), requires_grad=False)
        # Running mean of the presynaptic rates: subtracting it (a feed-forward inhibitory
        # baseline) turns the rule into the covariance rule, which converges much faster on
        # all-positive spike rates than the plain Hebbian product.
        self.register_buffer("baseline", torch.zeros(in_features))
        self.momentum = 0.05

    def potentials(self, x: Tensor) -> Tensor:
        """Time-averaged membrane potential of a non-spiking leaky integrator, ``(B, out)``.

        Scaled by ``1 - alpha`` so a constant input current ``i`` settles at ``i``.
        """
        current = (x - self.baseline) @ self.weight.T + self.bias
        v = torch.zeros_like(current[0])
        total = torch.zeros_like(v)
        for i in current:
            v = self.alpha * v + (1.0 - self.alpha) * i
            total = total + v
        return total / current.shape[0]

    def forward(self, x: Tensor) -> Tensor:
        return self.potentials(x)

    @torch.no_grad()
    def learn(self, x: Tensor, target: Tensor, lr: float) -> Tensor:
        """One supervised step; returns the free-phase potentials (the logits)."""
        self.baseline.lerp_(x.mean((0, 1)), self.momentum)
        free = self.potentials(x)
        teacher = teacher_potentials(target, self.out_features).to(free)
        error = teacher - free
        rate = x.mean(0) - self.baseline
        # Normalised step (NLMS): divide by the mean squared presynaptic rate, so the step size
        # does not depend on how many hidden neurons fire.
        scale = rate.square().sum(1).mean().clamp(min=1e-6) + 1.0
        self.weight.add_(lr * error.T @ rate / (x.shape[1] * scale))
        self.bias.add_(lr * error.mean(0) / scale)
        return free
