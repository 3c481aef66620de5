"""The distillation teacher is the co-rating readout, dense or neighbourhood like the ranker's."""

from dataclasses import replace

import numpy as np
import pytest
import torch

from recsys.models import trainer
from recsys.models.corating import (
    CoRatingReadout,
    SparseCoRatingReadout,
    item_item_ridge,
    neighbourhood_ridge,
)
from recsys.models.ranker import TwoTowerRanker
from recsys.models.teacher import CoRatingTeacher
from recsys.models.trainer import FitConfig, TwoTowerFitter

from .conftest import fit_ranker, tiny_ranker_config


def _pair(fitted_ranker):
    builder = fitted_ranker.builder
    config = tiny_ranker_config(n_blocks=2)
    return TwoTowerRanker(builder.n_user_inputs, builder.n_item_inputs, config).members[0]


def test_teacher_targets_at_small_size_are_the_old_dense_ones_exactly(fitted_ranker):
    inputs = fitted_ranker.inputs
    config = FitConfig(distill_weight=0.25, corating_l2=10.0)
    fitter = TwoTowerFitter(_pair(fitted_ranker), inputs, config)
    assert not fitter.teacher.is_sparse
    users = np.arange(9)
    ratings = torch.from_numpy(inputs.train.dense(users))
    _, second = fitter._block_targets(users, ratings)
    # What the fitter computed before the teacher became the readout: a dense n × n ridge.
    old_teacher = ratings @ torch.from_numpy(item_item_ridge(inputs.train.dense(), 10.0))
    expected = ratings + 0.25 * (1.0 - ratings) * old_teacher
    torch.testing.assert_close(second, expected, rtol=0.0, atol=0.0)


def test_above_dense_up_to_the_teacher_is_the_neighbourhood_readout(fitted_ranker):
    train = fitted_ranker.inputs.train
    config = replace(tiny_ranker_config(), corating_neighbours=5, corating_dense_up_to=3)
    teacher = CoRatingTeacher.for_ranker(config, train, 10.0)
    assert teacher.is_sparse and isinstance(teacher.readout, SparseCoRatingReadout)
    n = train.n_items
    assert all(b.numel() < n * n for b in teacher.readout.buffers())
    ratings = torch.from_numpy(train.dense(np.arange(12)))
    expected = ratings.numpy() @ neighbourhood_ridge(train, 10.0, 5).dense()
    np.testing.assert_allclose(teacher.scores(ratings).numpy(), expected, rtol=1e-5, atol=1e-5)
    for layout in (ratings.to_sparse(), ratings.to_sparse_csr()):  # sparse tower inputs
        torch.testing.assert_close(teacher.scores(layout), teacher.scores(ratings))
    # Up to the limit, the same call gives the exact dense solution.
    dense = CoRatingTeacher.for_ranker(replace(config, corating_dense_up_to=n), train, 10.0)
    assert not dense.is_sparse
    np.testing.assert_array_equal(dense.readout.weight.numpy(), item_item_ridge(train, 10.0))


class _Recording(TwoTowerFitter):
    made: list[TwoTowerFitter] = []

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _Recording.made.append(self)


@pytest.mark.parametrize("gain", [0.0, 1.5])
def test_the_members_share_one_teacher_with_the_rankers_switch(planted, monkeypatch, gain):
    monkeypatch.setattr(trainer, "TwoTowerFitter", _Recording)
    _Recording.made = []
    config = replace(
        tiny_ranker_config(n_blocks=2),
        members=2,
        corating_gain=gain,
        corating_neighbours=5,
        corating_dense_up_to=3,
    )
    fit = FitConfig(epochs=1, batch_size=64, seed=1, corating_l2=10.0, distill_weight=0.3)
    fitted = fit_ranker(
        planted.users, planted.movies, planted.ratings, config, fit, show_progress=False
    )
    first, second = _Recording.made
    assert first.teacher is second.teacher and first.teacher.is_sparse
    if gain > 0:  # the served readout is the teacher: fitted once, not twice
        assert first.teacher.readout is fitted.model.corating
    else:
        assert fitted.model.corating is None
    ratings = torch.from_numpy(fitted.inputs.train.dense(np.arange(5)))
    expected = ratings.numpy() @ neighbourhood_ridge(fitted.inputs.train, 10.0, 5).dense()
    np.testing.assert_allclose(first.teacher.scores(ratings).numpy(), expected, atol=1e-5)


def test_the_served_readout_scores_are_the_teachers_times_the_gain(fitted_ranker):
    train = fitted_ranker.inputs.train
    readout = CoRatingReadout(train.n_items, gain=1.5).fit(train, 10.0)
    ratings = torch.from_numpy(train.dense(np.arange(4)))
    teacher = CoRatingTeacher(readout).scores(ratings)
    torch.testing.assert_close(readout(ratings), 1.5 * teacher)
    torch.testing.assert_close(teacher, ratings @ readout.weight)


@pytest.mark.parametrize("neighbours", [0, 5])
def test_a_sample_of_columns_scores_like_the_full_catalogue(fitted_ranker, neighbours):
    train = fitted_ranker.inputs.train
    teacher = CoRatingTeacher.fit(train, 10.0, neighbours=neighbours, dense_up_to=3)
    assert teacher.is_sparse == (neighbours > 0)
    ratings = torch.from_numpy(train.dense(np.arange(7)))
    columns = np.array([train.n_items - 1, 0, 5, 5, 17])  # any order, repeats allowed
    full = teacher.scores(ratings)
    torch.testing.assert_close(teacher.scores(ratings, columns), full[:, columns])


def test_a_sampled_step_distils_the_teachers_scores_of_its_sampled_movies(fitted_ranker):
    inputs = fitted_ranker.inputs
    config = FitConfig(distill_weight=0.25, corating_l2=10.0)
    teacher = CoRatingTeacher.fit(inputs.train, 10.0, neighbours=5, dense_up_to=3)
    fitter = TwoTowerFitter(_pair(fitted_ranker), inputs, config, teacher)
    assert fitter.teacher is teacher
    users, items = np.arange(6), np.array([3, 0, 11, 8])
    ratings = torch.from_numpy(inputs.train.dense(users))
    targets = ratings[:, items]
    _, second = fitter._block_targets(users, targets, items)
    expected = targets + 0.25 * (1.0 - targets) * teacher.scores(ratings)[:, items]
    torch.testing.assert_close(second, expected)
