"""Membrane dynamics: spiking LIF / PLIF neurons and the non-spiking leaky integrator."""

from snn_models.neurons.base import SpikingNeuron
from snn_models.neurons.decay import MembraneDecay, resolve_decay
from snn_models.neurons.leaky_integrator import LeakyIntegrator
from snn_models.neurons.lif import LIF, PLIF, DelayedResetLIF, plain_lif_parameters
from snn_models.neurons.registry import (
    is_spiking,
    make_neuron,
    neuron_kinds,
    register_neuron,
    unregister_neuron,
)

__all__ = [
    "LIF",
    "DelayedResetLIF",
    "PLIF",
    "plain_lif_parameters",
    "SpikingNeuron",
    "LeakyIntegrator",
    "MembraneDecay",
    "is_spiking",
    "make_neuron",
    "neuron_kinds",
    "register_neuron",
    "unregister_neuron",
    "resolve_decay",
]
