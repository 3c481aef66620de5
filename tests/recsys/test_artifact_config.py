"""An artifact stores each fact once: the ranker's settings under ``config.json["ranker"]`` only
(the training configuration is given them back on load), and the data fingerprint that training
computed, which a registry reads instead of hashing the tables again."""

from __future__ import annotations

import json

import pytest

from recsys.models.config import TrainConfig
from recsys.serving import load_recommender, write_artifact
from recsys.serving.artifact import (
    RANKER_DIFFERENCES,
    ArtifactError,
    loaded_config,
    read_artifact,
    read_fingerprint,
    read_training_config,
    stored_config,
)
from training.export import artifact_contents

FINGERPRINT = {"sha256": "f00d", "n_ratings": 3, "n_users": 2, "n_movies": 2}


@pytest.fixture(scope="module")
def train_config(fitted_ranker):
    """A training configuration whose ranker is the fitted model's, as the pipeline stores it."""
    return TrainConfig(ranker=fitted_ranker.model.config)


@pytest.fixture(scope="module")
def artifact_dir(fitted_ranker, train_config, tmp_path_factory):
    contents = artifact_contents(
        fitted_ranker,
        {},
        FINGERPRINT,
        extra_config={"model": "snn-local", "train": train_config.to_dict()},
    )
    return write_artifact(tmp_path_factory.mktemp("artifact") / "v1", contents)


def test_config_json_holds_the_ranker_settings_once(artifact_dir, train_config):
    stored = json.loads((artifact_dir / "config.json").read_text())
    assert stored["ranker"] == json.loads(json.dumps(train_config.ranker.to_dict()))
    assert "ranker" not in stored["train"]
    assert stored["train"][RANKER_DIFFERENCES] == {}
    assert stored["train"]["fit"]["seed"] == train_config.fit.seed


def test_loading_gives_the_training_configuration_back_whole(artifact_dir, train_config):
    config = read_artifact(artifact_dir).config
    assert list(config["train"]) == sorted(train_config.to_dict())  # as config.json sorts them
    assert TrainConfig.from_dict(config["train"]) == train_config
    info = load_recommender(artifact_dir).version_info
    assert TrainConfig.from_dict(info["config"]["train"]) == train_config


def test_an_artifact_that_stored_both_copies_loads_unchanged(train_config):
    older = {"ranker": train_config.ranker.to_dict(), "train": train_config.to_dict()}
    assert loaded_config(older) == older
    assert loaded_config(stored_config(older)) == older


def test_where_the_fit_resolved_a_setting_only_that_difference_is_stored(train_config):
    """The default model's run asks for corating_items 0 (the whole catalogue); the model holds
    the catalogue's size. The request survives the trip through config.json, alone."""
    model = {**train_config.ranker.to_dict(), "corating_items": 1682}
    model["user"] = {**model["user"], "hidden": 7}
    config = {"ranker": model, "train": train_config.to_dict()}
    stored = json.loads(json.dumps(stored_config(config)))
    assert stored["train"][RANKER_DIFFERENCES] == {
        "corating_items": train_config.ranker.corating_items,
        "user": {"hidden": train_config.ranker.user.hidden},
    }
    assert TrainConfig.from_dict(loaded_config(stored)["train"]) == train_config


def test_the_fingerprint_is_read_as_training_stored_it(artifact_dir):
    assert read_fingerprint(artifact_dir) == FINGERPRINT


def test_the_training_configuration_is_read_back_as_training_gave_it(artifact_dir, train_config):
    """What a site shows for a version: ``config.json`` alone gives the run's configuration
    back, equal to what training had."""
    assert read_training_config(artifact_dir) == train_config.to_dict()
    assert TrainConfig.from_dict(read_training_config(artifact_dir)) == train_config


def test_a_missing_or_empty_configuration_is_an_artifact_error(artifact_dir, tmp_path):
    with pytest.raises(ArtifactError, match="config.json is unreadable"):
        read_training_config(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"ranker": {}}))
    with pytest.raises(ArtifactError, match="holds no training configuration"):
        read_training_config(tmp_path)
