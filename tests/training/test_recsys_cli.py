"""The command line on a tiny MovieLens-format folder."""

import json
import statistics

import pytest

from recsys import registry
from recsys.data.movielens import GENRES
from recsys.data.synthetic import planted_genre_tables
from recsys.serving import load_recommender
from training.recsys.__main__ import main
from training.recsys.runs import run_model


@pytest.fixture(scope="module")
def movielens_folder(tmp_path_factory):
    """The official ml-100k layout (u.data, u.item, u.user) for planted data."""
    tables = planted_genre_tables(n_users=40, n_movies=30, ratings_per_user=10, seed=2)
    folder = tmp_path_factory.mktemp("ml") / "ml-100k"
    folder.mkdir()
    genres = ["unknown", *GENRES]
    (folder / "u.data").write_text(
        "".join(
            f"{r.user_id}\t{r.movie_id}\t{r.rating}\t{r.timestamp}\n"
            for r in tables.ratings.itertuples()
        )
    )
    (folder / "u.user").write_text(
        "".join(
            f"{u.user_id}|{u.age}|{u.gender}|{u.occupation}|{u.zip_code}\n"
            for u in tables.users.itertuples()
        )
    )
    lines = []
    for m in tables.movies.itertuples():
        flags = "|".join("1" if g in m.genres else "0" for g in genres)
        lines.append(f"{m.movie_id}|{m.title} ({m.year})|01-Jan-{m.year}||http://x|{flags}\n")
    (folder / "u.item").write_text("".join(lines), encoding="latin-1")
    return folder


def test_train_writes_a_loadable_artifact(movielens_folder, tmp_path, capsys):
    out = tmp_path / "artifact"
    assert (
        main(
            [
                "train",
                "--out",
                str(out),
                "--data",
                str(movielens_folder),
                "--epochs",
                "2",
                "--threads",
                "1",
            ]
        )
        == 0
    )
    assert load_recommender(out).n_items == 30
    assert "ndcg@10" in capsys.readouterr().out
    assert main(["train", "--out", str(out), "--data", str(movielens_folder)]) == 2  # immutable


def test_benchmark_writes_one_object_per_model(movielens_folder, tmp_path):
    out = tmp_path / "bench.json"
    code = main(
        [
            "benchmark",
            "--models",
            "pop,itemknn",
            "--json",
            str(out),
            "--data",
            str(movielens_folder),
            "--threads",
            "1",
        ]
    )
    assert code == 0
    results = json.loads(out.read_text())
    assert [r["model"] for r in results] == ["pop", "itemknn"]
    for result in results:
        assert result["seed"] == 42 and result["peak_mb"] > 0 and result["train_seconds"] >= 0
        assert set(result["metrics"]) >= {"map@10", "ndcg@10", "precision@10", "recall@10"}


def test_validate_logs_a_tuning_run_scored_on_the_validation_split(movielens_folder, tmp_path):
    log = tmp_path / "tuning.jsonl"
    for setting in ("n_neighbours=5", "n_neighbours=10"):
        argv = ["validate", "--model", "itemknn", "--set", setting, "--set", "shrinkage=0"]
        assert main([*argv, "--jsonl", str(log), "--data", str(movielens_folder)]) == 0
    runs = [json.loads(line) for line in log.read_text().splitlines()]
    assert [r["settings"]["n_neighbours"] for r in runs] == [5, 10]
    assert all(r["split"] == "validation" and r["settings"]["shrinkage"] == 0 for r in runs)
    assert runs[0]["metrics"]["ndcg@10"] != runs[1]["metrics"]["ndcg@10"]


def test_validate_trains_a_spiking_model_with_overrides(movielens_folder, tmp_path):
    log = tmp_path / "tuning.jsonl"
    argv = ["validate", "--model", "snn-local", "--epochs", "2", "--threads", "1"]
    argv += ["--set", "hidden=8", "--set", "dim=4", "--set", "n_blocks=2", "--set", "readout=sum"]
    assert main([*argv, "--jsonl", str(log), "--data", str(movielens_folder)]) == 0
    (run,) = [json.loads(line) for line in log.read_text().splitlines()]
    towers = run["settings"]["ranker"]["user"], run["settings"]["ranker"]["item"]
    assert all(t["n_blocks"] == 2 and t["readout"] == "sum" and t["hidden"] == 8 for t in towers)
    assert len(run["curve"]) == 2 and 0.0 <= run["metrics"]["ndcg@10"] <= 1.0
    assert "spike_rate/user/block1" in run["metrics"]


@pytest.mark.parametrize(
    ("command", "setting", "complaint"),
    [
        ("validate", "nope=1", "unknown setting 'nope'"),
        ("train", "ranker.user.nope=1", "unknown setting 'ranker.user.nope'"),
        ("benchmark", 'synapse="linear"', "'snn-local' pins synapse='bilinear'"),
    ],
)
def test_bad_settings_are_refused_before_anything_runs(
    command, setting, complaint, tmp_path, capsys
):
    model = ["--models", "snn-local"] if command == "benchmark" else ["--model", "snn-local"]
    out = {"validate": [], "train": ["--out", str(tmp_path / "a")]}.get(command)
    out = out if out is not None else ["--json", str(tmp_path / "b.json")]
    # No --data: the refusal must come before the ratings are read.
    assert main([command, *model, *out, "--set", setting]) == 2
    assert complaint in capsys.readouterr().out
    assert not any(tmp_path.iterdir())


def test_train_and_benchmark_take_the_same_settings_as_validate(movielens_folder, tmp_path):
    from recsys.models.config import TrainConfig

    out = tmp_path / "artifact"
    argv = ["train", "--out", str(out), "--data", str(movielens_folder), "--epochs", "1"]
    argv += ["--threads", "1", "--set", "hidden=8", "--set", "dim=4", "--set", "members=1"]
    assert main([*argv, "--set", "ranker.item.hidden=6"]) == 0
    stored = TrainConfig.from_dict(load_recommender(out).version_info["config"]["train"])
    assert (stored.ranker.user.hidden, stored.ranker.item.hidden, stored.ranker.dim) == (8, 6, 4)
    result = tmp_path / "bench.json"
    argv = ["benchmark", "--models", "bpr", "--json", str(result), "--threads", "1"]
    argv += ["--data", str(movielens_folder), "--set", "epochs=2", "--set", "dim=3"]
    assert main(argv) == 0
    (row,) = json.loads(result.read_text())
    assert (row["settings"]["epochs"], row["settings"]["dim"], row["epochs"]) == (2, 3, 2)


def test_validate_over_several_seeds_logs_each_run_and_prints_their_mean(
    movielens_folder, tmp_path, capsys
):
    log = tmp_path / "tuning.jsonl"
    argv = ["validate", "--model", "snn-local", "--epochs", "1", "--threads", "1"]
    argv += ["--set", "hidden=8", "--set", "dim=4", "--set", "members=1", "--seeds", "3,5"]
    assert main([*argv, "--jsonl", str(log), "--data", str(movielens_folder)]) == 0
    runs = [json.loads(line) for line in log.read_text().splitlines()]
    assert [r["seed"] for r in runs] == [r["settings"]["fit"]["seed"] for r in runs] == [3, 5]
    # the settings the registry gives training and the benchmark, nothing else
    entry = registry.lookup("snn-local")
    overrides = {"hidden": 8, "dim": 4, "members": 1, "epochs": 1}
    assert [r["settings"] for r in runs] == [
        entry.settings(seed, overrides).to_dict() for seed in (3, 5)
    ]
    scores = [r["metrics"]["ndcg@10"] for r in runs]
    out = capsys.readouterr().out
    assert f"over 2 training seeds: {statistics.mean(scores):.4f} ± " in out
    assert f"{statistics.stdev(scores):.4f}" in out.splitlines()[-1]


def test_validate_trains_on_the_share_of_the_train_part_it_is_given(movielens_folder, tmp_path):
    log = tmp_path / "tuning.jsonl"
    for share in ("0.5", "0.8"):
        argv = ["validate", "--model", "pop", "--validation-ratio", share]
        assert main([*argv, "--jsonl", str(log), "--data", str(movielens_folder)]) == 0
    half, default = [json.loads(line) for line in log.read_text().splitlines()]
    assert (half["validation_ratio"], default["validation_ratio"]) == (0.5, 0.8)
    # Most-popular depends on nothing but the split: other metrics mean another split.
    assert half["metrics"] != default["metrics"]


@pytest.mark.parametrize(
    ("option", "complaint"),
    [
        (["--seeds", "3,3"], "each training seed once"),
        (["--seeds", "3,x"], "integers"),
        (["--validation-ratio", "1"], "strictly between 0 and 1"),
        (["--validation-ratio", "most"], "expected a number"),
    ],
)
def test_validate_refuses_bad_options(option, complaint, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["validate", "--model", "pop", *option])
    assert exit_info.value.code == 2
    assert complaint in capsys.readouterr().err


def test_unknown_model_is_refused(tmp_path):
    assert main(["benchmark", "--models", "pop,nope", "--json", str(tmp_path / "x.json")]) == 2


def test_the_training_seed_leaves_the_protocol_split_alone(movielens_folder):
    # Most-popular depends on nothing but the split: equal metrics mean an equal split.
    first = run_model("pop", str(movielens_folder), seed=1)
    second = run_model("pop", str(movielens_folder), seed=2)
    assert first["metrics"] == second["metrics"]
    assert first["seed"] == 1 and first["split_seed"] == second["split_seed"] == 42


def test_another_split_seed_draws_another_protocol_split(movielens_folder):
    first = run_model("pop", str(movielens_folder), split_seed=42)
    second = run_model("pop", str(movielens_folder), split_seed=1)
    assert first["split_seed"] == 42 and second["split_seed"] == 1
    assert first["metrics"] != second["metrics"]


def test_benchmark_runs_ease_on_the_split_it_is_given(movielens_folder, tmp_path):
    out = tmp_path / "bench.json"
    argv = ["benchmark", "--models", "ease", "--json", str(out), "--split-seed", "3"]
    assert main([*argv, "--data", str(movielens_folder), "--threads", "1"]) == 0
    (result,) = json.loads(out.read_text())
    assert result["model"] == "ease" and result["split_seed"] == 3
    assert result["settings"] == {"l2": 300.0} and 0 < result["metrics"]["ndcg@10"] <= 1


def test_validate_trains_a_baseline_with_seed_0_when_asked(movielens_folder, tmp_path):
    log = tmp_path / "tuning.jsonl"
    for seed in ("0", "1"):
        argv = ["validate", "--model", "bpr", "--seed", seed, "--set", "epochs=1", "--threads", "1"]
        assert main([*argv, "--jsonl", str(log), "--data", str(movielens_folder)]) == 0
    zero, one = [json.loads(line) for line in log.read_text().splitlines()]
    assert (zero["settings"]["seed"], one["settings"]["seed"]) == (0, 1)
