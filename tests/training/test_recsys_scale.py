"""The scale run's synthetic table, the readout sweep and the serving benchmark, at tiny sizes."""

import json

import numpy as np
import pytest

from tests.training.test_recsys_cli import movielens_folder  # noqa: F401 (a fixture)
from training.recsys.__main__ import main
from training.recsys.scale import MIN_RATINGS, Shape, power_law_rows, run_scale
from training.recsys.serving_bench import run_serving_benchmark


def test_the_synthetic_table_has_power_law_movies_and_no_repeated_pair():
    rows = power_law_rows(n_users=400, n_items=3000, n_ratings=60_000, seed=3)
    counts = rows.counts()
    assert counts.min() >= MIN_RATINGS
    assert abs(len(rows.items) - 60_000) < 0.1 * 60_000  # heavy users capped at half the movies
    for user in range(rows.n_users):
        items = rows.items_of(user)
        assert np.all(np.diff(items) > 0)  # sorted and each movie once
    popularity = np.sort(rows.item_counts())[::-1]
    assert popularity[0] > 10 * np.median(popularity)  # a head and a long tail
    again = power_law_rows(n_users=400, n_items=3000, n_ratings=60_000, seed=3)
    np.testing.assert_array_equal(again.items, rows.items)


def test_fractions_of_ml25m_keep_its_ratings_per_user_and_per_movie():
    full, tenth = Shape.fraction_of_ml25m(25_000_095), Shape.fraction_of_ml25m(2_500_010)
    assert (full.n_users, full.n_items) == (162_541, 62_423)
    assert tenth.n_users == pytest.approx(16_254, abs=1)
    assert tenth.n_items == pytest.approx(6_242, abs=1)


def test_a_tiny_scale_run_reports_every_figure(tmp_path):
    out = tmp_path / "scale.json"
    result = run_scale(
        n_ratings=20_000,
        n_users=200,
        n_items=300,
        neighbours=20,
        tower_batches=1,
        json_path=str(out),
        serving_repeats=5,
    )
    assert json.loads(out.read_text()) == json.loads(json.dumps(result))
    assert result["readout"]["synapses"] == 300 * 20
    assert result["readout"]["fit_seconds"] > 0
    assert result["readout"]["teacher_batch"]["users"] == 64
    assert result["readout"]["teacher_batch"]["median_cpu_ms"] > 0
    assert 0 < result["readout"]["teacher_batch"]["sampled_columns"] <= 300
    assert result["towers"]["epoch_seconds_committee_extrapolated"] > 0
    assert result["scoring"]["median_ms"] > 0 and result["peak_rss_mb"] > 0


def test_towers_are_skipped_when_not_asked_for():
    result = run_scale(n_ratings=5_000, n_users=100, n_items=80, neighbours=5, tower_batches=0)
    assert result["towers"] == {"skipped": "not asked for (--tower-batches 0)"}
    assert result["readout"]["synapses"] == 80 * 5


def test_readout_sweep_logs_each_size_for_each_seed(movielens_folder, tmp_path):  # noqa: F811
    log = tmp_path / "sweep.jsonl"
    argv = ["readout-sweep", "--data", str(movielens_folder), "--epochs", "1", "--threads", "1"]
    argv += ["--neighbours", "0,5", "--seeds", "1,2", "--jsonl", str(log)]
    assert main(argv) == 0
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(r["seed"], r["neighbours"]) for r in rows] == [(1, 0), (1, 5), (2, 0), (2, 5)]
    assert all(r["split"] == "validation" and 0 <= r["metrics"]["ndcg@10"] <= 1 for r in rows)


def test_readout_sweep_scores_pair_units_beside_the_linear_readout(
    movielens_folder,  # noqa: F811
    tmp_path,
):
    log = tmp_path / "pairs.jsonl"
    argv = ["readout-sweep", "--data", str(movielens_folder), "--epochs", "1", "--threads", "1"]
    argv += ["--pairs", "0:0,20:5", "--seeds", "1", "--jsonl", str(log)]
    assert main(argv) == 0
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(r["n_pairs"], r["pair_l2"]) for r in rows] == [(0, 0.0), (20, 5.0)]
    for row in rows:
        assert row["split"] == "validation"
        assert 0 <= row["readout_alone_metrics"]["ndcg@10"] <= 1
    # The same towers: the two rows differ only by the readout's pair units.
    assert rows[0]["tower_train_seconds"] == rows[1]["tower_train_seconds"]
    assert rows[0]["readout_alone_metrics"] != rows[1]["readout_alone_metrics"]


def test_readout_sweep_scores_pair_units_alone_per_validation_draw(
    movielens_folder,  # noqa: F811
    tmp_path,
):
    log = tmp_path / "pairs_alone.jsonl"
    argv = ["readout-sweep", "--data", str(movielens_folder), "--readout-only"]
    argv += ["--pairs", "0:0,20:5", "--seeds", "1,2", "--jsonl", str(log)]
    assert main(argv) == 0
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(r["validation_seed"], r["n_pairs"]) for r in rows] == [
        (1, 0),
        (1, 20),
        (2, 0),
        (2, 20),
    ]
    assert all(r["readout_only"] and 0 <= r["metrics"]["ndcg@10"] <= 1 for r in rows)


@pytest.mark.parametrize("pairs", ["5", "5:0", "-1:3"])
def test_readout_sweep_refuses_bad_pair_settings(pairs, capsys):
    with pytest.raises(SystemExit):
        main(["readout-sweep", "--pairs", pairs])
    assert "--pairs" in capsys.readouterr().err


@pytest.mark.parametrize("sizes", ["5,-1", "a,b"])
def test_readout_sweep_refuses_bad_sizes(sizes, capsys):
    with pytest.raises(SystemExit):
        main(["readout-sweep", "--neighbours", sizes])
    assert "--neighbours" in capsys.readouterr().err


def test_serving_benchmark_reports_wall_and_cpu_time(movielens_folder, tmp_path):  # noqa: F811
    artifact = tmp_path / "artifact"
    argv = ["train", "--out", str(artifact), "--data", str(movielens_folder), "--epochs", "1"]
    assert main([*argv, "--threads", "1"]) == 0
    results = run_serving_benchmark(artifact, n_synthetic=500, repeats=5)
    for key in ("one_user_ms", "synthetic_ms"):
        assert results[key]["median"] > 0 and results[key]["median_cpu"] >= 0
    assert results["synthetic_ms"]["items"] == 500


def test_a_tiny_scale_run_can_time_a_whole_sampled_epoch():
    result = run_scale(
        n_ratings=8_000,
        n_users=120,
        n_items=200,
        tower_batches=1,
        serving_repeats=3,
        with_readout=False,
        full_epoch=True,
        tower_settings={"batch_size": 32, "full_catalogue_up_to": 50, "item_sample": 40},
    )
    towers = result["towers"]
    assert "readout" not in result and "scoring" not in result
    assert towers["movies_per_step"] == "batch's rated + 40 drawn"
    assert towers["settings"]["batch_size"] == 32 and towers["steps_per_epoch"] == 4
    epoch = towers["epoch_one_pair_measured"]
    assert epoch["seconds"] > 0 and epoch["cpu_seconds"] > 0 and np.isfinite(epoch["loss"])
