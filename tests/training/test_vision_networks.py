"""The networks have the layer sizes their names promise, and every rule trains every block."""

import pytest
import torch
from torch import nn

from snn_models import ClassifierHead, LocalNetwork
from training.vision.config import LocalLossWeights, RunConfig
from training.vision.networks import build_network
from training.vision.rules import build_rule

MNIST_SHAPE = (1, 28, 28)


def synapse_shapes(network: LocalNetwork) -> list[tuple[int, ...]]:
    """(in, out) of every synapse weight, in order: the architecture as numbers."""
    shapes = []
    for module in network.modules():
        weight = getattr(module, "weight", None)
        if type(module).__name__.endswith("Synapse") and weight is not None:
            shapes.append(tuple(weight.shape[1:2]) + tuple(weight.shape[:1]))
    return shapes


def test_fcn_is_784_h_10():
    for hidden in (100, 200, 400):
        net = build_network(RunConfig(arch="fcn", hidden=hidden), MNIST_SHAPE, 10)
        assert synapse_shapes(net) == [(784, hidden), (hidden, 10)]


def test_small_cnn_is_32c3_p2_32c3_p2_128_10():
    net = build_network(RunConfig(arch="cnn"), MNIST_SHAPE, 10)
    assert synapse_shapes(net) == [(1, 32), (32, 32), (32 * 7 * 7, 128), (128, 10)]
    kernels = [
        m.weight.shape[-2:] for m in net.modules() if type(m).__name__.endswith("Conv2dSynapse")
    ]
    assert kernels == [(3, 3), (3, 3)]
    assert sum(isinstance(m, nn.MaxPool2d) for m in net.modules()) == 2


def test_vgg_like_doubles_channels_after_each_pool_and_scales_with_width():
    net = build_network(RunConfig(arch="vgg"), MNIST_SHAPE, 10)
    assert synapse_shapes(net) == [
        (1, 64),
        (64, 64),
        (64, 128),
        (128, 128),
        (128 * 7 * 7, 256),
        (256, 10),
    ]
    half = build_network(RunConfig(arch="vgg", width=0.5), MNIST_SHAPE, 10)
    assert synapse_shapes(half)[:2] == [(1, 32), (32, 32)]


@pytest.mark.parametrize("neuron", ["linear", "bilinear", "shunting"])
def test_the_integration_flag_selects_every_synapse(neuron):
    net = build_network(RunConfig(arch="cnn", synapse=neuron), MNIST_SHAPE, 10)
    prefix = {
        "linear": ("LinearSynapse", "Conv2dSynapse"),
        "bilinear": ("Bilinear",),
        "shunting": ("Shunting",),
    }[neuron]
    kinds = [type(m).__name__ for m in net.modules() if type(m).__name__.endswith("Synapse")]
    assert len(kinds) == 4 and all(kind.startswith(prefix) for kind in kinds)


@pytest.mark.parametrize("arch", ["fcn", "cnn", "vgg"])
def test_logits_have_one_row_per_image_for_any_input_size(arch):
    for shape in (MNIST_SHAPE, (1, 8, 8)):
        net = build_network(RunConfig(arch=arch, T=3, width=0.25, hidden=16), shape, 10)
        assert net(torch.rand(5, *shape)).shape == (5, 10)


def test_local_rule_gives_hidden_blocks_heads_and_optional_decoders():
    plain = build_network(RunConfig(arch="cnn", rule="local"), MNIST_SHAPE, 10)
    assert [isinstance(b.head, ClassifierHead) for b in plain.blocks] == [True, True, True, False]
    assert all(block.decoder is None for block in plain.blocks)
    recon = RunConfig(arch="cnn", rule="local", local=LocalLossWeights(pred=1, sim=1, recon=1))
    with_decoder = build_network(recon, MNIST_SHAPE, 10)
    assert [b.decoder is not None for b in with_decoder.blocks] == [True, True, True, False]
    bptt = build_network(RunConfig(arch="cnn", rule="bptt"), MNIST_SHAPE, 10)
    assert all(block.head is None for block in bptt.blocks)


@pytest.mark.parametrize("rule", ["bptt", "local", "hsic"])
def test_one_training_step_moves_every_block(rule):
    torch.manual_seed(0)
    config = RunConfig(arch="cnn", rule=rule, width=0.25, T=3, lr=1e-2)
    net = build_network(config, (1, 8, 8), 10)
    before = [[p.detach().clone() for p in block.body.parameters()] for block in net.blocks]
    step = build_rule(config, net).train_batch(torch.rand(32, 1, 8, 8), torch.arange(32) % 10)
    for block, old in zip(net.blocks, before, strict=True):
        new = list(block.body.parameters())
        assert any(not torch.equal(a, b) for a, b in zip(old, new, strict=True))
    assert 0 <= step.correct <= 32 and step.loss > 0
    assert len(step.block_losses) == (0 if rule == "bptt" else len(net.blocks))


@pytest.mark.parametrize(("rule", "isolated"), [("hsic", True), ("local", True), ("bptt", False)])
def test_only_bptt_lets_the_top_loss_reach_the_first_block(rule, isolated):
    """Give the output block a different target and compare the first block's update: a
    layerwise rule must not notice (its first block answers to its own loss), BPTT must."""
    config = RunConfig(arch="fcn", rule=rule, hidden=16, T=3)
    images, labels = torch.rand(16, 1, 8, 8), torch.arange(16) % 10

    def first_block_after_step(shift):
        torch.manual_seed(0)
        net = build_network(config, (1, 8, 8), 10)
        net.blocks[-1].loss = ShiftedLabelLoss(shift)
        build_rule(config, net).train_batch(images, labels)
        return torch.cat([p.detach().flatten() for p in net.blocks[0].body.parameters()])

    same = torch.equal(first_block_after_step(0), first_block_after_step(3))
    assert same == isolated


class ShiftedLabelLoss:
    """Cross-entropy against labels shifted by `shift` classes."""

    def __init__(self, shift):
        self.shift = shift

    def __call__(self, block_output, target):
        shifted = (target + self.shift) % 10
        return torch.nn.functional.cross_entropy(block_output.output, shifted)
