"""Synaptic integration: how presynaptic activity becomes input current (dense and 2-D conv)."""

from snn_models.synapses.base import Synapse
from snn_models.synapses.conv import BilinearConv2dSynapse, Conv2dSynapse, ShuntingConv2dSynapse
from snn_models.synapses.dense import BilinearSynapse, LinearSynapse, ShuntingSynapse
from snn_models.synapses.factory import SYNAPSE_KINDS, make_conv_synapse, make_synapse
from snn_models.synapses.shunting import SHUNTING_GATES

__all__ = [
    "SHUNTING_GATES",
    "SYNAPSE_KINDS",
    "BilinearConv2dSynapse",
    "BilinearSynapse",
    "Conv2dSynapse",
    "LinearSynapse",
    "ShuntingConv2dSynapse",
    "ShuntingSynapse",
    "Synapse",
    "make_conv_synapse",
    "make_synapse",
]
