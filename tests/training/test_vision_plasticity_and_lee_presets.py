"""Seeds 003 and 001 through the vision CLI: each preset resolves to the seed's settings, and
each rule learns digits end to end (well above the 10% of chance) with no autograd graph."""

import json

import pytest
import torch

from training.vision import cli
from training.vision.config import Lee2016Settings, PlasticityCentricSettings, RunConfig
from training.vision.networks import build_network

FAST = ["--dataset", "digits", "--threads", "1", "--quiet"]


@pytest.fixture(autouse=True)
def restore_torch_threads():
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def resolved(preset: str) -> RunConfig:
    """The RunConfig `--preset <preset>` trains, without training it."""
    return cli.resolve_train_config(["--preset", preset])


def test_plasticity_centric_preset_is_the_seeds_network_and_settings():
    config = resolved("plasticity-centric")
    # seed 003: 4,500 hidden, 100 iterations, batch 10, learning rate 0.05
    assert (config.rule, config.arch, config.hidden) == ("plasticity-centric", "fcn", 4500)
    assert config.batch_size == 10 and config.lr == 0.05 and config.lr_schedule == "constant"
    assert config.plasticity_centric == PlasticityCentricSettings()
    assert config.plasticity_centric.steps == 100
    assert config.plasticity_centric.free_phase_stdp == 1.0  # STDP in every phase, as the seed
    body = build_network(config, (1, 28, 28), 10).blocks[0].body
    assert body.sizes == (784, 4500, 10) and body.lr == 0.05 and body.steps == 100


def test_lee2016_preset_is_the_seeds_network_and_settings():
    config = resolved("lee2016")
    settings = config.lee2016
    assert (config.rule, config.arch, config.hidden) == ("lee2016", "fcn", 800)
    assert not config.batch_norm and 150 <= config.epochs <= 200
    assert settings == Lee2016Settings()
    assert 4e-5 <= settings.rho <= 2e-4 and 0.002 <= settings.weight_lambda <= 0.04
    assert settings.weight_beta == 10.0
    assert (settings.inhibition_hidden, settings.inhibition_output) == (0.4, 1.0)
    body = build_network(config, (1, 28, 28), 10).blocks[0].body
    assert body.sizes == (784, 800, 10) and body.inhibition == [0.4, 1.0]
    # W ~ U[-alpha/sqrt(M), alpha/sqrt(M)], V_th ~ U[alpha, 2 alpha], floor = V_th(0) / 5
    alpha = settings.alpha
    assert body.weights[0].abs().max() <= alpha / 28 + 1e-6
    for layer, th in enumerate(body.thresholds):
        assert alpha <= th.min() and th.max() <= 2 * alpha
        assert torch.allclose(body.floor(layer), th.detach() / 5)


def train(tmp_path, *extra):
    out = tmp_path / "run.json"
    assert cli.main([*FAST, *extra, "--json", str(out)]) == 0
    return json.loads(out.read_text())


def test_plasticity_centric_rule_learns_digits(tmp_path):
    # the variant with damped free-phase STDP learns; the record keeps the setting
    record = train(
        tmp_path,
        *("--preset", "plasticity-centric", "--hidden", "200", "--pc-steps", "20"),
        *("--epochs", "2", "--pc-free-phase-stdp", "0.1"),
    )
    assert record["final_test_accuracy"] > 0.6
    assert record["config"]["plasticity_centric"]["free_phase_stdp"] == 0.1
    assert record["parameters"] == 64 * 200 + 200 + 200 * 10 + 10


def test_lee2016_rule_learns_digits(tmp_path):
    record = train(
        tmp_path, *("--preset", "lee2016", "--hidden", "200", "--epochs", "3", "--seed", "0")
    )
    assert record["final_test_accuracy"] > 0.4
    assert record["config"]["lee2016"]["rho"] == Lee2016Settings.rho


def test_records_written_under_the_old_variant_names_load_under_the_new_ones():
    old = RunConfig(rule="bptt").to_dict()
    old.pop("membrane_bptt")
    old.update(rule="lee", lee={"k": 30, "inhibition": 0.05})
    config = RunConfig.from_dict(old)
    assert config.rule == "membrane-bptt" and config.membrane_bptt.k == 30
    assert RunConfig.from_dict({**RunConfig().to_dict(), "rule": "plasticity"}).rule == "stdp-delta"
