"""The plasticity-centric network of Zhang, Zeng, Zhao & Shi (AAAI 2018), "A plasticity-centric
approach to train the non-differential spiking neural networks" (seed 003).

Why it differs from every other rule in the library: the *membrane potentials* are what learns.
No error is propagated across a synapse and no weight is a target of an optimiser; potentials
move under local dynamics and a teacher, and every synapse follows the potential of the neuron it
feeds, by differential STDP (Bengio et al. 2015): ``dW_ij ∝ rho(V_j) · dV_i/dt``, presynaptic
activity times the change of the postsynaptic potential.

Per sample (a batch of them in parallel), input layer clamped to the pixel rates ``x``:

1. **Feed-forward term** ``V^FF``: each layer's potential is the feed-forward drive it receives,
   ``V_l = W_{l-1} rho(V_{l-1}) + b_{l-1}``, layer after layer (:meth:`feed_forward`).
2. **Equilibrium-state term** ``V^ES``: the potentials then descend the layered Hopfield energy
   ``E = 1/2 sum_l |V_l|^2 - sum_l rho(V_{l+1})^T W_l rho(V_l) - sum_l b_l^T rho(V_{l+1})``
   (:func:`energy`) for ``steps`` iterations of ``V <- V - step * dE/dV``. The part of ``E``
   that depends on one neuron, ``E_i``, has the derivative :func:`energy_gradient`:
   ``V_i - rho'(V_i) (bottom-up + top-down input)``, so the equilibrium also carries the layer
   above's state down through the same synapses (the balance of a neuron's inputs and outputs).
3. **Teacher**: output neurons are stimulated at a fixed frequency, the label's at
   ``teacher_rate`` and the others at 0; the potential that produces that rate is the target
   ``V_T`` of the output layer. The hidden layer's target is its equilibrium with the output
   held at ``V_T`` (the teacher reaches it only through the feedback synapses).
4. **Supervised potential update** of the last two layers: ``V <- V - lr * d/dV sum_i (V_i -
   V_T,i)^2``.

Weights change in every layer during steps 2 and 4, interleaved with the potentials: after each
phase the accumulated ``sum_t rho(V_pre(t)) (V_post(t+1) - V_post(t))`` is applied
(:func:`differential_stdp`). Step 2 alone is unsupervised (the feed-forward weights learn to
produce the equilibrium directly); step 4 adds the teacher's error.

Readings of the paper chosen where its text is open (docs/vision.md, seed 003, lists them with
the reason for each): the rate of a neuron at potential ``V`` is the hard sigmoid
``rho(V) = clip(V, 0, 1)`` (the firing rate of an integrate-and-fire neuron driven at ``V``
thresholds, saturating at one spike per step); the simulation runs on those rates, not on
sampled spikes; the weight step is ``weight_lr / (|rho(pre)|^2 + 1)`` so that at ``weight_lr = 1``
the synapses take up exactly the potential change (see :meth:`PlasticityCentricNetwork.learn`).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = [
    "PlasticityCentricNetwork",
    "differential_stdp",
    "energy",
    "energy_gradient",
    "equilibrium_step",
    "rate",
    "rate_slope",
]


def rate(v: Tensor) -> Tensor:
    """Firing rate (spikes per step) of a neuron at potential ``v`` (threshold 1): clip(v, 0, 1)."""
    return v.clamp(0.0, 1.0)


def rate_slope(v: Tensor) -> Tensor:
    """``rho'(v)``: 1 inside (0, 1), where the rate follows the potential, else 0."""
    return ((v > 0.0) & (v < 1.0)).to(v.dtype)


def energy_gradient(v: Tensor, bottom_up: Tensor, top_down: Tensor | None = None) -> Tensor:
    """``dE_i/dV_i = V_i - rho'(V_i) (bottom_up_i + top_down_i)``.

    ``bottom_up`` is ``W_{l-1} rho(V_{l-1}) + b_{l-1}``, ``top_down`` is ``W_l^T rho(V_{l+1})``
    (absent for the output layer).
    """
    drive = bottom_up if top_down is None else bottom_up + top_down
    return v - rate_slope(v) * drive


def equilibrium_step(v: Tensor, bottom_up: Tensor, top_down: Tensor | None, step: float) -> Tensor:
    """One ``V^ES`` iteration: ``V - step * dE/dV``."""
    return v - step * energy_gradient(v, bottom_up, top_down)


def energy(
    x: Tensor, potentials: list[Tensor], weights: list[Tensor], biases: list[Tensor]
) -> Tensor:
    """Per-sample energy ``(B,)`` of the layered network with the input clamped to ``x``."""
    rates = [x] + [rate(v) for v in potentials]
    total = 0.5 * sum(v.square().sum(1) for v in potentials)
    for layer, (w, b) in enumerate(zip(weights, biases, strict=True)):
        total = total - ((rates[layer + 1] @ w) * rates[layer]).sum(1)
        total = total - rates[layer + 1] @ b
    return total


def differential_stdp(pre_rate: Tensor, dv_post: Tensor, lr: float) -> Tensor:
    """Weight change ``(N_post, N_pre)``: ``lr * mean_b dV_post ⊗ rho(V_pre)``.

    Presynaptic activity times the change of the postsynaptic potential (Bengio et al. 2015):
    a synapse grows when its input is active while the neuron it feeds depolarises.
    """
    return lr * dv_post.T @ pre_rate / pre_rate.shape[0]


class PlasticityCentricNetwork(nn.Module):
    """Fully connected ``sizes[0]-...-sizes[-1]`` network trained by :meth:`learn`.

    ``forward`` takes ``(T, B, in)`` (or ``(B, in)``) input rates, averages them over time, and
    returns the output potentials at equilibrium ``(B, out)``: the logits.
    """

    def __init__(
        self,
        sizes: tuple[int, ...],
        steps: int = 100,
        step: float = 0.5,
        lr: float = 0.05,
        weight_lr: float = 1.0,
        teacher_rate: float = 1.0,
        free_phase_stdp: float = 1.0,
    ) -> None:
        super().__init__()
        if len(sizes) < 3:
            raise ValueError("the network needs an input, a hidden and an output layer")
        self.sizes, self.steps, self.step = tuple(sizes), steps, float(step)
        self.lr, self.weight_lr, self.teacher_rate = float(lr), float(weight_lr), teacher_rate
        self.free_phase_stdp = float(free_phase_stdp)
        weights, biases = [], []
        for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
            bound = 1.0 / math.sqrt(n_in)
            weights.append(torch.empty(n_out, n_in).uniform_(-bound, bound))
            biases.append(torch.zeros(n_out))
        self.weights = nn.ParameterList(nn.Parameter(w, requires_grad=False) for w in weights)
        self.biases = nn.ParameterList(nn.Parameter(b, requires_grad=False) for b in biases)

    # -- dynamics -------------------------------------------------------------------------
    def feed_forward(self, x: Tensor) -> list[Tensor]:
        """``V^FF``: every layer's potential set by the layer below only."""
        potentials, pre = [], x
        for w, b in zip(self.weights, self.biases, strict=True):
            v = pre @ w.T + b
            potentials.append(v)
            pre = rate(v)
        return potentials

    def _bottom_up(self, x: Tensor, potentials: list[Tensor], layer: int) -> Tensor:
        pre = x if layer == 0 else rate(potentials[layer - 1])
        return pre @ self.weights[layer].T + self.biases[layer]

    def relax(
        self,
        x: Tensor,
        potentials: list[Tensor],
        steps: int,
        clamped_output: Tensor | None = None,
        trace: list[Tensor] | None = None,
    ) -> list[Tensor]:
        """``steps`` equilibrium iterations (all layers updated from the same state).

        With ``clamped_output`` the output layer is held there. With ``trace`` (one zero tensor
        per weight matrix) the differential-STDP sum ``sum_t dV_post ⊗ rho(V_pre)`` of the
        free layers is accumulated into it.
        """
        potentials = list(potentials)
        if clamped_output is not None:
            potentials[-1] = clamped_output
        last = len(potentials) - 1
        input_drive = x @ self.weights[0].T + self.biases[0]  # the clamped input never changes
        start = potentials[0]
        for _ in range(steps):
            updated = []
            for layer, v in enumerate(potentials):
                if layer == last and clamped_output is not None:
                    updated.append(v)
                    continue
                bottom_up = input_drive if layer == 0 else self._bottom_up(x, potentials, layer)
                top_down = None
                if layer < last:
                    top_down = rate(potentials[layer + 1]) @ self.weights[layer + 1]
                updated.append(equilibrium_step(v, bottom_up, top_down, self.step))
            if trace is not None:
                self._accumulate(x, potentials, updated, trace, first=1)
            potentials = updated
        if trace is not None:
            # The input is clamped, so its rate is the same at every step and the first layer's
            # sum over steps telescopes to one outer product (exact, and steps times cheaper).
            trace[0] += (potentials[0] - start).T @ x
        return potentials

    @staticmethod
    def _accumulate(
        x: Tensor, before: list[Tensor], after: list[Tensor], trace: list[Tensor], first: int = 0
    ) -> None:
        for layer in range(first, len(trace)):
            pre = x if layer == 0 else rate(before[layer - 1])
            trace[layer] += (after[layer] - before[layer]).T @ pre

    def equilibrium(self, x: Tensor) -> list[Tensor]:
        """Potentials at (or after ``steps`` iterations towards) the free equilibrium."""
        return self.relax(x, self.feed_forward(x), self.steps)

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() == 3:
            x = x.mean(0)
        with torch.no_grad():
            return self.equilibrium(x.flatten(1))[-1]

    # -- learning -------------------------------------------------------------------------
    def teacher_potentials(self, labels: Tensor) -> Tensor:
        """``V_T`` of the output layer: the potential whose rate is the teacher's frequency."""
        rates = F.one_hot(labels, self.sizes[-1]).to(self.weights[0].dtype)
        return rates * self.teacher_rate

    def _apply_stdp(
        self,
        x: Tensor,
        before: list[Tensor],
        after: list[Tensor],
        trace: list[Tensor],
        gain: float = 1.0,
    ) -> None:
        """Add the accumulated STDP ``trace``, averaged over the batch, at the step
        ``weight_lr / (|rho(pre)|^2 + 1)``.

        Why that step: with ``weight_lr = 1`` the synapses absorb the potential change exactly
        (the feed-forward drive ``W rho(pre) + b`` moves by ``dV``), which is what "weights
        follow the potentials passively" asks of them, whatever the layer's size or activity.
        Biases are synapses from an always-active unit (``rho = 1``), whose trace telescopes to
        the total potential change.
        """
        batch = before[0].shape[0]
        for layer, change in enumerate(trace):
            pre = x if layer == 0 else rate(after[layer - 1])
            norm = pre.square().sum(1).mean() + 1.0
            scale = gain * self.weight_lr / (batch * float(norm))
            self.weights[layer].add_(change, alpha=scale)
            self.biases[layer].add_((after[layer] - before[layer]).sum(0), alpha=scale)

    @torch.no_grad()
    def learn(self, x: Tensor, labels: Tensor) -> Tensor:
        """One interleaved step on input rates ``x (B, in)``; returns the free output potentials."""
        if x.dim() == 3:
            x = x.mean(0)
        x = x.flatten(1)
        # 1 + 2: feed-forward, then free equilibrium; STDP follows the relaxation (unsupervised).
        free_start = self.feed_forward(x)
        trace = [torch.zeros_like(w) for w in self.weights]
        free = self.relax(x, free_start, self.steps, trace=trace)
        if self.free_phase_stdp:
            self._apply_stdp(x, free_start, free, trace, gain=self.free_phase_stdp)
        # 3: the teacher's targets for the last two layers.
        target_out = self.teacher_potentials(labels)
        targets = self.relax(x, free, self.steps, clamped_output=target_out)
        # 4: potentials of the last two layers descend sum (V - V_T)^2; STDP follows.
        updated = list(free)
        for layer in (-2, -1):
            updated[layer] = free[layer] - self.lr * 2.0 * (free[layer] - targets[layer])
        trace = [torch.zeros_like(w) for w in self.weights]
        self._accumulate(x, free, updated, trace)
        self._apply_stdp(x, free, updated, trace)
        return free[-1]

    def extra_repr(self) -> str:
        return (
            f"sizes={self.sizes}, steps={self.steps}, step={self.step}, lr={self.lr}, "
            f"weight_lr={self.weight_lr}, teacher_rate={self.teacher_rate}, "
            f"free_phase_stdp={self.free_phase_stdp}"
        )
