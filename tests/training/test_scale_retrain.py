"""The staged retraining on a synthetic table: every stage measured, the same model on 1 or 2
worker processes."""

import numpy as np
import pytest

from training.recsys.scale_retrain import run_scale_retrain

pytestmark = pytest.mark.slow  # trains a committee in worker processes


def test_every_stage_is_measured_and_worker_counts_agree(tmp_path):
    report = run_scale_retrain(
        n_ratings=20_000,
        workers=[1, 2],
        epochs=2,
        max_batches=2,
        eval_users=50,
        settings={"members": 2, "dim": 8, "hidden": 16},
        json_path=str(tmp_path / "report.json"),
    )
    assert (tmp_path / "report.json").is_file()
    for stage in ("table", "prepare"):
        assert report[stage]["wall_seconds"] > 0 and report[stage]["peak_rss_mb"] > 0
    one, two = report["runs"]
    assert (one["workers"], two["workers"]) == (1, 2)
    for run in (one, two):
        assert len(run["members"]["each"]) == 2
        assert all(len(m["losses"]) == 2 for m in run["members"]["each"])
        assert run["finish"]["metrics"]["n_eval_users"] == 50
        assert run["finish"]["artifact_mb"] > 0
    # Same seeds, same prepared data: the members and the model do not depend on the workers.
    assert [m["losses"] for m in one["members"]["each"]] == [
        m["losses"] for m in two["members"]["each"]
    ]
    assert one["finish"]["metrics"] == two["finish"]["metrics"]


def test_members_over_two_ranks_are_measured_and_train_the_same_member(tmp_path):
    report = run_scale_retrain(
        n_ratings=10_000,
        workers=[1],
        ranks=[1, 2],
        epochs=1,
        max_batches=2,
        eval_users=20,
        settings={"members": 1, "dim": 8, "hidden": 16, "batch_size": 16},
    )
    one, two = report["runs"]
    assert (one["ranks_per_member"], two["ranks_per_member"]) == (1, 2)
    for alone, ranked in zip(one["members"]["each"], two["members"]["each"], strict=True):
        assert (alone["ranks"], ranked["ranks"]) == (1, 2)
        np.testing.assert_allclose(ranked["losses"], alone["losses"], rtol=1e-5)
        # The ranks' CPU time (their own start included) is counted with their member's.
        assert ranked["cpu_seconds"] > alone["cpu_seconds"]
        assert 0 < ranked["train_seconds"] < ranked["wall_seconds"]
    assert two["finish"]["metrics"]["n_eval_users"] == 20
