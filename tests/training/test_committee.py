"""A committee trained member by member, through files, is the committee trained in one process."""

import numpy as np
import pytest
import torch

from recsys.data.synthetic import planted_genre_tables
from recsys.serving import UserQuery, load_recommender
from training.committee import (
    finish_committee,
    fit_member,
    load_member,
    load_prepared,
    prepare_committee,
    save_member,
    save_prepared,
)
from training.pipeline import TrainConfig, train_and_evaluate

CONFIG = TrainConfig.small(members=3, epochs=4)


@pytest.fixture(scope="module")
def tables():
    return planted_genre_tables(n_users=60, n_movies=40, ratings_per_user=12, seed=5)


@pytest.fixture(scope="module")
def in_one_process(tables, tmp_path_factory):
    torch.set_num_threads(1)
    out = tmp_path_factory.mktemp("sequence") / "artifact"
    return train_and_evaluate(
        tables.users, tables.movies, tables.ratings, CONFIG, out, show_progress=False
    )


@pytest.fixture(scope="module")
def member_by_member(tables, tmp_path_factory):
    """Each member from its own fresh copy of the prepared files, last member first."""
    torch.set_num_threads(1)
    work = tmp_path_factory.mktemp("parts")
    save_prepared(prepare_committee(tables.users, tables.movies, tables.ratings, CONFIG), work)
    for index in reversed(range(CONFIG.ranker.members)):
        save_member(fit_member(load_prepared(work), index), work)
    prepared = load_prepared(work)
    members = [load_member(work, index) for index in range(CONFIG.ranker.members)]
    return finish_committee(prepared, members, work / "artifact")


def _scores(artifact, tables) -> np.ndarray:
    recommender = load_recommender(artifact)
    rows = []
    for user in tables.ratings.user_id.unique()[:10]:
        mine = tables.ratings[tables.ratings.user_id == user]
        query = UserQuery(ratings=dict(zip(mine.movie_id, mine.rating, strict=True)))
        rows.append([float(s.score) for s in recommender.recommend(query, k=10)])
    return np.array(rows)


def test_members_trained_apart_give_the_same_scores(in_one_process, member_by_member, tables):
    apart = _scores(member_by_member.artifact_path, tables)
    together = _scores(in_one_process.artifact_path, tables)
    assert apart.shape == (10, 10)
    np.testing.assert_array_equal(apart, together)
    for key in ("ndcg@10", "recall@10", "map@10"):
        assert member_by_member.metrics[key] == in_one_process.metrics[key]


def test_members_trained_apart_give_the_same_weights(in_one_process, member_by_member):
    apart = load_recommender(member_by_member.artifact_path).model.state_dict()
    together = load_recommender(in_one_process.artifact_path).model.state_dict()
    assert apart.keys() == together.keys()
    for name, value in together.items():
        assert torch.equal(apart[name], value), name


def test_the_history_has_the_committees_mean_loss_per_epoch(in_one_process, member_by_member):
    apart, together = member_by_member.history, in_one_process.history
    assert [row["epoch"] for row in apart] == [1, 2, 3, 4]
    assert [row["loss"] for row in apart] == [row["loss"] for row in together]
    # The committee's metric exists once every member is trained: the last epoch only.
    assert [row["metric"] is None for row in apart] == [True, True, True, False]
    assert apart[-1]["metric"] == pytest.approx(together[-1]["metric"])


def test_a_committee_with_a_member_missing_is_refused(tables, tmp_path):
    config = TrainConfig.small(members=2, epochs=1)
    prepared = prepare_committee(tables.users, tables.movies, tables.ratings, config)
    with pytest.raises(ValueError, match="member 2 is not in a committee of 2"):
        fit_member(prepared, 2)
    only = fit_member(prepared, 0)
    with pytest.raises(ValueError, match=r"members \[0\] do not make a committee of 2"):
        finish_committee(prepared, [only], tmp_path / "artifact")
    assert not (tmp_path / "artifact").exists()


def test_evaluating_on_a_user_sample_keeps_training_as_it_was(tables):
    config = TrainConfig.small(members=1, epochs=1)
    whole = prepare_committee(tables.users, tables.movies, tables.ratings, config)
    sample = prepare_committee(tables.users, tables.movies, tables.ratings, config, eval_users=7)
    assert len(sample.indexed.eval_users()) == 7 < len(whole.indexed.eval_users())
    assert sample.split.test["user_id"].nunique() == 7
    assert set(sample.split.test.itertuples(index=False)) <= set(
        whole.split.test.itertuples(index=False)
    )
    np.testing.assert_array_equal(sample.inputs.train.items, whole.inputs.train.items)
    for name, value in whole.model.state_dict().items():
        assert torch.equal(sample.model.state_dict()[name], value), name
