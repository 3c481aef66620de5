"""Readouts: turn a spiking layer's activity over time into one value per sample.

* :class:`SpikeRate` / :class:`SpikeCount`: how often each neuron fired; bounded, robust.
* :class:`MembraneReadout`: the membrane of a non-spiking leaky integrator driven by the last
  synapse; unbounded and signed, so it suits embeddings and logits better than a rate, and it
  gets a gradient even when no spike happens.
* :class:`CountedSpikingOutput`: an output layer of *spiking* neurons read out by spike count
  (snnTorch's tutorials), keeping its membrane trace and spikes for a loss to read.
"""

from __future__ import annotations

from typing import Any, Literal

import torch
from torch import Tensor, nn

from snn_models.neurons.base import SpikingNeuron
from snn_models.neurons.leaky_integrator import LeakyIntegrator
from snn_models.state import StatefulModule

__all__ = [
    "READOUT_KINDS",
    "CountedSpikingOutput",
    "MembraneReadout",
    "SpikeCount",
    "SpikeRate",
    "make_readout",
]

Reduction = Literal["last", "mean", "max"]
_REDUCTIONS = ("last", "mean", "max")


class SpikeCount(StatefulModule):
    """Spikes summed over time: ``(T, B, ...) -> (B, ...)``; while streaming: running count."""

    def __init__(self) -> None:
        super().__init__()
        self.register_state("count")

    def single_step_forward(self, spikes: Tensor) -> Tensor:
        self.check_state_shape(self.count, spikes)
        self.count = spikes if self.count is None else self.count + spikes
        return self.count

    def multi_step_forward(self, spikes: Tensor) -> Tensor:
        count = spikes.sum(0)
        if self.keep_state:
            before = self.initial_state("count", count)
            self.count = count if before is None else before + count
            return self.count
        return count


class SpikeRate(StatefulModule):
    """Fraction of steps each neuron fired: ``(T, B, ...) -> (B, ...)`` in [0, 1].

    While streaming, the fraction over every step since the last reset.
    """

    def __init__(self) -> None:
        super().__init__()
        self.register_state("count")
        self.register_state("steps")

    def single_step_forward(self, spikes: Tensor) -> Tensor:
        self.check_state_shape(self.count, spikes)
        self.count = spikes if self.count is None else self.count + spikes
        self.steps = 1 if self.steps is None else self.steps + 1
        return self.count / self.steps

    def multi_step_forward(self, spikes: Tensor) -> Tensor:
        if not self.keep_state:
            return spikes.mean(0)
        count = spikes.sum(0)
        before = self.initial_state("count", count)
        self.count = count if before is None else before + count
        self.steps = spikes.shape[0] + (self.steps or 0)
        return self.count / self.steps


class MembraneReadout(StatefulModule):
    """Membrane of a non-spiking output layer, reduced over time: ``(T, B, ...) -> (B, ...)``.

    ``reduce="last"`` reads the potential after the final step, ``"mean"`` averages the trace,
    ``"max"`` takes its peak (common for classification). Single-step mode returns the current
    potential; chunks of a stream (``streaming(net, "multi")``) return the reduction over every
    step since the last reset, so the last chunk's answer is the whole sequence's.
    """

    def __init__(
        self,
        tau: float | None = None,
        alpha: float | None = None,
        reduce: Reduction = "mean",
        learn_tau: bool = False,
        decay_input: bool = False,
    ) -> None:
        super().__init__()
        if reduce not in _REDUCTIONS:
            raise ValueError(f"reduce must be one of {_REDUCTIONS}, got {reduce!r}")
        self.integrator = LeakyIntegrator(
            tau=tau, alpha=alpha, learn_tau=learn_tau, decay_input=decay_input
        )
        self.reduce = reduce
        self.register_state("total")
        self.register_state("peak")
        self.register_state("steps")

    def single_step_forward(self, current: Tensor) -> Tensor:
        return self.integrator(current)

    def multi_step_forward(self, current: Tensor) -> Tensor:
        trace = self.integrator(current)
        if self.keep_state:
            return self._reduce_stream(trace)
        if self.reduce == "last":
            return trace[-1]
        if self.reduce == "mean":
            return trace.mean(0)
        return trace.amax(0)

    def _reduce_stream(self, trace: Tensor) -> Tensor:
        """The reduction over this chunk and every chunk before it since the last reset."""
        if self.reduce == "last":
            return trace[-1]
        if self.reduce == "mean":
            total = trace.sum(0)
            before = self.initial_state("total", total)
            self.total = total if before is None else before + total
            self.steps = trace.shape[0] + (self.steps or 0)
            return self.total / self.steps
        peak = trace.amax(0)
        before = self.initial_state("peak", peak)
        self.peak = peak if before is None else torch.maximum(before, peak)
        return self.peak

    def extra_repr(self) -> str:
        return f"reduce={self.reduce!r}"


class CountedSpikingOutput(nn.Module):
    """Spiking output neurons, predicted by spike count: ``(T, B, C) -> (B, C)``.

    Why a module of its own: a spike count is flat wherever no spike changes, so a recipe that
    predicts by count trains on something else (snnTorch's tutorial 5: cross-entropy on the
    membrane at every step). The forward pass returns the count, and ``membrane`` (the charged
    potential ``U[t]`` before each reset, ``(T, B, C)``) and ``spikes`` hold the last call's
    traces, with their graphs, for such a loss. They are overwritten by every call and never
    carried into the next one (each call starts at rest), so there is no state to reset.
    """

    def __init__(self, neuron: SpikingNeuron) -> None:
        super().__init__()
        self.neuron = neuron
        self.membrane: Tensor | None = None
        self.spikes: Tensor | None = None

    def __getstate__(self) -> dict:
        state = super().__getstate__()
        state["membrane"] = state["spikes"] = None  # one batch's traces, with their graph
        return state

    def forward(self, current: Tensor) -> Tensor:
        neuron = self.neuron
        params = neuron.neuron_parameters()
        v: Tensor | None = None
        membrane, spikes = [], []
        for x_t in current:  # T is short; the neuron's own three steps, one at a time
            u = neuron.neuronal_charge(x_t, v, params)
            s = neuron.neuronal_fire(u, params)
            v = neuron.neuronal_reset(u, s, params)
            membrane.append(u)
            spikes.append(s)
        self.membrane = torch.stack(membrane)
        self.spikes = torch.stack(spikes)
        return self.spikes.sum(0)


_READOUTS: dict[str, type[StatefulModule]] = {
    "rate": SpikeRate,
    "count": SpikeCount,
    "membrane": MembraneReadout,
}
READOUT_KINDS: tuple[str, ...] = tuple(_READOUTS)


def make_readout(kind: str, **options: Any) -> StatefulModule:
    """``"rate"``, ``"count"`` or ``"membrane"`` (tau / alpha, reduce, learn_tau)."""
    try:
        cls = _READOUTS[kind.lower()]
    except KeyError:
        raise ValueError(f"unknown readout {kind!r}; choose one of {READOUT_KINDS}") from None
    return cls(**options)
