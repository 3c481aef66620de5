"""Spiking image classifiers assembled from `snn_models` parts, one flag per integration.

Every network is a :class:`snn_models.LocalNetwork`: a direct (or rate) encoder, hidden blocks
of synapse -> (batch norm) -> (max pool) -> LIF, and an output block whose synapse drives a
non-spiking membrane readout averaged over time (the logits). The same object serves all three
learning rules: BPTT chains the blocks, the local rule and HSIC train each block on a detached
input through the heads/losses attached here. The integration flag (linear, bilinear, shunting)
selects the synapse of every layer, the output layer included, so a comparison changes one thing.

Architectures (input 1x28x28; smaller inputs such as 8x8 digits shrink the dense layers):
- ``fcn``: 784-H-10.
- ``cnn``: 32C3-P2-32C3-P2-128-10.
- ``vgg``: 64C3-64C3-P2-128C3-128C3-P2-256-10 (VGG-like; channels scale with ``width``).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch.nn.functional as F
from torch import Tensor, nn

from snn_models import (
    ClassifierHead,
    ConvDecoder,
    CountedSpikingOutput,
    DenseDecoder,
    HSICBottleneckLoss,
    HybridLocalLoss,
    LocalBlock,
    LocalNetwork,
    MembraneReadout,
    TimeDistributed,
    make_conv_synapse,
    make_encoder,
    make_neuron,
    make_synapse,
)
from snn_models.functional.lif_parameters import DEFAULT_TAU
from snn_models.local import SimilarityEmbedding, per_step_cross_entropy
from snn_models.plasticity import (
    CompetitiveSTDPLayer,
    Lee2016Network,
    MembraneBPTTLIF,
    PlasticityCentricNetwork,
    PoissonEvents,
    TeacherOutputLayer,
)
from training.vision.config import (
    Lee2016Settings,
    MembraneBPTTSettings,
    PlasticityCentricSettings,
    RunConfig,
)

# Auxiliary classifier heads pool a conv map to at most this many features (Nokland & Eidnes
# use the same bound), so a head stays small whatever the layer's resolution.
HEAD_MAX_FEATURES = 2048


@dataclass(frozen=True)
class ConvSpec:
    channels: int
    pool: bool


@dataclass(frozen=True)
class Architecture:
    convs: tuple[ConvSpec, ...]
    dense: tuple[int, ...]


def architecture(config: RunConfig) -> Architecture:
    def scaled(channels: int) -> int:
        return max(1, round(channels * config.width))

    if config.arch == "fcn":
        return Architecture(convs=(), dense=(config.hidden,))
    if config.arch == "cnn":
        return Architecture(
            convs=(ConvSpec(scaled(32), True), ConvSpec(scaled(32), True)), dense=(scaled(128),)
        )
    if config.arch == "vgg":
        return Architecture(
            convs=(
                ConvSpec(scaled(64), False),
                ConvSpec(scaled(64), True),
                ConvSpec(scaled(128), False),
                ConvSpec(scaled(128), True),
            ),
            dense=(scaled(256),),
        )
    raise ValueError(f"unknown architecture {config.arch!r}")


class OutputCrossEntropy:
    """Cross-entropy of the output block's logits; a class so networks stay picklable."""

    def __call__(self, block_output, target: Tensor) -> Tensor:
        return F.cross_entropy(block_output.output, target)

    def __repr__(self) -> str:
        return "OutputCrossEntropy()"


class PerStepMembraneCrossEntropy:
    """snnTorch tutorial 5's loss: ``sum_t CE(U[t], y)`` on the spiking output layer's membrane.

    Reads the trace the block's :class:`CountedSpikingOutput` recorded in this forward pass
    (the block output itself is the spike count, which is what predicts)."""

    def __init__(self, readout: CountedSpikingOutput) -> None:
        self.readout = readout

    def __call__(self, block_output, target: Tensor) -> Tensor:
        assert self.readout.membrane is not None, "run the network before its loss"
        return per_step_cross_entropy(self.readout.membrane, target)

    def __repr__(self) -> str:
        return "PerStepMembraneCrossEntropy()"


class SpikeMeanCrossEntropy:
    """The snnTorch report's variant: CE of the output spikes' mean over time (rates in
    [0, 1] as logits), so only the spikes, not the membrane, carry the loss."""

    def __init__(self, readout: CountedSpikingOutput) -> None:
        self.readout = readout

    def __call__(self, block_output, target: Tensor) -> Tensor:
        assert self.readout.spikes is not None, "run the network before its loss"
        return F.cross_entropy(self.readout.spikes.mean(0), target)

    def __repr__(self) -> str:
        return "SpikeMeanCrossEntropy()"


def _neuron(config: RunConfig, features: int | None = None) -> nn.Module:
    """A hidden (or spike-count output) layer's spiking neuron: the registry's
    ``config.neuron_model`` (LIF by default; PLIF, snnTorch's Leaky as ``delayed-reset``, or any
    registered kind), or, for ``--rule membrane-bptt`` on dense layers (``features`` given), the
    Lee et al. (2016) neuron that rule trains. Unset ``tau`` and threshold are the library's
    LIF defaults."""
    if config.rule == "membrane-bptt" and features is not None:
        return _membrane_bptt_neuron(config, features)
    settings: dict = {"surrogate": config.surrogate or "atan"}
    if config.tau is not None:
        settings["tau"] = config.tau
    return make_neuron(config.neuron_model or "lif", **settings)


def _membrane_bptt_neuron(config: RunConfig, features: int) -> MembraneBPTTLIF:
    """The neuron is part of the membrane-bptt rule (its threshold regulariser is the rule's
    step), so the rule, not a neuron-kind name, picks it."""
    lee = config.membrane_bptt or MembraneBPTTSettings()
    return MembraneBPTTLIF(
        features,
        tau=DEFAULT_TAU if config.tau is None else config.tau,
        k=lee.k if lee.k is not None else max(1, features // 10),
        inhibition=lee.inhibition,
        refractory_tau=lee.refractory_tau,
        rho=lee.rho,
        surrogate=None if lee.gradient.startswith("membrane") else lee.gradient,
        gradient_ceiling=lee.gradient_ceiling if lee.gradient == "membrane-bounded" else None,
    )


def _synapse_options(config: RunConfig, spike_input: bool) -> dict:
    """`spike_input` lets a bilinear synapse fold its diagonal term into one product when its
    input is 0/1 spikes; other kinds accept and ignore it."""
    options: dict = {"spike_input": spike_input}
    if config.synapse == "bilinear":
        options["rank"] = config.rank
        if config.lambda_init is not None:
            options["lambda_init"] = config.lambda_init
    if config.synapse == "shunting" and config.kappa is not None:
        options["kappa"] = config.kappa
    if config.synapse == "shunting" and config.shunting_gate is not None:
        options["gate"] = config.shunting_gate
    return options


def _apply_bilinear_variant(config: RunConfig, synapse: nn.Module) -> nn.Module:
    """Ablations of the bilinear synapse: `fixed-lambda` keeps lambda at its initial value;
    `quadratic-only` removes the linear term (W = 0, frozen), leaving lambda * ((V x)^2 -
    (V^2)(x^2)) + b; `with-self-terms` drops the diagonal correction, W x + lambda (V x)^2."""
    variant = config.bilinear_variant
    if config.synapse != "bilinear" or variant in (None, "learned"):
        return synapse
    if variant == "fixed-lambda":
        synapse.interaction_gain.requires_grad_(False)
    if variant == "quadratic-only":
        synapse.weight.data.zero_()
        synapse.weight.requires_grad_(False)
    if variant == "with-self-terms":
        synapse.keep_self_terms = True
    return synapse


def _over_time(per_step: list[nn.Module]) -> TimeDistributed:
    """Everything before the neuron is stateless, so run it as ONE per-step module.

    On a direct-encoded (time-repeated) input the whole stack then runs once instead of T
    times, and no intermediate repeated view ever needs a gradient (taking step 0 of a
    repeated view that requires grad makes autograd materialise a full (T, B, ...) buffer).
    """
    return TimeDistributed(nn.Sequential(*per_step))


def _block_loss(config: RunConfig, num_classes: int):
    if config.rule == "local":
        weights = config.local
        return HybridLocalLoss(
            num_classes,
            alpha=weights.pred,
            beta=weights.sim,
            gamma=weights.contrast,
            zeta=weights.recon,
            similarity="cosine-frobenius" if _hu_thesis(config) else "correlation-mse",
        )
    if config.rule == "hsic":
        return HSICBottleneckLoss(num_classes, beta=config.hsic_beta, kernel=config.kernel)
    return None  # BPTT: hidden blocks are trained through the output loss only


def _hu_thesis(config: RunConfig) -> bool:
    """The Hu thesis's local losses: per-step prediction heads and an E_theta for L_sim."""
    return config.rule == "local" and config.local_form == "hu-thesis"


def _head_pool(channels: int, size: int) -> int:
    side = size
    while side > 1 and channels * side * side > HEAD_MAX_FEATURES:
        side //= 2
    return side


def _conv_block(
    config: RunConfig,
    in_shape: tuple[int, int, int],
    spec: ConvSpec,
    spike_input: bool,
    num_classes: int,
) -> tuple[LocalBlock, tuple[int, int, int]]:
    in_channels, height, width = in_shape
    options = _synapse_options(config, spike_input)
    per_step: list[nn.Module] = [
        _apply_bilinear_variant(
            config,
            make_conv_synapse(config.synapse, in_channels, spec.channels, 3, padding=1, **options),
        )
    ]
    if config.batch_norm:
        per_step.append(nn.BatchNorm2d(spec.channels))
    if spec.pool:
        # Pool the current, then fire: the LIF scan runs on a quarter of the positions.
        per_step.append(nn.MaxPool2d(2))
        height, width = height // 2, width // 2
    layers = [_over_time(per_step), _neuron(config)]
    out_shape = (spec.channels, height, width)

    head = decoder = embedding = None
    if config.rule == "local":
        side = _head_pool(spec.channels, min(height, width))
        if config.local.pred > 0:
            head = ClassifierHead(
                spec.channels * side * side,
                num_classes,
                pool_to=(side, side),
                per_step=_hu_thesis(config),
            )
        if config.local.recon > 0:
            decoder = ConvDecoder(spec.channels, in_channels, scale=2 if spec.pool else 1)
        if config.local.sim > 0 and _hu_thesis(config):
            features = spec.channels * side * side
            embedding = SimilarityEmbedding(features, channels=spec.channels, pool_to=(side, side))
    loss = _block_loss(config, num_classes)
    block = LocalBlock(nn.Sequential(*layers), head, loss, decoder, embedding)
    return block, out_shape


def _dense_block(
    config: RunConfig,
    in_shape: tuple[int, ...],
    features: int,
    spike_input: bool,
    num_classes: int,
) -> LocalBlock:
    in_features = 1
    for size in in_shape:
        in_features *= size
    options = _synapse_options(config, spike_input)
    per_step: list[nn.Module] = [nn.Flatten()] if len(in_shape) > 1 else []
    per_step.append(
        _apply_bilinear_variant(
            config, make_synapse(config.synapse, in_features, features, **options)
        )
    )
    if config.batch_norm:
        per_step.append(nn.BatchNorm1d(features))
    layers = [_over_time(per_step), _neuron(config, features)]

    head = decoder = embedding = None
    if config.rule == "local":
        if config.local.pred > 0:
            head = ClassifierHead(features, num_classes, per_step=_hu_thesis(config))
        if config.local.recon > 0:
            decoder = DenseDecoder(features, in_features)
            if len(in_shape) > 1:  # reconstruct the map the block received, not its flat view
                decoder = nn.Sequential(decoder, nn.Unflatten(1, tuple(in_shape)))
        if config.local.sim > 0 and _hu_thesis(config):
            embedding = SimilarityEmbedding(features)
    loss = _block_loss(config, num_classes)
    return LocalBlock(nn.Sequential(*layers), head, loss, decoder, embedding)


def _output_block(config: RunConfig, in_features: int, num_classes: int) -> LocalBlock:
    options = _synapse_options(config, spike_input=True)
    synapse = _apply_bilinear_variant(
        config, make_synapse(config.synapse, in_features, num_classes, **options)
    )
    if config.readout == "spike-count":
        readout = CountedSpikingOutput(_neuron(config))
        loss = {
            "ce-per-step-membrane": PerStepMembraneCrossEntropy,
            "ce-spike-mean": SpikeMeanCrossEntropy,
        }.get(config.output_loss or "ce")
        body = nn.Sequential(synapse, readout)
        return LocalBlock(body, head=None, loss=loss(readout) if loss else OutputCrossEntropy())
    body = nn.Sequential(synapse, MembraneReadout(reduce="mean"))
    return LocalBlock(body, head=None, loss=OutputCrossEntropy())


def build_network(
    config: RunConfig, image_shape: tuple[int, int, int], num_classes: int
) -> LocalNetwork:
    """The spiking classifier `config` describes, for images of `image_shape` (C, H, W)."""
    if config.rule == "stdp-delta":
        return build_stdp_delta_network(config, image_shape, num_classes)
    if config.rule == "plasticity-centric":
        return build_plasticity_centric_network(config, image_shape, num_classes)
    if config.rule == "lee2016":
        return build_lee2016_network(config, image_shape, num_classes)
    arch = architecture(config)
    spike_input = config.encoding == "rate"
    encoder = make_encoder(config.encoding, config.T)
    blocks: list[LocalBlock] = []
    shape: tuple[int, ...] = tuple(image_shape)
    if not arch.convs:
        # Flatten before encoding so the first dense synapse sees a time-repeated view and
        # integrates the static image once instead of T times.
        encoder = nn.Sequential(nn.Flatten(), encoder)
        shape = (image_shape[0] * image_shape[1] * image_shape[2],)
    for spec in arch.convs:
        block, shape = _conv_block(config, shape, spec, spike_input, num_classes)  # type: ignore[arg-type]
        blocks.append(block)
        spike_input = True
    for features in arch.dense:
        blocks.append(_dense_block(config, shape, features, spike_input, num_classes))
        shape = (features,)
        spike_input = True
    blocks.append(_output_block(config, shape[0], num_classes))
    return LocalNetwork(blocks, encoder=encoder)


def build_stdp_delta_network(
    config: RunConfig, image_shape: tuple[int, int, int], num_classes: int
) -> LocalNetwork:
    """The three-layer network of the stdp-delta rule (ours; not Zhang et al. 2018): input,
    a competitive-STDP hidden layer of `hidden` LIF neurons (k = hidden / 10 winners per step)
    and a teacher-trained output layer. FCN only; no batch norm, no gradients."""
    if config.arch != "fcn":
        raise ValueError("the stdp-delta rule trains the FCN only (--arch fcn)")
    in_features = image_shape[0] * image_shape[1] * image_shape[2]
    encoder = nn.Sequential(nn.Flatten(), make_encoder(config.encoding, config.T))
    hidden = CompetitiveSTDPLayer(
        in_features, config.hidden, k=max(1, config.hidden // 10), gain=3.0, rho=1e-5
    )
    output = TeacherOutputLayer(config.hidden, num_classes)
    return LocalNetwork([LocalBlock(hidden), LocalBlock(output)], encoder=encoder)


def build_plasticity_centric_network(
    config: RunConfig, image_shape: tuple[int, int, int], num_classes: int
) -> LocalNetwork:
    """Seed 003's input-hidden-output network (FCN only): one block holding the whole network,
    because its layers relax together (the equilibrium couples each layer to the one above)."""
    if config.arch != "fcn":
        raise ValueError("the plasticity-centric rule trains the FCN only (--arch fcn)")
    settings = config.plasticity_centric or PlasticityCentricSettings()
    in_features = image_shape[0] * image_shape[1] * image_shape[2]
    body = PlasticityCentricNetwork(
        (in_features, config.hidden, num_classes),
        steps=settings.steps,
        step=settings.step,
        lr=config.lr,
        weight_lr=settings.weight_lr,
        teacher_rate=settings.teacher_rate,
        free_phase_stdp=settings.free_phase_stdp,
    )
    return LocalNetwork([LocalBlock(body)], encoder=nn.Flatten())


def build_lee2016_network(
    config: RunConfig, image_shape: tuple[int, int, int], num_classes: int
) -> LocalNetwork:
    """Seed 001's ``in-hidden-out`` WTA network (FCN only), fed Poisson input events; one block,
    because the aggregate-rate gradient is computed for the whole network at once."""
    if config.arch != "fcn":
        raise ValueError("the lee2016 rule trains the FCN only (--arch fcn)")
    settings = config.lee2016 or Lee2016Settings()
    in_features = image_shape[0] * image_shape[1] * image_shape[2]
    body = Lee2016Network(
        (in_features, config.hidden, num_classes),
        alpha=settings.alpha,
        inhibition=(settings.inhibition_hidden, settings.inhibition_output),
        t_ref=settings.t_ref,
        tau=settings.tau,
        sigma=settings.sigma,
    )
    encoder = nn.Sequential(nn.Flatten(), PoissonEvents(config.T, settings.input_rate))
    return LocalNetwork([LocalBlock(body)], encoder=encoder)
