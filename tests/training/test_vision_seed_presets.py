"""The seeds' recipes as presets: the settings a preset resolves to are the seed's, the network
built from them has the seed's parts, and each recipe learns (short runs on sklearn digits).

snnTorch report (seed 002): snntorch, snntorch-spike-mean. Hu thesis (seed 000): the local
losses at the thesis's weights, hu-thesis-predsim and hu-thesis-triple."""

import json

import pytest
import torch
from torch import nn

from snn_models import ATanAsWritten, CountedSpikingOutput, DelayedResetLIF, DirectEncoder
from snn_models.local import SimilarityEmbedding
from training.vision import cli
from training.vision.networks import (
    PerStepMembraneCrossEntropy,
    SpikeMeanCrossEntropy,
    build_network,
)

# snnTorch tutorial 5, as the snnTorch report (seed 002) follows it
SNNTORCH_TUTORIAL_5 = dict(
    dataset="mnist",
    arch="fcn",
    hidden=1000,
    synapse="linear",
    rule="bptt",
    encoding="direct",  # normalised static pixels at every step, no rate code
    T=25,
    tau=20.0,  # beta = 1 - 1/tau = 0.95
    neuron_model="delayed-reset",  # snnTorch's Leaky
    surrogate="atan-as-written",
    readout="spike-count",
    output_loss="ce-per-step-membrane",
    batch_norm=False,
    epochs=5,
    lr=5e-4,
    lr_schedule="constant",
    batch_size=128,
)


@pytest.fixture(autouse=True)
def restore_torch_threads():
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize(
    "preset,loss",
    [("snntorch", "ce-per-step-membrane"), ("snntorch-spike-mean", "ce-spike-mean")],
)
def test_snntorch_presets_resolve_to_the_reports_settings(preset, loss):
    config = cli.resolve_train_config(["--preset", preset])
    for name, value in {**SNNTORCH_TUTORIAL_5, "output_loss": loss}.items():
        assert getattr(config, name) == value, name
    assert config.learning_rate(0) == config.learning_rate(4) == 5e-4  # no schedule


def test_snntorch_network_has_the_tutorials_parts():
    config = cli.resolve_train_config(["--preset", "snntorch"])
    network = build_network(config, (1, 28, 28), 10)
    neurons = [m for m in network.modules() if isinstance(m, DelayedResetLIF)]
    assert len(neurons) == 2  # hidden and output layer both spike
    for neuron in neurons:
        assert float(neuron.alpha) == pytest.approx(0.95) and neuron.threshold == 1.0
        assert isinstance(neuron.surrogate, ATanAsWritten) and neuron.surrogate.alpha == 2.0
        assert neuron.detach_reset and not neuron.decay_input
    assert not any(isinstance(m, nn.BatchNorm1d) for m in network.modules())
    assert any(isinstance(m, DirectEncoder) for m in network.encoder.modules())
    readout = network.blocks[-1].body[-1]
    assert isinstance(readout, CountedSpikingOutput)
    assert isinstance(network.blocks[-1].loss, PerStepMembraneCrossEntropy)
    weights = [p.shape for n, p in network.named_parameters() if n.endswith("weight")]
    assert weights == [(1000, 784), (10, 1000)]
    # prediction is the output spike count: integers between 0 and T per class
    counts = network(torch.rand(3, 1, 28, 28))
    assert counts.shape == (3, 10) and torch.equal(counts, counts.round())
    assert counts.min() >= 0 and counts.max() <= 25
    spike_mean = cli.resolve_train_config(["--preset", "snntorch-spike-mean"])
    assert isinstance(build_network(spike_mean, (1, 28, 28), 10).blocks[-1].loss,
                      SpikeMeanCrossEntropy)  # fmt: skip


def test_per_step_membrane_loss_is_the_sum_over_steps_of_the_recorded_membrane():
    config = cli.resolve_train_config(["--preset", "snntorch", "--hidden", "8", "--T", "3"])
    network = build_network(config, (1, 8, 8), 10)
    labels = torch.tensor([1, 7])
    out = network.end_to_end(torch.rand(2, 1, 8, 8))
    readout = network.blocks[-1].body[-1]
    loss = network.blocks[-1].local_loss(out, labels)
    expected = sum(nn.functional.cross_entropy(u, labels) for u in readout.membrane)
    torch.testing.assert_close(loss, expected)
    spike_mean = SpikeMeanCrossEntropy(readout)(out, labels)
    torch.testing.assert_close(
        spike_mean, nn.functional.cross_entropy(readout.spikes.mean(0), labels)
    )


@pytest.mark.parametrize("preset", ["snntorch", "snntorch-spike-mean"])
def test_snntorch_recipes_learn_digits(tmp_path, preset):
    out = tmp_path / "run.json"
    argv = ["--preset", preset, "--dataset", "digits", "--hidden", "64", "--T", "8",
            "--epochs", "2", "--batch-size", "32", "--lr", "5e-3", "--threads", "1", "--quiet",
            "--json", str(out)]  # fmt: skip
    assert cli.main(argv) == 0
    record = json.loads(out.read_text())
    assert record["final_test_accuracy"] > 0.6  # chance is 0.1
    assert record["config"]["readout"] == "spike-count"


def test_output_losses_other_than_ce_need_the_spiking_readout():
    with pytest.raises(ValueError, match="spike-count"):
        cli.resolve_train_config(["--output-loss", "ce-spike-mean"])


@pytest.mark.parametrize(
    "preset,weights",
    [("hu-thesis-predsim", (0.99, 0.01, 0.0)), ("hu-thesis-triple", (0.95, 0.01, 0.04))],
)
def test_hu_thesis_presets_resolve_to_the_thesis_weights_and_loss_form(preset, weights):
    config = cli.resolve_train_config(["--preset", preset])
    assert config.rule == "local" and config.local_form == "hu-thesis"
    assert (config.local.pred, config.local.sim, config.local.contrast) == weights
    assert config.local.recon == 0.0 and config.local.supcon == 0.0


def test_hu_thesis_blocks_have_per_step_heads_an_embedding_and_the_frobenius_similarity():
    argv = ["--preset", "hu-thesis-triple", "--arch", "cnn", "--neuron", "linear"]
    network = build_network(cli.resolve_train_config(argv), (1, 8, 8), 10)
    hidden = network.blocks[:-1]
    assert len(hidden) == 3  # two conv blocks and the dense block
    for block in hidden:
        assert block.head.per_step and isinstance(block.embedding, SimilarityEmbedding)
        assert block.loss.similarity == "cosine-frobenius" and block.loss.gamma == 0.04
    out = next(network.iter_blocks(torch.rand(4, 1, 8, 8)))
    steps = cli.resolve_train_config(argv).T
    assert out.head.shape == (steps, 4, 10) and out.embedding.shape[0] == 4
    # the predsim form keeps rate heads and no embedding
    predsim = build_network(cli.resolve_train_config(["--rule", "local"]), (1, 8, 8), 10)
    assert all(b.embedding is None and not b.head.per_step for b in predsim.blocks[:-1])


def test_hu_thesis_recipe_learns_digits(tmp_path):
    out = tmp_path / "run.json"
    argv = ["--preset", "hu-thesis-predsim", "--dataset", "digits", "--arch", "fcn",
            "--hidden", "64", "--neuron", "linear", "--T", "4", "--epochs", "3",
            "--threads", "1", "--quiet", "--json", str(out)]  # fmt: skip
    assert cli.main(argv) == 0
    record = json.loads(out.read_text())
    assert record["final_test_accuracy"] > 0.4  # chance is 0.1
    assert record["label"].endswith("local(hu-thesis)")


def test_result_tables_tell_the_recipes_apart_from_their_variants():
    from training.vision.report import _setting_name

    names = {
        _setting_name({"config": cli.resolve_train_config(["--preset", preset]).to_dict()})
        for preset in ("snntorch", "snntorch-spike-mean", "fcn1000-bernoulli-rate")
    }
    assert len(names) == 3
    assert any("Bernoulli input" in name for name in names)
    hu = cli.resolve_train_config(["--preset", "hu-thesis-triple"]).to_dict()
    assert "Hu-thesis form (0.95 pred + 0.01 sim + 0.04 contrast)" in _setting_name({"config": hu})
    for losses, shown in (("pred=1,sim=1", "local (pred+sim)"), ("pred=0.99,sim=0.01",
                          "local (0.99 pred + 0.01 sim)")):  # fmt: skip
        config = cli.resolve_train_config(["--rule", "local", "--local-losses", losses])
        assert shown in _setting_name({"config": config.to_dict()})


def test_with_self_terms_variant_reaches_every_bilinear_synapse():
    argv = ["--arch", "fcn", "--hidden", "16", "--neuron", "bilinear"]
    plain = build_network(cli.resolve_train_config(argv), (1, 8, 8), 10)
    ablated = build_network(
        cli.resolve_train_config([*argv, "--bilinear-variant", "with-self-terms"]), (1, 8, 8), 10
    )
    flags = [m.keep_self_terms for m in ablated.modules() if hasattr(m, "interaction_gain")]
    assert flags == [True, True]  # hidden and output layer
    assert not any(m.keep_self_terms for m in plain.modules() if hasattr(m, "interaction_gain"))


def test_tie_report_counts_shared_top_counts_and_matches_the_runs_accuracy(tmp_path):
    from training.vision.count_ties import tie_report
    from training.vision.experiment import accuracy, prepare_data

    argv = ["--preset", "snntorch", "--dataset", "digits", "--hidden", "16", "--T", "3"]
    config = cli.resolve_train_config(argv)
    data = prepare_data(config)
    torch.manual_seed(0)
    network = build_network(config, data.image_shape, data.num_classes)
    torch.save(network.state_dict(), tmp_path / "w.pt")
    report = tie_report(config, tmp_path / "w.pt")
    expected = 100 * accuracy(network, data.test_x, data.test_y, torch.device("cpu"))
    assert report["count"] == pytest.approx(expected)
    with torch.no_grad():
        counts = network(data.test_x)
    top = counts.max(1, keepdim=True).values
    tied = 100 * float(((counts == top).sum(1) > 1).float().mean())
    assert report["ties"] == pytest.approx(tied) and tied > 0  # 3 steps: ties are common
