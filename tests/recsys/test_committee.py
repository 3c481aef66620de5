"""A committee of tower pairs: mean score, independent members, one-product serving."""

from dataclasses import replace

import numpy as np
import pytest
import torch

from recsys.features.schema import ItemContent, UserQuery
from recsys.models.batches import item_batch_inputs, user_batch_inputs
from recsys.models.ranker import RankerConfig, TwoTowerRanker, upgrade_state_dict
from recsys.models.trainer import FitConfig, member_seed
from recsys.serving import load_recommender, write_artifact
from recsys.serving.committee import FusedUserTowers, can_fuse_user_towers
from tests.recsys.conftest import fit_ranker, tiny_ranker_config
from training.export import artifact_contents

FIT = FitConfig(epochs=15, batch_size=32, lr=1e-2, weight_decay=0.0, seed=5)


def _fit(planted, members: int):
    return fit_ranker(
        planted.users,
        planted.movies,
        planted.ratings,
        replace(tiny_ranker_config(), members=members),
        FIT,
        show_progress=False,
    )


@pytest.fixture(scope="module")
def committee(planted):
    return _fit(planted, members=3)


def test_committee_scores_the_mean_of_its_members(committee):
    model, inputs = committee.model, committee.inputs
    x_user, x_item = user_batch_inputs(inputs, np.arange(10)), item_batch_inputs(inputs)
    with torch.no_grad():
        members = torch.stack([pair(x_user, x_item) for pair in model.members])
        torch.testing.assert_close(model(x_user, x_item), members.mean(0), rtol=1e-5, atol=1e-5)
    width = model.config.embedding_width
    assert width == 3 * model.config.dim + 1
    assert model.user_embeddings(x_user).shape == (10, width)
    assert model.item_embeddings(x_item).shape == (len(committee.item_map), width)


def test_members_are_trained_independently(planted, committee):
    # Member 0 of a committee is exactly the pair trained alone: nothing passes between members.
    alone = _fit(planted, members=1).model.members[0].state_dict()
    first = committee.model.members[0].state_dict()
    assert alone.keys() == first.keys()
    for key in alone:
        torch.testing.assert_close(first[key], alone[key], rtol=0, atol=0)
    # …and the other members start and train differently.
    second = committee.model.members[1].state_dict()
    assert any(not torch.equal(first[key], second[key]) for key in first)


def test_committee_learns_the_planted_preferences(planted, committee):
    # 4 genres: a learned model fills a user's top 5 from their own genre.
    scores = committee.model(
        user_batch_inputs(committee.inputs, np.arange(40)), item_batch_inputs(committee.inputs)
    ).detach()
    genres = (
        planted.movies.set_index("movie_id").loc[committee.item_map.ids].genres.map(lambda g: g[0])
    )
    tastes = [planted.user_genre[int(u)] for u in committee.user_map.ids[:40]]
    top = scores.topk(5, dim=1).indices.numpy()
    hits = [
        np.mean(genres.to_numpy()[row] == taste) for row, taste in zip(top, tastes, strict=True)
    ]
    assert np.mean(hits) > 0.8  # chance: 0.25


def test_committee_artifact_round_trip_serves_every_path(planted, committee, tmp_path):
    contents = artifact_contents(committee, {"ndcg@10": 0.5}, {"sha256": "abc", "n_ratings": 1})
    recommender = load_recommender(write_artifact(tmp_path / "v1", contents))
    np.testing.assert_allclose(recommender._index.matrix, committee.item_matrix(), atol=1e-6)
    width = committee.model.config.embedding_width
    movie = ItemContent(title="A new upload", year=1998, genres=("Horror",))
    assert recommender.embed_item(movie).shape == (width,)
    rated = {int(m): 5 for m in planted.movies.movie_id[:3]}
    results = recommender.recommend(UserQuery(ratings=rated), k=10)
    assert len(results) == 10 and not set(rated) & {r.movie_id for r in results}
    assert len(recommender.similar_items(int(planted.movies.movie_id[0]), k=5)) == 5


def test_weights_saved_by_a_lone_pair_load_as_a_one_member_committee():
    torch.manual_seed(0)
    model = TwoTowerRanker(30, 20, tiny_ranker_config())
    old_layout = {
        key.removeprefix("members.0."): value for key, value in model.state_dict().items()
    }
    assert not any(key.startswith("members.") for key in old_layout)
    upgraded = TwoTowerRanker(30, 20, tiny_ranker_config())
    upgraded.load_state_dict(upgrade_state_dict(old_layout), strict=True)
    x = torch.rand(4, 30)
    torch.testing.assert_close(upgraded.user_embeddings(x), model.user_embeddings(x))
    current = model.state_dict()
    assert upgrade_state_dict(current) is current


def test_a_committee_needs_a_member():
    with pytest.raises(ValueError, match="at least one member"):
        RankerConfig(members=0)


@pytest.mark.parametrize(
    ("synapse", "members", "n_blocks"),
    [("bilinear", 3, 1), ("linear", 2, 1), ("bilinear", 1, 1), ("bilinear", 2, 2)],
)
def test_fused_user_towers_give_the_committees_user_vectors(synapse, members, n_blocks):
    torch.manual_seed(4)
    config = replace(tiny_ranker_config(synapse, n_blocks), members=members)
    model = TwoTowerRanker(60, 20, config).eval()
    x = torch.rand(16, 60) * (torch.rand(16, 60) < 0.3)
    if n_blocks > 1:
        assert not can_fuse_user_towers(model)
        with pytest.raises(ValueError, match="cannot run as one"):
            FusedUserTowers(model)
        return
    assert can_fuse_user_towers(model)
    with torch.no_grad():
        torch.testing.assert_close(FusedUserTowers(model)(x), model.user_embeddings(x))


def test_member_seeds_do_not_overlap_between_neighbouring_seeds():
    committees = [{member_seed(seed, m) for m in range(3)} for seed in (42, 43, 44)]
    assert member_seed(42, 0) == 42
    assert not committees[0] & committees[1] and not committees[1] & committees[2]


@pytest.mark.parametrize(("synapse", "members"), [("bilinear", 3), ("linear", 2)])
def test_one_row_numpy_path_equals_the_fused_torch_towers(synapse, members):
    torch.manual_seed(6)
    config = replace(tiny_ranker_config(synapse), members=members)
    model = TwoTowerRanker(60, 20, config).eval()
    fused = FusedUserTowers(model)
    x = 3.0 * torch.rand(32, 60) * (torch.rand(32, 60) < 0.3)
    with torch.no_grad():
        batch = fused(x)
        rates = model.members[0].user_tower.spike_rates(x)
    assert rates[0] > 0.05  # neurons fire: the comparison covers the LIF scan, not zeros
    one = np.stack([fused.one(row) for row in x.numpy()])
    np.testing.assert_allclose(one, batch.numpy(), rtol=1e-5, atol=1e-5)


def test_served_top_k_equals_the_reference_torch_scoring(planted, committee, tmp_path):
    """The request path's model scores (NumPy towers, one index lookup) are the torch model's.
    (What the site ranks by adds the visitor's stars on top: tests/recsys/test_taste.py.)"""
    contents = artifact_contents(committee, {"ndcg@10": 0.5}, {"sha256": "abc", "n_ratings": 1})
    recommender = load_recommender(write_artifact(tmp_path / "v1", contents))
    model, index = committee.model, recommender._index
    for user_id in planted.users.user_id.iloc[:8]:
        rated = planted.ratings[planted.ratings.user_id == user_id]
        query = UserQuery(
            age=30, gender="F", ratings=dict(zip(rated.movie_id, rated.rating, strict=True))
        )
        row = recommender.builder.user_row(query, index.id_map)
        with torch.no_grad():
            user = model.user_embeddings(torch.from_numpy(row[None, :]))[0].numpy()
        reference = index.matrix @ user
        served = recommender.score_queries([query])[0]
        best = np.argsort(-reference, kind="stable")[:5]
        assert np.argsort(-served, kind="stable")[:5].tolist() == best.tolist()
        np.testing.assert_allclose(served[best], reference[best], atol=1e-5)
