"""Building blocks that pair a synapse with a neuron, and a wrapper for per-step modules."""

from __future__ import annotations

from typing import Any

from torch import Tensor, nn

from snn_models.functional.time import apply_over_time, is_repeated_over_time
from snn_models.neurons.lif import LIF
from snn_models.state import TimeAwareModule
from snn_models.synapses.base import Synapse
from snn_models.synapses.factory import make_conv_synapse, make_synapse

__all__ = ["SpikingConv2d", "SpikingDense", "SpikingLayer", "TimeDistributed"]


class SpikingLayer(TimeAwareModule):
    """``neuron(synapse(x))``: one layer of spiking neurons and their input synapses.

    For an input repeated over time (direct encoding) the synapse integrates one step and the
    neuron runs on that constant current (:meth:`~snn_models.TimeAwareModule.forward_repeated`);
    the LIF scan then never materialises the current or its gradient over time.
    """

    def __init__(self, synapse: Synapse, neuron: nn.Module | None = None) -> None:
        super().__init__()
        self.synapse = synapse
        self.neuron = neuron if neuron is not None else LIF()

    def single_step_forward(self, x: Tensor) -> Tensor:
        return self.neuron(self.synapse(x))

    def multi_step_forward(self, x: Tensor) -> Tensor:
        if (
            isinstance(self.neuron, TimeAwareModule)
            and x.dim() == self.synapse.sample_dims + 2
            and is_repeated_over_time(x)
        ):
            return self.neuron.forward_repeated(self.synapse.integrate(x[0]), x.shape[0])
        return self.neuron(self.synapse(x))


class SpikingDense(SpikingLayer):
    """Dense spiking layer, e.g. ``SpikingDense("bilinear", 784, 400, rank=2, neuron=LIF(tau=4.0))``.

    Extra keyword arguments go to the synapse (see :func:`snn_models.make_synapse`).
    """

    def __init__(
        self,
        kind: str,
        in_features: int,
        out_features: int,
        neuron: nn.Module | None = None,
        **synapse_options: Any,
    ) -> None:
        super().__init__(make_synapse(kind, in_features, out_features, **synapse_options), neuron)


class SpikingConv2d(SpikingLayer):
    """2-D convolutional spiking layer; extra keyword arguments go to the synapse."""

    def __init__(
        self,
        kind: str,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] = 0,
        neuron: nn.Module | None = None,
        **synapse_options: Any,
    ) -> None:
        synapse = make_conv_synapse(
            kind, in_channels, out_channels, kernel_size, stride, padding, **synapse_options
        )
        super().__init__(synapse, neuron)


class TimeDistributed(TimeAwareModule):
    """Apply a per-sample module (pooling, flatten, batch norm, dropout...) at every step.

    Multi-step: ``(T, B, ...)`` is folded to ``(T*B, ...)`` for one call; single-step: the
    module is called on ``(B, ...)`` as is.
    """

    def __init__(self, module: nn.Module) -> None:
        super().__init__()
        self.module = module

    def single_step_forward(self, x: Tensor) -> Tensor:
        return self.module(x)

    def multi_step_forward(self, x: Tensor) -> Tensor:
        return apply_over_time(self.module, x)
