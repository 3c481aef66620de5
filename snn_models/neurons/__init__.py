"""Membrane dynamics: spiking LIF / PLIF neurons and the non-spiking leaky integrator."""

from snn_models.neurons.base import SpikingNeuron
from snn_models.neurons.decay import MembraneDecay, resolve_decay
from snn_models.neurons.factory import NEURON_KINDS, make_neuron
from snn_models.neurons.leaky_integrator import LeakyIntegrator
from snn_models.neurons.lif import LIF, PLIF, DelayedResetLIF, plain_lif_parameters

__all__ = [
    "LIF",
    "DelayedResetLIF",
    "NEURON_KINDS",
    "PLIF",
    "plain_lif_parameters",
    "SpikingNeuron",
    "LeakyIntegrator",
    "MembraneDecay",
    "make_neuron",
    "resolve_decay",
]
