"""Pick a neuron model by name, for command-line flags."""

from __future__ import annotations

from typing import Any

from torch import nn

from snn_models.neurons.leaky_integrator import LeakyIntegrator
from snn_models.neurons.lif import LIF, PLIF

__all__ = ["NEURON_KINDS", "make_neuron"]

_NEURONS: dict[str, type[nn.Module]] = {"lif": LIF, "plif": PLIF, "li": LeakyIntegrator}
NEURON_KINDS: tuple[str, ...] = tuple(_NEURONS)


def make_neuron(kind: str, **options: Any) -> nn.Module:
    """``"lif"``, ``"plif"`` or ``"li"`` (non-spiking leaky integrator), with their options."""
    try:
        cls = _NEURONS[kind.lower()]
    except KeyError:
        raise ValueError(f"unknown neuron {kind!r}; choose one of {NEURON_KINDS}") from None
    return cls(**options)
