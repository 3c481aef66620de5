"""One run configuration: each setting declared once, changed by name, pinned by the model name,
stored and read back (old flat metadata included)."""

import json
from dataclasses import dataclass, field, fields, is_dataclass

import pytest

from recsys.models import defaults
from recsys.models.config import SNN_MODELS, TrainConfig, _resolve
from recsys.models.ranker import RankerConfig
from recsys.models.towers import TowerConfig
from recsys.models.trainer import FitConfig

#: TrainConfig().to_dict() of model "snn-towers" as main stored it before the config was nested
#: (the flat form in every model version's metadata until then). ``corating_gain`` 1.5 was
#: stored but unused: the model name forced the readout off.
LEGACY_FLAT = {
    "model": "snn-towers", "epochs": 20, "dim": 64, "hidden": 512, "n_blocks": 1, "members": 3,
    "deep_hidden": 0, "readout": "last", "block_input": "spikes", "skip_input": False,
    "num_steps": 4, "tau": 2.0, "threshold": 1.0, "bias_init": 0.0, "input_weight_scale": 0.07,
    "rank": 1, "lambda_init": 1.0, "hidden_weight_gain": 2.0, "lr": 0.003,
    "weight_decay": 0.003, "batch_size": 64, "bag_dropout": 0.5, "history_dropout": 0.05,
    "item_id_dropout": 0.05, "profile_dropout": 0.2, "loss": "squared",
    "negative_weight": 1.0, "sparse_inputs": True, "n_text_buckets": 32, "seed": 42,
    "split_seed": 42, "train_ratio": 0.75, "eval_every": 1, "torch_threads": None,
    "corating_gain": 1.5, "corating_l2": 300.0,
}  # fmt: skip


def _leaf_names(config) -> list[str]:
    names = []
    for item in fields(config):
        value = getattr(config, item.name)
        names += _leaf_names(value) if is_dataclass(value) else [item.name]
    return names


def test_every_setting_is_declared_once_and_defaults_to_the_served_model():
    config = TrainConfig()
    assert config.ranker == RankerConfig() and config.fit == FitConfig()
    assert config.ranker.user == config.ranker.item == TowerConfig()
    # The only repeated names are the two towers' own settings.
    names = _leaf_names(config)
    tower = {item.name for item in fields(TowerConfig)}
    assert {n for n in names if names.count(n) > 1} == tower
    assert all(names.count(n) == 2 for n in tower)
    served = (config.ranker.members, config.ranker.corating_gain, config.ranker.dim)
    assert served == (defaults.MEMBERS, defaults.CORATING_GAIN, defaults.DIM)
    assert (config.fit.epochs, config.fit.weight_decay) == (defaults.EPOCHS, defaults.WEIGHT_DECAY)
    assert (config.ranker.user.hidden, config.ranker.user.lambda_init) == (
        defaults.HIDDEN,
        defaults.LAMBDA_INIT,
    )


def test_a_plain_name_sets_both_towers_and_a_dotted_path_one():
    both = TrainConfig().with_settings(hidden=768, epochs=3, seed=7, corating_l2=10.0)
    assert both.ranker.user.hidden == both.ranker.item.hidden == 768
    assert (both.fit.epochs, both.fit.seed, both.fit.corating_l2) == (3, 7, 10.0)
    one = TrainConfig().with_settings(**{"ranker.item.hidden": 100})
    assert (one.ranker.user.hidden, one.ranker.item.hidden) == (defaults.HIDDEN, 100)
    assert TrainConfig().with_settings(split_seed=3).split_seed == 3


@pytest.mark.parametrize("key", ["nope", "ranker.nope", "fit.hidden"])
def test_unknown_settings_are_refused_with_the_choices(key):
    with pytest.raises(ValueError, match="unknown setting .*settings: "):
        TrainConfig().with_settings(**{key: 1})


def test_a_name_shared_by_unrelated_parts_must_be_written_as_a_path():
    @dataclass(frozen=True)
    class Part:
        size: int = 1

    @dataclass(frozen=True)
    class Other:
        size: int = 2

    @dataclass(frozen=True)
    class Whole:
        a: Part = field(default_factory=Part)
        b: Other = field(default_factory=Other)

    with pytest.raises(ValueError, match="ambiguous; write one of a.size, b.size"):
        _resolve(Whole(), "size")
    assert _resolve(Whole(), "b.size") == [("b", "size")]


@pytest.mark.parametrize(
    ("model", "mode", "synapse", "blocks", "gain"),
    [
        ("snn-local", "local", "bilinear", 1, defaults.CORATING_GAIN),
        ("snn-bptt", "bptt", "bilinear", 1, defaults.CORATING_GAIN),
        ("snn-local-linear", "local", "linear", 1, defaults.CORATING_GAIN),
        ("snn-towers", "local", "bilinear", 1, 0.0),
        ("snn-towers-linear", "local", "linear", 1, 0.0),
        ("snn-local-2block", "local", "bilinear", 2, 0.0),
        ("snn-bptt-2block", "bptt", "bilinear", 2, 0.0),
        ("snn-local-deep", "local", "bilinear", 2, defaults.CORATING_GAIN),
    ],
)
def test_a_model_name_gives_the_settings_it_always_trained_with(model, mode, synapse, blocks, gain):
    config = TrainConfig.for_model(model)
    assert config.fit.mode == mode and config.ranker.corating_gain == gain
    for tower in (config.ranker.user, config.ranker.item):
        assert (tower.synapse, tower.n_blocks) == (synapse, blocks)


def test_all_models_are_covered():
    assert sorted(SNN_MODELS) == sorted(
        [
            "snn-local",
            "snn-bptt",
            "snn-local-linear",
            "snn-towers",
            "snn-towers-linear",
            "snn-local-2block",
            "snn-bptt-2block",
            "snn-local-deep",
            "ann-twin",
        ]
    )


def test_the_ann_twin_is_the_served_model_with_relu_units_and_nothing_else():
    served, twin = TrainConfig.for_model("snn-local"), TrainConfig.for_model("ann-twin")
    for a, b in ((served.ranker.user, twin.ranker.user), (served.ranker.item, twin.ranker.item)):
        assert (a.neuron, b.neuron) == ("lif", "relu")
        assert {**a.to_dict(), "neuron": "relu"} == b.to_dict()
    assert served.fit == twin.fit
    assert served.ranker.corating_gain == twin.ranker.corating_gain
    with pytest.raises(ValueError, match="'snn-local' pins neuron='lif'"):
        TrainConfig.for_model("snn-local", neuron="relu")


def test_a_setting_that_contradicts_the_model_name_is_refused():
    with pytest.raises(ValueError, match="'snn-local' pins synapse='bilinear'"):
        TrainConfig.for_model("snn-local", synapse="linear")
    with pytest.raises(ValueError, match="'snn-bptt' pins mode='bptt'"):
        TrainConfig(model="snn-bptt")  # the default fit is local
    with pytest.raises(ValueError, match="model must be one of"):
        TrainConfig.for_model("nope")
    # A setting the model leaves free stays free.
    assert TrainConfig.for_model("snn-local", n_blocks=2).ranker.user.n_blocks == 2


def test_switching_model_keeps_other_settings_and_releases_the_old_pins():
    small = TrainConfig.small()
    bptt = small.with_settings(model="snn-bptt", epochs=4)
    assert bptt.fit.mode == "bptt" and bptt.fit.epochs == 4
    assert bptt.ranker.user.hidden == small.ranker.user.hidden == 32
    towers = TrainConfig.for_model("snn-towers")
    assert towers.with_settings(model="snn-local").ranker.corating_gain == defaults.CORATING_GAIN


def test_stored_metadata_reads_back_as_json():
    config = TrainConfig.for_model("snn-bptt-2block", hidden=64, seed=3, torch_threads=1)
    stored = json.loads(json.dumps(config.to_dict()))
    assert TrainConfig.from_dict(stored) == config


def test_metadata_stored_flat_before_the_config_was_nested_still_loads():
    config = TrainConfig.from_dict(LEGACY_FLAT)
    assert config == TrainConfig.for_model("snn-towers")
    tuned = TrainConfig.from_dict({**LEGACY_FLAT, "model": "snn-local", "hidden": 768, "seed": 43})
    assert tuned.ranker.user.hidden == tuned.ranker.item.hidden == 768 and tuned.fit.seed == 43
    assert tuned.ranker.corating_gain == 1.5  # not pinned by snn-local: it was used


def test_small_config_is_small_and_overridable():
    config = TrainConfig.small(members=2, epochs=5)
    assert (config.ranker.members, config.fit.epochs, config.ranker.dim) == (2, 5, 16)
