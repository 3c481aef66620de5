"""The neuron registry: one name → builder table that every network builder asks.

Why one table: a network builder (the vision classifiers, the recommender's towers) names the
neuron it wants and passes the membrane settings it has chosen (``tau``, ``threshold``,
``surrogate``); it never imports a neuron class or holds an if-chain of its own. Adding a
neuron kind is then one new file with the class and one :func:`register_neuron` line below
(docs/how-to/add-a-neuron.md), after which every builder, command-line choice and config
check accepts the name (as Gymnasium's environment registry or timm's model registry).

A builder is any callable returning an ``nn.Module`` that maps currents ``(T, B, ...)`` to
outputs of the same shape; a class is its own builder. A *non-spiking* kind (a leaky
integrator, the ReLU of the recommender's ANN twin) is registered with ``spiking=False`` so a
caller that needs spikes can list the spiking kinds only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from torch import nn

from snn_models.neurons.leaky_integrator import LeakyIntegrator
from snn_models.neurons.lif import LIF, PLIF, DelayedResetLIF

__all__ = [
    "NeuronKind",
    "is_spiking",
    "make_neuron",
    "neuron_kinds",
    "register_neuron",
    "unregister_neuron",
]

NeuronBuilder = Callable[..., nn.Module]


@dataclass(frozen=True)
class NeuronKind:
    """A registered neuron: how to build it and whether its output is spikes."""

    build: NeuronBuilder
    spiking: bool = True


_KINDS: dict[str, NeuronKind] = {}


def register_neuron(name: str, build: NeuronBuilder, *, spiking: bool = True) -> None:
    """Make ``make_neuron(name, **settings)`` call ``build(**settings)``.

    Names are case-insensitive; registering a taken name is an error (unregister it first), so
    two modules cannot silently replace each other's neuron.
    """
    key = name.lower()
    if key in _KINDS:
        raise ValueError(f"a neuron kind {key!r} is already registered")
    _KINDS[key] = NeuronKind(build, spiking)


def unregister_neuron(name: str) -> None:
    """Remove a kind (a test's toy neuron, say)."""
    del _KINDS[name.lower()]


def neuron_kinds(spiking: bool | None = None) -> tuple[str, ...]:
    """Registered names in registration order; only the spiking (or non-spiking) ones if asked."""
    return tuple(name for name, kind in _KINDS.items() if spiking in (None, kind.spiking))


def _kind(name: str) -> NeuronKind:
    try:
        return _KINDS[name.lower()]
    except KeyError:
        raise ValueError(f"unknown neuron {name!r}; choose one of {neuron_kinds()}") from None


def is_spiking(name: str) -> bool:
    """Whether the kind's output is spikes (what an energy estimate, for one, must know)."""
    return _kind(name).spiking


def make_neuron(kind: str, **settings: Any) -> nn.Module:
    """The neuron ``kind`` built with ``settings`` (its constructor's keyword arguments)."""
    return _kind(kind).build(**settings)


def relu_unit(**membrane_settings: Any) -> nn.Module:
    """A rectified-linear unit in place of a spiking neuron (the recommender's *ANN twin*).

    It has no membrane, so the settings a spiking kind reads (``tau``, ``threshold``,
    ``surrogate``) do not apply; it accepts them so that one call builds any kind."""
    return nn.ReLU()


register_neuron("lif", LIF)
register_neuron("plif", PLIF)
register_neuron("li", LeakyIntegrator, spiking=False)
# snnTorch's Leaky: the reset subtracted one step later, undecayed and detached.
register_neuron("delayed-reset", DelayedResetLIF)
register_neuron("relu", relu_unit, spiking=False)
