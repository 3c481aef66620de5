"""Local learning: detached blocks, per-block optimizers, built-in and custom losses, BPTT."""

import pytest
import torch
from torch import nn

from snn_models import (
    LIF,
    BPTTTrainer,
    ClassifierHead,
    ConvDecoder,
    DenseDecoder,
    DirectEncoder,
    HSICBottleneckLoss,
    HybridLocalLoss,
    LocalBlock,
    LocalNetwork,
    LocalTrainer,
    SpikingConv2d,
    SpikingDense,
    TimeDistributed,
)
from snn_models.local.losses import (
    similarity_matching_loss,
    similarity_matrix,
    supervised_contrastive_loss,
)

NUM_CLASSES = 3


def _dense_network(seed=0, loss=None, kind="bilinear"):
    torch.manual_seed(seed)
    loss = loss or HybridLocalLoss(NUM_CLASSES, alpha=1.0, beta=1.0, gamma=0.5, zeta=0.5)
    sizes = [8, 16, 16, 12]
    blocks = [
        LocalBlock(
            SpikingDense(kind, fan_in, fan_out, neuron=LIF(tau=2.0, threshold=0.5)),
            head=ClassifierHead(fan_out, NUM_CLASSES),
            decoder=DenseDecoder(fan_out, fan_in),
            loss=loss,
        )
        for fan_in, fan_out in zip(sizes, sizes[1:], strict=False)
    ]
    return LocalNetwork(blocks, encoder=DirectEncoder(6))


def _toy_data(seed=0, batch=48):
    """Three classes, each a different set of active features."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(batch) % NUM_CLASSES
    prototypes = torch.tensor(
        [[1.0] * 3 + [0.0] * 5, [0.0] * 3 + [1.0] * 3 + [0.0] * 2, [0.0] * 5 + [1.0] * 3]
    )
    x = prototypes[labels] * 2.0 + 0.2 * torch.rand(batch, 8, generator=g)
    return x, labels


def test_loss_of_block_two_leaves_block_one_without_gradient():
    net = _dense_network()
    x, y = _toy_data()
    outs = net.forward_blocks(x)
    loss = net.blocks[1].local_loss(outs[1], y)
    loss.backward()
    assert all(p.grad is None for p in net.blocks[0].parameters())
    assert all(p.grad is not None for p in net.blocks[1].body.parameters())
    assert outs[1].input.grad_fn is None and not outs[1].input.requires_grad


def test_trainer_never_moves_another_blocks_weights_even_with_a_leaky_custom_loss():
    net = _dense_network()
    x, y = _toy_data()
    trainer = LocalTrainer(net, lambda params: torch.optim.SGD(params, lr=0.5))
    before = [p.detach().clone() for p in net.blocks[0].parameters()]
    outs = net.forward_blocks(x)
    # a careless loss for block 2 that also touches block 1's (undetached) output
    careless = outs[1].output.mean() + outs[0].output.mean()
    trainer.step_block(1, careless)
    for old, new in zip(before, net.blocks[0].parameters(), strict=True):
        assert torch.equal(old, new)


def test_local_training_step_updates_every_block_and_reduces_the_losses():
    net = _dense_network()
    x, y = _toy_data()
    trainer = LocalTrainer(net, lambda params: torch.optim.Adam(params, lr=0.02))
    before = [[p.detach().clone() for p in b.parameters()] for b in net.blocks]
    first = trainer.step(x, y)
    assert len(first) == 3
    for old, block in zip(before, net.blocks, strict=True):
        assert any(not torch.equal(o, p) for o, p in zip(old, block.parameters(), strict=True))
    for _ in range(40):
        last = trainer.step(x, y)
    assert all(b < a for a, b in zip(first, last, strict=True)), (first, last)
    logits = net.blocks[-1].head(net(x))
    assert (logits.argmax(1) == y).float().mean() > 0.9


def test_custom_loss_with_caller_stepping_each_block():
    """The recommender's pattern: forward all blocks, a loss against another tower, step."""
    net = _dense_network(loss=None)
    x, _ = _toy_data()
    other_tower = torch.randn(x.shape[0], NUM_CLASSES)
    trainer = LocalTrainer(net, lambda params: torch.optim.SGD(params, lr=0.1))

    def dot_ranking_loss(out, target):
        scores = out.head @ target.T
        return nn.functional.cross_entropy(scores, torch.arange(scores.shape[0]))

    losses = [dot_ranking_loss(o, other_tower.detach()) for o in net.forward_blocks(x)]
    before = [p.detach().clone() for p in net.parameters()]
    trainer.apply(losses)
    changed = [not torch.equal(a, b) for a, b in zip(before, net.parameters(), strict=True)]
    assert sum(changed) > 0
    with pytest.raises(ValueError, match="expected 3 losses"):
        trainer.apply(losses[:2])


def _head_ce(out, target):
    return nn.functional.cross_entropy(out.head, target)


def test_bptt_trainer_sends_gradient_through_every_block():
    net = _dense_network()
    x, y = _toy_data()
    trainer = BPTTTrainer(net, lambda params: torch.optim.Adam(params, lr=0.02), loss=_head_ce)
    loss, out = trainer.compute_loss(x, y)
    loss.backward()
    for block in net.blocks:
        assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in block.body.parameters())
    assert out.input.requires_grad
    first = trainer.step(x, y)
    for _ in range(30):
        last = trainer.step(x, y)
    assert last < first
    assert (net.blocks[-1].head(net(x)).argmax(1) == y).float().mean() > 0.9


def test_hsic_blocks_train_without_heads():
    torch.manual_seed(0)
    loss = HSICBottleneckLoss(NUM_CLASSES, beta=50.0, kernel="gaussian")
    blocks = [
        LocalBlock(SpikingDense("shunting", 8, 16, neuron=LIF(threshold=0.3)), loss=loss),
        LocalBlock(SpikingDense("linear", 16, 16, neuron=LIF(threshold=0.3)), loss=loss),
    ]
    net = LocalNetwork(blocks, encoder=DirectEncoder(5))
    trainer = LocalTrainer(net, lambda params: torch.optim.Adam(params, lr=0.01))
    x, y = _toy_data()
    first = trainer.step(x, y)
    for _ in range(30):
        last = trainer.step(x, y)
    assert all(b < a for a, b in zip(first, last, strict=True))


def test_conv_blocks_with_pooled_heads_and_decoders():
    torch.manual_seed(0)
    loss = HybridLocalLoss(NUM_CLASSES, alpha=1.0, beta=1.0, gamma=1.0, zeta=1.0)
    body1 = nn.Sequential(
        SpikingConv2d("bilinear", 1, 4, 3, padding=1), TimeDistributed(nn.MaxPool2d(2))
    )
    body2 = SpikingConv2d("shunting", 4, 6, 3, padding=1)
    net = LocalNetwork(
        [
            LocalBlock(
                body1,
                ClassifierHead(4 * 2 * 2, NUM_CLASSES, pool_to=(2, 2)),
                loss,
                ConvDecoder(4, 1, scale=2),
            ),
            LocalBlock(
                body2,
                ClassifierHead(6 * 2 * 2, NUM_CLASSES, pool_to=(2, 2)),
                loss,
                ConvDecoder(6, 4),
            ),
        ],
        encoder=DirectEncoder(4),
    )
    x, y = torch.rand(12, 1, 8, 8) * 3, torch.arange(12) % NUM_CLASSES
    outs = net.forward_blocks(x)
    assert outs[0].output.shape == (4, 12, 4, 4, 4)
    assert outs[0].reconstruction.shape == (12, 1, 8, 8)
    assert outs[1].head.shape == (12, NUM_CLASSES)
    losses = LocalTrainer(net, lambda p: torch.optim.SGD(p, lr=0.1)).step(x, y)
    assert all(torch.isfinite(torch.tensor(losses)))


def test_hybrid_loss_terms_are_switched_by_their_coefficients():
    net = _dense_network()
    x, y = _toy_data()
    out = net.forward_blocks(x)[0]
    full = HybridLocalLoss(NUM_CLASSES, alpha=1.0, beta=2.0, gamma=3.0, zeta=4.0)
    terms = full.terms(out, y)
    assert set(terms) == {"pred", "sim", "contrast", "recon"}
    expected = terms["pred"] + 2 * terms["sim"] + 3 * terms["contrast"] + 4 * terms["recon"]
    torch.testing.assert_close(full(out, y), expected)
    assert set(HybridLocalLoss(NUM_CLASSES).terms(out, y)) == {"pred", "sim"}
    only_sim = HybridLocalLoss(NUM_CLASSES, alpha=0.0)
    headless = out.__class__(0, out.input, out.output, None, None, out.network_input)
    assert set(only_sim.terms(headless, y)) == {"sim"}
    with pytest.raises(ValueError, match="head"):
        HybridLocalLoss(NUM_CLASSES).terms(headless, y)
    with pytest.raises(ValueError, match="zero"):
        HybridLocalLoss(NUM_CLASSES, alpha=0.0, beta=0.0)(out, y)


def test_similarity_and_contrastive_losses_reward_class_structure():
    labels = torch.tensor([0, 0, 1, 1, 2, 2])
    code = nn.functional.one_hot(labels, 3).float()
    good = code * 5 + 0.01 * torch.randn(6, 3)
    shuffled = good[torch.tensor([0, 2, 4, 1, 3, 5])]
    assert similarity_matching_loss(good, labels, 3) < 0.01
    assert similarity_matching_loss(shuffled, labels, 3) > 0.1
    assert supervised_contrastive_loss(good, labels) < supervised_contrastive_loss(shuffled, labels)
    torch.testing.assert_close(torch.diag(similarity_matrix(good)), torch.ones(6))
    lonely = supervised_contrastive_loss(torch.randn(3, 4), torch.tensor([0, 1, 2]))
    assert lonely == 0


def test_margin_contrastive_loss_is_the_thesis_margin_loss():
    from snn_models.local import BlockOutput
    from snn_models.local.losses import margin_contrastive_loss

    # Two same-class points at distance 0.6 and one other-class point at distance 0.8 from both
    # (after L2 normalisation the points are already unit vectors).
    a = torch.tensor([1.0, 0.0, 0.0])
    b = torch.tensor([0.82, 0.5724, 0.0])
    b = b / b.norm()
    c = torch.tensor([0.0, 0.0, 1.0])
    features = torch.stack([a, b, c])
    labels = torch.tensor([0, 0, 1])
    d_ab, d_ac, d_bc = (a - b).norm(), (a - c).norm(), (b - c).norm()
    margin = 1.5
    pairs = [d_ab**2, (margin - d_ac) ** 2, (margin - d_bc) ** 2]
    expected = 2 * sum(pairs) / 6  # both orders of each pair, over the 6 ordered pairs
    torch.testing.assert_close(margin_contrastive_loss(features, labels, margin), expected)
    # beyond the margin different classes cost nothing; same-class pairs always cost d^2
    torch.testing.assert_close(
        margin_contrastive_loss(features, labels, margin=0.1), 2 * d_ab**2 / 6, atol=1e-5, rtol=0
    )
    loss = HybridLocalLoss(3, alpha=0, beta=0, gamma=1, supcon=1)
    out = BlockOutput(0, features, features.unsqueeze(0), None, None, features)
    assert set(loss.terms(out, labels)) == {"contrast", "supcon"}
