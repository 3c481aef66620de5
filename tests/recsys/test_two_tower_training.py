"""The spiking two-tower ranker learns, both locally and end to end, and stays local."""

import numpy as np
import pytest
import torch

from recsys.data.interactions import IndexedSplit
from recsys.data.split import stratified_split
from recsys.evaluation import evaluate_model
from recsys.models.fitting import fit_ranker
from recsys.models.losses import catalogue_loss
from recsys.models.ranker import TwoTowerRanker
from recsys.models.scoring import RankerScores
from recsys.models.trainer import (
    FitConfig,
    TwoTowerFitter,
    item_batch_inputs,
    user_batch_inputs,
)
from tests.recsys.conftest import tiny_ranker_config


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
