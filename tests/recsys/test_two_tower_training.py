"""The spiking two-tower ranker learns, both locally and end to end, and stays local."""

import numpy as np
import pytest
import torch

from recsys.data.interactions import IndexedSplit
from recsys.data.split import stratified_split
from recsys.evaluation import evaluate_model
from recsys.models.batches import item_batch_inputs, user_batch_inputs
from recsys.models.losses import catalogue_loss
from recsys.models.ranker import TwoTowerRanker
from recsys.models.scoring import RankerScores
from recsys.models.trainer import FitConfig, TwoTowerFitter
from tests.recsys.conftest import fit_ranker, tiny_ranker_config


def _held_out_precision(
    planted, mode: str, synapse: str = "bilinear", n_blocks: int = 1, loss: str = "squared"
) -> float:
    split = stratified_split(planted.ratings, 0.75, seed=42)
    fitted = fit_ranker(
        planted.users,
        planted.movies,
        split.train,
        tiny_ranker_config(synapse, n_blocks),
        FitConfig(
            mode=mode, epochs=30, batch_size=32, lr=1e-2, weight_decay=0.0, loss=loss, seed=3
        ),
        user_ids=planted.users["user_id"].to_numpy(),
        show_progress=False,
    )
    indexed = IndexedSplit.from_tables(
        split.train, split.test, planted.users["user_id"], planted.movies["movie_id"]
    )
    return evaluate_model(RankerScores(fitted.model, fitted.inputs), indexed, k=5)["precision@5"]


@pytest.mark.parametrize("mode", ["local", "bptt"])
def test_planted_preference_is_learned(planted, mode):
    # 4 genres, test items mostly from the user's genre: a random ranking scores about 0.06.
    assert _held_out_precision(planted, mode) > 0.3


def test_softmax_objective_also_learns(planted):
    assert _held_out_precision(planted, "local", loss="softmax") > 0.3


def test_unknown_objective_is_refused(fitted_ranker):
    with pytest.raises(ValueError, match="loss must be one of"):
        TwoTowerFitter(fitted_ranker.model.members[0], fitted_ranker.inputs, FitConfig(loss="x"))


def test_two_block_local_training_also_learns(planted):
    assert _held_out_precision(planted, "local", n_blocks=2) > 0.3


def test_local_block_losses_send_no_gradient_across_block_boundaries(fitted_ranker):
    torch.manual_seed(0)
    builder = fitted_ranker.builder
    model = TwoTowerRanker(
        builder.n_user_inputs, builder.n_item_inputs, tiny_ranker_config(n_blocks=2)
    ).members[0]
    inputs = fitted_ranker.inputs
    users = np.arange(8)
    x_user = user_batch_inputs(inputs, users)
    x_item = item_batch_inputs(inputs)
    user_blocks = model.user_tower.network.forward_blocks(x_user)
    items = model.item_embeddings(x_item).detach()
    loss = catalogue_loss(
        model.augment_user(user_blocks[1].head) @ items.T, torch.rand(8, len(items))
    )
    model.zero_grad(set_to_none=True)
    loss.backward()
    first, second = model.user_tower.network.blocks
    assert all(p.grad is None for p in first.parameters())
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in second.parameters())
    assert all(p.grad is None for p in model.item_tower.parameters())


def test_bilinear_and_linear_towers_differ_only_in_synapse():
    bilinear = TwoTowerRanker(30, 20, tiny_ranker_config("bilinear"))
    linear = TwoTowerRanker(30, 20, tiny_ranker_config("linear"))
    names = {n for n, _ in bilinear.named_parameters()} - {n for n, _ in linear.named_parameters()}
    assert names and all("interaction" in n for n in names)


def _two_block_fitter(fitted_ranker, **config) -> TwoTowerFitter:
    builder = fitted_ranker.builder
    model = TwoTowerRanker(
        builder.n_user_inputs, builder.n_item_inputs, tiny_ranker_config(n_blocks=2)
    ).members[0]
    return TwoTowerFitter(model, fitted_ranker.inputs, FitConfig(**config))


@pytest.mark.parametrize("mode", ["negatives", "mix", "residual"])
def test_distillation_puts_the_teacher_into_deeper_blocks_targets_only(fitted_ranker, mode):
    fitter = _two_block_fitter(
        fitted_ranker, distill_weight=0.25, corating_l2=10.0, distill_mode=mode
    )
    users = np.arange(6)
    ratings = torch.from_numpy(fitted_ranker.inputs.train.dense(users))
    first, second = fitter._block_targets(users, ratings)
    torch.testing.assert_close(first, ratings)
    teacher = fitter.teacher.scores(ratings)
    if mode == "mix":
        torch.testing.assert_close(second, 0.75 * ratings + 0.25 * teacher)
    elif mode == "residual":  # what a readout of gain 0.25 leaves for the towers to learn
        torch.testing.assert_close(second, ratings - 0.25 * teacher)
    else:  # rated movies keep target 1, the others learn a quarter of the teacher's score
        rated = ratings > 0
        torch.testing.assert_close(second[rated], torch.ones(int(rated.sum())))
        torch.testing.assert_close(second[~rated], 0.25 * teacher[~rated])
    assert not torch.allclose(second, ratings)
    # The teacher lives in the fitter, not in the model that is saved and served.
    n = ratings.shape[1]
    assert not any(t.shape == (n, n) for t in fitter.model.state_dict().values())


def test_without_distillation_every_block_learns_the_ratings(fitted_ranker):
    fitter = _two_block_fitter(fitted_ranker)
    assert fitter.teacher is None
    assert fitter._block_targets(np.arange(3), torch.zeros(3, 5)) is None


def test_distillation_needs_layer_local_training(fitted_ranker):
    with pytest.raises(ValueError, match="mode='local'"):
        _two_block_fitter(fitted_ranker, mode="bptt", distill_weight=0.5)


@pytest.mark.parametrize("mode", ["local", "bptt"])
def test_deep_lr_scale_slows_only_the_deeper_blocks(fitted_ranker, mode):
    fitter = _two_block_fitter(fitted_ranker, mode=mode, lr=0.01, deep_lr_scale=0.5, epochs=4)
    fitter.set_epoch(1)  # cosine decay: 0.5 · (1 + cos(π/4)) of the base rate
    decay = 0.5 * (1 + np.cos(np.pi / 4))
    towers = (fitter.model.user_tower, fitter.model.item_tower)
    deeper = {id(p) for t in towers for b in t.network.blocks[1:] for p in b.parameters()}
    pairs = [
        (id(p), g["lr"]) for o in fitter.optimizers() for g in o.param_groups for p in g["params"]
    ]
    assert sorted(k for k, _ in pairs) == sorted(id(p) for p in fitter.model.parameters())
    for key, rate in pairs:
        assert rate == pytest.approx((0.005 if key in deeper else 0.01) * decay)


def test_unknown_distillation_mode_is_refused(fitted_ranker):
    with pytest.raises(ValueError, match="distill_mode must be one of"):
        _two_block_fitter(fitted_ranker, distill_mode="soft")
