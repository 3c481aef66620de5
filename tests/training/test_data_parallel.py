"""Two gloo processes training one pair take the step one process takes on their joint batch."""

import numpy as np
import pytest
import torch

from recsys.models.config import TrainConfig
from recsys.models.contract import TrainingData
from recsys.models.fitting import SpikingRanker
from recsys.models.ranker import TwoTowerRanker
from recsys.models.trainer import TwoTowerFitter
from training.data_parallel import DataParallelJob, launch
from training.recsys.scale import Shape, _tables, power_law_rows

pytestmark = pytest.mark.slow  # trains a pair in two processes

# No corruption and the whole catalogue scored: a step is then a function of its users alone,
# so the two ranks' halves and one process's whole batch can be compared exactly.
SETTINGS = {
    "batch_size": 12,
    "dim": 8,
    "hidden": 16,
    "bag_dropout": 0.0,
    "history_dropout": 0.0,
    "item_id_dropout": 0.0,
    "profile_dropout": 0.0,
}
JOB = DataParallelJob(ratings=3_000, users=90, items=60, settings=SETTINGS, steps=2, warmup=1)


@pytest.fixture(scope="module")
def two_ranks(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ranks")
    job = DataParallelJob(**{**JOB.__dict__, "weights_dir": str(folder)})
    report = launch(2, job)
    weights = [torch.load(folder / f"rank{rank}.pt") for rank in range(2)]
    return report, weights


def _one_process_on_joint_batches():
    """The same pair, seeds and global batches, stepped by one ordinary fitter."""
    torch.set_num_threads(1)
    shape = Shape(JOB.users, JOB.items, JOB.ratings)
    rows = power_law_rows(shape.n_users, shape.n_items, shape.n_ratings, JOB.seed)
    users, movies, ratings = _tables(rows, JOB.seed)
    builder, inputs = SpikingRanker().features(TrainingData.from_tables(users, movies, ratings))
    config = TrainConfig().with_settings(**SETTINGS)
    torch.manual_seed(config.fit.seed)
    ranker_config = config.ranker.fitted_to(inputs.n_items)
    pair = TwoTowerRanker(builder.n_user_inputs, builder.n_item_inputs, ranker_config).members[0]
    fitter = TwoTowerFitter(pair, inputs, config.fit)
    initial = {name: value.clone() for name, value in pair.state_dict().items()}
    order = np.random.default_rng(config.fit.seed).permutation(inputs.train.n_users)
    order = order[inputs.train.counts()[order] > 0]
    size = 2 * config.fit.batch_size
    pair.train()
    losses = []
    for step in range(JOB.warmup + JOB.steps):
        losses.append(fitter._step(order[step * size : (step + 1) * size]))
    return pair.state_dict(), initial, losses[JOB.warmup :]


def test_the_replicas_stay_identical(two_ranks):
    _, (first, second) = two_ranks
    assert first.keys() == second.keys()
    for name, value in first.items():
        assert torch.equal(value, second[name]), name


def test_two_ranks_take_one_processs_step_on_the_joint_batch(two_ranks):
    report, (rank0, _) = two_ranks
    alone, initial, losses = _one_process_on_joint_batches()
    for name, value in alone.items():
        torch.testing.assert_close(rank0[name], value, rtol=1e-4, atol=1e-5, msg=name)
    assert any(not torch.equal(initial[name], value) for name, value in alone.items())
    # Each global batch's loss is the mean of the ranks' halves: the whole batch's loss.
    np.testing.assert_allclose(report["step_losses"], losses, rtol=1e-5)


def test_the_report_counts_both_ranks(two_ranks):
    report, _ = two_ranks
    assert report["processes"] == 2 and report["backend"] == "gloo"
    assert report["global_batch"] == 2 * SETTINGS["batch_size"]
    assert len(report["ranks"]) == 2 and len(report["step_losses"]) == JOB.steps
    assert report["ranks"][0]["users_in_timed_steps"] == JOB.steps * SETTINGS["batch_size"]
    assert report["users_per_second"] > 0 and report["steps_per_second"] > 0
