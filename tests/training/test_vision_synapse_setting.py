"""``RunConfig.synapse`` (called ``neuron`` before issue 26): old records, flags and cached run
ids keep working under the new name."""

import json
from pathlib import Path

from training.vision import cli
from training.vision.config import RunConfig, upgrade_config
from training.vision.report import results_table, seed_summary_table

RESULTS = Path(__file__).resolve().parents[2] / "docs" / "results"


def test_the_old_and_the_new_flag_set_the_synapse():
    parser = cli.build_parser()
    old = parser.parse_args(["train", "--neuron", "shunting"])
    new = parser.parse_args(["train", "--synapse", "shunting"])
    assert old.synapse == new.synapse == "shunting"
    sweep = parser.parse_args(["sweep", "--neurons", "linear", "bilinear"])
    assert sweep.synapses == ["linear", "bilinear"]


def test_fingerprints_are_the_ids_computed_before_the_rename():
    """Values computed by the code before the rename: cached runs keep their ids."""
    assert RunConfig().fingerprint() == "b028d586869a"
    changed = RunConfig(
        arch="fcn", synapse="shunting", shunting_gate="divisive", neuron_model="plif", tau=3.0
    )
    assert changed.fingerprint() == "a9fbc430430f"


def test_a_stored_record_with_the_old_key_loads_with_its_fingerprint():
    payload = json.loads((RESULTS / "vision_cnn.json").read_text())
    record = payload["runs"][0]
    assert "neuron" in record["config"] and "synapse" not in record["config"]
    config = RunConfig.from_dict(record["config"])
    assert config.synapse == record["config"]["neuron"]
    assert config.fingerprint() == record["fingerprint"]


def test_old_and_new_records_of_one_setting_share_a_table_row():
    payload = json.loads((RESULTS / "vision_cnn.json").read_text())
    old = payload["runs"][0]
    new = {**old, "config": upgrade_config(old["config"])}
    new["config"]["seed"] = old["config"]["seed"] + 1
    assert "synapse" in new["config"] and "neuron" not in new["config"]
    rows = results_table([old, new]).splitlines()[2:]
    assert rows[0].split("|")[3] == rows[1].split("|")[3] == f" {old['config']['neuron']} "
    summary = seed_summary_table([old, new]).splitlines()
    seeds = f" {old['config']['seed']},{new['config']['seed']} "
    assert len(summary) == 3 and seeds in summary[2]  # one group holding both seeds
