"""Pick a synaptic integration by name, so command lines can take it as a flag."""

from __future__ import annotations

from typing import Any

from snn_models.synapses.base import Synapse
from snn_models.synapses.conv import BilinearConv2dSynapse, Conv2dSynapse, ShuntingConv2dSynapse
from snn_models.synapses.dense import BilinearSynapse, LinearSynapse, ShuntingSynapse

__all__ = ["SYNAPSE_KINDS", "make_conv_synapse", "make_synapse"]

_DENSE: dict[str, type[Synapse]] = {
    "linear": LinearSynapse,
    "bilinear": BilinearSynapse,
    "shunting": ShuntingSynapse,
}
_CONV: dict[str, type[Synapse]] = {
    "linear": Conv2dSynapse,
    "bilinear": BilinearConv2dSynapse,
    "shunting": ShuntingConv2dSynapse,
}
SYNAPSE_KINDS: tuple[str, ...] = tuple(_DENSE)


def _lookup(table: dict[str, type[Synapse]], kind: str) -> type[Synapse]:
    try:
        return table[kind.lower()]
    except KeyError:
        raise ValueError(f"unknown synapse kind {kind!r}; choose one of {SYNAPSE_KINDS}") from None


def make_synapse(kind: str, in_features: int, out_features: int, **options: Any) -> Synapse:
    """Dense synapse by name: ``"linear"``, ``"bilinear"`` (rank, lambda_init) or
    ``"shunting"`` (kappa, gate); every kind takes ``bias`` and ``spike_input``."""
    return _lookup(_DENSE, kind)(in_features, out_features, **options)


def make_conv_synapse(
    kind: str,
    in_channels: int,
    out_channels: int,
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
    **options: Any,
) -> Synapse:
    """2-D convolutional synapse by name, with the same kinds and options as :func:`make_synapse`."""
    cls = _lookup(_CONV, kind)
    return cls(in_channels, out_channels, kernel_size, stride=stride, padding=padding, **options)
