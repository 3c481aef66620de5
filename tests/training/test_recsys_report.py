"""The seed comparison: per-seed table, mean ± sd and the paired difference, on hand-made runs."""

import json

import pytest

from training.recsys.__main__ import main
from training.recsys.report import anchor_table, energy_table, seed_comparison


def _run_file(tmp_path, seed, first, second, extra_model=None):
    """A benchmark JSON of one training seed with nDCG/MAP for two models."""
    rows = [
        {"model": "bpr", "seed": seed, "metrics": {"ndcg@10": first[0], "map@10": first[1]}},
        {
            "model": "snn-local",
            "seed": seed,
            "metrics": {"ndcg@10": second[0], "map@10": second[1]},
        },
    ]
    if extra_model:
        rows.append({"model": extra_model, "seed": seed, "metrics": {}})
    path = tmp_path / f"seed{seed}.json"
    path.write_text(json.dumps(rows))
    return path


def test_the_paired_difference_and_the_wins_are_computed_per_seed(tmp_path):
    # nDCG: bpr 0.40, 0.50, 0.60 (mean 0.50, sd 0.10); snn 0.45, 0.45, 0.66 (mean 0.52).
    # Differences snn − bpr: +0.05, −0.05, +0.06 → mean 0.02, sd 0.0608; ahead on 2 of 3.
    paths = [
        _run_file(tmp_path, 42, (0.40, 0.10), (0.45, 0.10)),
        _run_file(tmp_path, 43, (0.50, 0.20), (0.45, 0.10)),
        _run_file(tmp_path, 44, (0.60, 0.30), (0.66, 0.10), extra_model="pop"),
    ]
    table = seed_comparison(paths, "bpr", "snn-local")
    lines = table.splitlines()
    assert lines[0] == (
        "| training seed | bpr ndcg@10 | snn-local ndcg@10 | bpr map@10 | snn-local map@10 |"
    )
    assert lines[2] == "| 42 | 0.4000 | 0.4500 | 0.1000 | 0.1000 |"
    assert lines[5] == (
        "| mean ± sd | 0.5000 ± 0.1000 | 0.5200 ± 0.1212 | 0.2000 ± 0.1000 | 0.1000 ± 0.0000 |"
    )
    assert (
        "ndcg@10: snn-local − bpr = 0.0200 ± 0.0608 over 3 seeds; snn-local ahead on 2 of 3"
        in table
    )
    # Equal MAP at seed 42 is not a win; behind at 43 and 44.
    assert (
        "map@10: snn-local − bpr = -0.1000 ± 0.1000 over 3 seeds; snn-local ahead on 0 of 3"
        in table
    )


def test_seeds_are_listed_in_order_whatever_the_file_order(tmp_path):
    paths = [
        _run_file(tmp_path, 44, (0.5, 0.1), (0.5, 0.1)),
        _run_file(tmp_path, 42, (0.4, 0.1), (0.4, 0.1)),
    ]
    rows = [
        line.split(" | ")[0] for line in seed_comparison(paths, "bpr", "snn-local").splitlines()
    ]
    assert rows[2:4] == ["| 42", "| 44"]


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([(42, None)], "at least two training seeds"),
        ([(42, None), (42, None)], "seed 42 appears in more than one file"),
        ([(42, None), (43, "missing")], "has no result for snn-local"),
    ],
)
def test_unusable_runs_are_refused_with_the_reason(tmp_path, files, message):
    paths = []
    for index, (seed, problem) in enumerate(files):
        folder = tmp_path / str(index)
        folder.mkdir()
        path = _run_file(folder, seed, (0.4, 0.1), (0.4, 0.1))
        if problem == "missing":
            rows = [r for r in json.loads(path.read_text()) if r["model"] != "snn-local"]
            path.write_text(json.dumps(rows))
        paths.append(path)
    with pytest.raises(ValueError, match=message):
        seed_comparison(paths, "bpr", "snn-local")


def test_one_seeds_models_may_come_from_several_files(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir(), second.mkdir()
    paths = [_run_file(first, s, (0.4, 0.1), (0.5, 0.2)) for s in (42, 43)]
    for path in paths:  # keep bpr in the first folder's files only
        rows = json.loads(path.read_text())
        path.write_text(json.dumps([r for r in rows if r["model"] == "bpr"]))
    paths += [_run_file(second, s, (0.4, 0.1), (0.5, 0.2)) for s in (42, 43)]
    for path in paths[2:]:
        rows = json.loads(path.read_text())
        path.write_text(json.dumps([r for r in rows if r["model"] == "snn-local"]))
    table = seed_comparison(paths, "bpr", "snn-local")
    assert "snn-local − bpr = 0.1000 ± 0.0000 over 2 seeds" in table


def test_a_file_mixing_training_seeds_is_refused(tmp_path):
    path = _run_file(tmp_path, 42, (0.4, 0.1), (0.4, 0.1))
    rows = json.loads(path.read_text())
    rows[1]["seed"] = 43
    path.write_text(json.dumps(rows))
    other = _run_file(tmp_path, 44, (0.4, 0.1), (0.4, 0.1))
    with pytest.raises(ValueError, match="mixes training seeds"):
        seed_comparison([path, other], "bpr", "snn-local")


def test_the_command_prints_the_comparison(tmp_path, capsys):
    paths = [
        _run_file(tmp_path, 42, (0.40, 0.10), (0.45, 0.12)),
        _run_file(tmp_path, 43, (0.50, 0.20), (0.48, 0.22)),
    ]
    assert main(["seeds", "--json", *map(str, paths), "--models", "bpr,snn-local"]) == 0
    out = capsys.readouterr().out
    assert "| 43 | 0.5000 | 0.4800 | 0.2000 | 0.2200 |" in out
    assert "snn-local ahead on 1 of 2" in out


@pytest.mark.parametrize("models", ["bpr", "bpr,snn-local,pop", "bpr,bpr", "bpr,"])
def test_the_command_wants_two_different_models(tmp_path, capsys, models):
    path = _run_file(tmp_path, 42, (0.4, 0.1), (0.4, 0.1))
    with pytest.raises(SystemExit) as exit_info:
        main(["seeds", "--json", str(path), "--models", models])
    assert exit_info.value.code == 2
    assert "expected two different models as FIRST,SECOND" in capsys.readouterr().err


def _split_file(tmp_path, split, seed, scores):
    rows = [
        {"model": m, "seed": seed, "split_seed": split, "metrics": {"ndcg@10": v}}
        for m, v in scores.items()
    ]
    path = tmp_path / f"split{split}_seed{seed}_{'_'.join(scores)}.json"
    path.write_text(json.dumps(rows))
    return path


def test_the_anchor_table_pairs_by_split_and_training_seed(tmp_path):
    # Split 42: snn 0.50, 0.52, 0.55 vs blend 0.49, 0.53, 0.50 → differences +0.01, −0.01,
    # +0.05: mean 0.0167, sd 0.0306; t(0.975, 2) = 4.3027 → half-width 0.0759. Ahead on 2.
    paths = [
        _split_file(tmp_path, 42, 42, {"snn-local": 0.50, "ease+bpr": 0.49}),
        _split_file(tmp_path, 42, 43, {"snn-local": 0.52, "ease+bpr": 0.53}),
        _split_file(tmp_path, 42, 44, {"snn-local": 0.55}),
        _split_file(tmp_path, 42, 44, {"ease+bpr": 0.50}),  # another file, same seed
        _split_file(tmp_path, 1, 42, {"snn-local": 0.47, "ease+bpr": 0.46, "ann-twin": 0.48}),
    ]
    table = anchor_table(paths, "snn-local", ["ease+bpr", "ann-twin"]).splitlines()
    assert table[2] == ("| 1 | ease+bpr | 1 | 0.4700 | 0.4600 | +0.0100 | — | 1 of 1 |")
    assert table[3] == "| 1 | ann-twin | 1 | 0.4700 | 0.4800 | -0.0100 | — | 0 of 1 |"
    row = table[4].split(" | ")
    assert row[:3] == ["| 42", "ease+bpr", "3"]
    assert row[5] == "0.0167 ± 0.0306" and row[7] == "2 of 3 |"
    assert row[6] == "[-0.0592, +0.0926]"
    assert len(table) == 5  # no ann-twin run on split 42: no row


def test_a_model_twice_at_one_split_and_seed_is_refused(tmp_path):
    paths = [
        _split_file(tmp_path, 42, 42, {"snn-local": 0.50}),
        _split_file(tmp_path, 42, 42, {"snn-local": 0.51, "ease": 0.4}),
    ]
    with pytest.raises(ValueError, match="appears twice"):
        anchor_table(paths, "snn-local", ["ease"])


def test_the_energy_table_lists_models_and_references_cheapest_first(tmp_path):
    from recsys.metrics import names

    def energy(total, compute, ease):
        return {
            names.ENERGY_AC: 1000.0,
            names.ENERGY_MAC: 20.0,
            names.ENERGY_ACCESSES: 3000.0,
            names.ENERGY_COMPUTE_NJ: compute,
            names.ENERGY_NJ: total,
            names.ENERGY_EASE_NJ: ease,
            names.ENERGY_EASE_COMPUTE_NJ: ease / 4,
        }

    path = tmp_path / "runs.json"
    path.write_text(
        json.dumps(
            [
                {"model": "snn-local", "metrics": energy(5000.0, 1000.0, 2000.0)},
                {"model": "ann-twin", "metrics": energy(4000.0, 1500.0, 2000.0)},
                {"model": "ease", "metrics": {"ndcg@10": 0.48}},
            ]
        )
    )
    lines = energy_table([path]).splitlines()
    assert [line.split(" | ")[0] for line in lines[2:]] == [
        "| ease (reference)",
        "| ann-twin",
        "| snn-local",
    ]
    assert lines[4] == "| snn-local | 1,000 | 20 | 3,000 | 1.00 | 5.00 |"
    assert lines[2] == "| ease (reference) | — | — | — | 0.50 | 2.00 |"
