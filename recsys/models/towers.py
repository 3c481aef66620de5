"""Spiking towers: direct-current encoder → spiking blocks → an embedding read from spike rates.

Each block is ``synapse (linear or bilinear) → LIF neurons`` with an auxiliary head (spike rate →
linear) that maps the block's activity to the embedding space. All of it is assembled from
snn_models parts; nothing here re-implements a neuron or a synapse.

How a deeper tower is read out (``readout``):

* ``"last"``: the last block's head is the embedding; earlier heads only exist so that each
  block has something to be trained by.
* ``"sum"``: the embedding is the *sum* of every block's head. Block ``k``'s prediction is the
  sum of heads ``0..k``, so under layer-local training block ``k`` fits what blocks ``0..k-1``
  left unexplained (their part enters its loss as a constant, as in boosting), and block 0 is
  trained exactly like a one-block tower.
* ``"mean"``: every block's head predicts on its own, and the embedding is their mean: an
  ensemble of locally trained predictors.
* ``"concat"``: block ``k``'s head writes its own slice of the embedding (``out_dim`` split
  evenly over the blocks; the last ``shared_columns``, the item bias, are summed). The score
  of a user and a movie is then a sum over blocks of their slices' dot products, so block
  ``k``'s local loss is on the score of blocks ``0..k`` with the lower blocks' part a constant:
  boosting on the *score*, each block adding rank to the dot product instead of nudging the
  same directions (``"sum"``). Block 0's loss differs from a one-block tower's only in the
  shared columns.

Either way the served embedding is one vector, so serving stays one dot product per movie.

What a deeper block sees:

* ``block_input="spikes"``: the previous block's binary spikes (the usual spiking interface);
  ``"rates"``: their rate over the window as a constant current. With T steps a spike train
  carries only T + 1 rate levels per neuron, which can starve a deeper block.
* ``skip_input=True``: every deeper block also integrates the tower's input features through
  a synapse of its own, so it can correct the blocks below with the raw evidence in view.

Defaults come from :mod:`recsys.models.defaults`, the served model's settings. Two knobs matter
for a tower that must not fall silent: ``input_weight_scale`` (large enough that a few rated
movies move a neuron across threshold) and ``bias_init`` (half the threshold makes every neuron
fire at about half its maximum rate before training, so the surrogate gradient sees live
neurons; the served towers start at 0 with a larger input scale instead).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import partial

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from recsys.models import defaults
from snn_models import (
    ClassifierHead,
    DirectEncoder,
    LocalBlock,
    LocalNetwork,
    apply_over_time,
    make_neuron,
    make_synapse,
    neuron_kinds,
    repeat_over_time,
)

_EXPECTED_RATE = 0.1  # typical firing probability of a trained block, for weight scaling
SYNAPSE_CHOICES = ("bilinear", "linear")
READOUT_CHOICES = ("last", "sum", "mean", "concat")
BLOCK_INPUT_CHOICES = ("spikes", "rates")

#: ``integrate(synapse, x)``: a synapse's current for batch-first input ``x``. The default calls
#: the synapse; serving passes one that reuses matrices precomputed from the frozen weights.
Integrate = Callable[[nn.Module, Tensor], Tensor]


def module_integrate(synapse: nn.Module, x: Tensor) -> Tensor:
    return synapse.integrate(x)


@dataclass(frozen=True)
class TowerConfig:
    """Shape and neuron settings of one tower (both towers use the same kind of config)."""

    hidden: int = defaults.HIDDEN
    n_blocks: int = 1
    out_dim: int = defaults.DIM
    synapse: str = "bilinear"
    rank: int = defaults.RANK
    lambda_init: float = defaults.LAMBDA_INIT
    num_steps: int = defaults.NUM_STEPS
    threshold: float = defaults.THRESHOLD
    tau: float = defaults.TAU  # membrane time constant in steps
    bias_init: float = defaults.BIAS_INIT
    input_weight_scale: float = defaults.INPUT_WEIGHT_SCALE
    hidden_weight_gain: float = defaults.HIDDEN_WEIGHT_GAIN
    hidden_bias_init: float = 0.0
    surrogate: str = "atan"
    #: A kind of the neuron registry (:func:`snn_models.make_neuron`). ``"lif"``: spiking LIF
    #: neurons (the served model). ``"relu"``: the same tower as a conventional network (the
    #: *ANN twin*): each neuron outputs ``max(0, current)`` at every step, so its "rate" is a
    #: real number; same synapses, widths, heads and training. The benchmark's anchor for what
    #: the spikes themselves add (docs/benchmarks.md §2.0, *Fair anchors*).
    neuron: str = "lif"
    deep_hidden: int = 0  # neurons in blocks after the first; 0 = same as ``hidden``
    readout: str = "last"
    block_input: str = "spikes"
    skip_input: bool = False
    shared_columns: int = 0  # trailing embedding columns every block adds to ("concat")

    def __post_init__(self) -> None:
        for name, value, choices in (
            ("synapse", self.synapse, SYNAPSE_CHOICES),
            ("neuron", self.neuron, neuron_kinds()),
            ("readout", self.readout, READOUT_CHOICES),
            ("block_input", self.block_input, BLOCK_INPUT_CHOICES),
        ):
            if value not in choices:
                raise ValueError(f"{name} must be one of {choices}, got {value!r}")
        if self.n_blocks < 1:
            raise ValueError(f"a tower needs at least one block, got n_blocks={self.n_blocks}")
        if self.readout == "concat" and (self.out_dim - self.shared_columns) % self.n_blocks:
            raise ValueError(
                f"readout 'concat' splits out_dim - shared_columns = "
                f"{self.out_dim - self.shared_columns} over {self.n_blocks} blocks unevenly"
            )

    def head_width(self) -> int:
        """Outputs of each block's head: its slice (``"concat"``) or the whole embedding."""
        if self.readout != "concat":
            return self.out_dim
        return (self.out_dim - self.shared_columns) // self.n_blocks + self.shared_columns

    def width(self, index: int) -> int:
        """Neurons in block ``index``."""
        return self.hidden if index == 0 or not self.deep_hidden else self.deep_hidden

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class TowerBlockOutput:
    """One block's spikes ``(T, B, width)`` and its prediction ``(B, out_dim)`` (see readout)."""

    spikes: Tensor
    prediction: Tensor


def _neuron(config: TowerConfig) -> nn.Module:
    """The registry's ``config.neuron`` with the tower's membrane settings: LIF neurons, or ReLU
    units for the ANN twin (elementwise over ``(T, B, width)``: with the direct encoder's
    constant current every step carries the same activation, so the heads' mean over steps
    reads exactly ``relu(current)``)."""
    return make_neuron(
        config.neuron, tau=config.tau, threshold=config.threshold, surrogate=config.surrogate
    )


def _synapse(
    config: TowerConfig, in_features: int, out_features: int, from_features: bool, binary: bool
) -> nn.Module:
    """A synapse fed by the tower's input features (``from_features``) or by a block below."""
    options: dict = {}
    if config.synapse == "bilinear":
        options = {"rank": config.rank, "lambda_init": config.lambda_init, "spike_input": binary}
    synapse = make_synapse(config.synapse, in_features, out_features, **options)
    # Wide sparse inputs (a bag of ~1,700 movies) need small weights: the default
    # 1/sqrt(fan_in) init would start every user at a large random current. Blocks fed by
    # sparse spikes need larger ones, or they never reach threshold.
    scale = (
        config.input_weight_scale
        if from_features
        else config.hidden_weight_gain / math.sqrt(_EXPECTED_RATE * in_features)
    )
    bias = config.bias_init if from_features else config.hidden_bias_init
    with torch.no_grad():
        synapse.bias.fill_(bias * config.threshold)
        synapse.weight.normal_(0.0, scale)
        if hasattr(synapse, "interaction"):
            synapse.interaction.normal_(0.0, scale)
    return synapse


class TowerBlock(LocalBlock):
    """A :class:`~snn_models.LocalBlock` (``body`` = synapse → LIF, ``head``) that may also
    integrate the tower's input features through ``input_synapse`` (the skip input)."""

    def __init__(
        self, body: nn.Sequential, head: nn.Module, input_synapse: nn.Module | None = None
    ) -> None:
        super().__init__(body=body, head=head)
        self.input_synapse = input_synapse

    @property
    def synapse(self) -> nn.Module:
        return self.body[0]

    @property
    def neuron(self) -> nn.Module:
        return self.body[1]


def build_tower(in_features: int, config: TowerConfig) -> LocalNetwork:
    """A :class:`~snn_models.LocalNetwork` whose blocks' heads all output ``config.out_dim``."""
    blocks = []
    for index in range(config.n_blocks):
        width = config.width(index)
        if index == 0:
            synapse = _synapse(config, in_features, width, from_features=True, binary=False)
            skip = None
        else:
            below = config.width(index - 1)
            binary = config.block_input == "spikes"
            synapse = _synapse(config, below, width, from_features=False, binary=binary)
            skip = None
            if config.skip_input:
                skip = _synapse(config, in_features, width, from_features=True, binary=False)
                with torch.no_grad():  # one bias per neuron is enough: the main synapse's
                    skip.bias.zero_()
        head = ClassifierHead(width, config.head_width())
        if index > 0 and config.readout == "sum":
            # A residual branch that starts at zero: the tower starts out as exactly its
            # first block, and a deeper block adds only what its training puts there
            # (instead of random head outputs that every other block must first undo).
            with torch.no_grad():
                head.linear.weight.zero_()
                head.linear.bias.zero_()
        body = nn.Sequential(synapse, _neuron(config))
        blocks.append(TowerBlock(body, head, skip))
    return LocalNetwork(blocks, encoder=DirectEncoder(config.num_steps))


class SpikingTower(nn.Module):
    """A tower plus the bookkeeping the ranker needs (block outputs, embedding, spike rates).

    Inputs are ``(B, in_features)`` rows, dense or sparse (CSR or COO). The direct encoder presents
    a row as the same current at every step, so a synapse integrates it once and repeats the
    result over time (what :class:`~snn_models.DirectEncoder` followed by the synapse computes).
    Calling the synapse's ``integrate`` on the row directly keeps that and also accepts a sparse
    row batch, which makes the wide one-hot parts of the inputs (movie ids, the rated-movie bag)
    nearly free.
    """

    def __init__(self, in_features: int, config: TowerConfig) -> None:
        super().__init__()
        self.config = config
        self.in_features = in_features
        self.network = build_tower(in_features, config)

    @property
    def num_steps(self) -> int:
        return self.network.encoder.num_steps

    def run_blocks(
        self, x: Tensor, local: bool = False, integrate: Integrate = module_integrate
    ) -> list[TowerBlockOutput]:
        """Every block's spikes and prediction, in block order.

        ``local=True`` cuts the graph at every block boundary: a block's input spikes and the
        predictions of the blocks below it arrive detached, so a loss on block ``k``'s
        prediction reaches block ``k``'s parameters only. ``local=False`` is the end-to-end
        network (inference, and back-propagation through time). ``integrate`` computes each
        synapse's current (see :data:`Integrate`).
        """
        outputs: list[TowerBlockOutput] = []
        below: TowerBlockOutput | None = None
        for block in self.network.blocks:
            if below is None:
                current = repeat_over_time(integrate(block.synapse, x), self.num_steps)
            else:
                spikes = below.spikes.detach() if local else below.spikes
                if self.config.block_input == "rates":
                    spikes = repeat_over_time(spikes.mean(0), self.num_steps)
                current = apply_over_time(partial(integrate, block.synapse), spikes)
                if block.input_synapse is not None:
                    current = current + integrate(block.input_synapse, x)
            spikes = block.neuron(current)
            prediction = block.head(spikes)
            if self.config.readout == "concat":
                prediction = self._place(prediction, len(outputs))
            if self.config.readout in ("sum", "concat") and below is not None:
                earlier = below.prediction.detach() if local else below.prediction
                prediction = earlier + prediction
            below = TowerBlockOutput(spikes, prediction)
            outputs.append(below)
        return outputs

    def _place(self, head: Tensor, index: int) -> Tensor:
        """Block ``index``'s head output at its columns of the full embedding, zeros elsewhere."""
        shared = self.config.shared_columns
        own = head.shape[-1] - shared
        before, after = index * own, (self.config.n_blocks - 1 - index) * own
        placed = F.pad(head[..., :own], (before, after))
        return torch.cat([placed, head[..., own:]], dim=-1) if shared else placed

    def readout(self, outputs: list[TowerBlockOutput]) -> Tensor:
        """The tower's embedding from its blocks' outputs (see ``TowerConfig.readout``)."""
        if self.config.readout == "mean":
            return torch.stack([out.prediction for out in outputs]).mean(0)
        return outputs[-1].prediction

    def embed(self, x: Tensor, integrate: Integrate = module_integrate) -> Tensor:
        """(B, in_features) → (B, out_dim) through every block, end to end."""
        return self.readout(self.run_blocks(x, integrate=integrate))

    def spike_rates(self, x: Tensor) -> list[float]:
        """Mean firing probability per block (per neuron and step) for a batch."""
        with torch.no_grad():
            return [float(out.spikes.mean()) for out in self.run_blocks(x)]
