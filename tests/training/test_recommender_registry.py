"""The recommender registry is what every builder uses: the benchmark, the tuning runs and the
command line find a model only through it, and its entries run the benchmark's settings."""

from dataclasses import asdict

import numpy as np
import pytest

from recsys import registry
from recsys.baselines import BPRConfig, IALSConfig, ItemKNN
from recsys.data.synthetic import planted_genre_tables
from recsys.models.config import SNN_MODELS, TrainConfig
from recsys.models.fitting import SpikingRanker
from training.recsys.__main__ import main
from training.recsys.runs import run_baseline, run_model
from training.recsys.validation import validate


class _LeastPopular:
    """A toy recommender: the rarest movies first. Records how it was built."""

    made: list[float] = []

    def __init__(self, strength: float = 1.0) -> None:
        self.strength = strength
        _LeastPopular.made.append(strength)

    def fit(self, data):
        self.counts = data.rows.item_counts().astype(np.float32)
        return self

    def score(self, users: np.ndarray) -> np.ndarray:
        return np.tile(-self.strength * self.counts, (len(users), 1))


@pytest.fixture
def toy():
    entry = registry.register(registry.Recommender("toy-least-popular", _LeastPopular))
    _LeastPopular.made.clear()
    yield entry
    registry.unregister(entry.name)


@pytest.fixture(scope="module")
def tables():
    t = planted_genre_tables(n_users=30, n_movies=20, ratings_per_user=8, seed=5)
    return t.users, t.movies, t.ratings


def test_a_registered_toy_is_benchmarked_and_tuned_by_name(toy, tables):
    result = run_baseline(toy.name, *tables, seed=0, overrides={"strength": 3.0})
    assert result["model"] == toy.name and result["settings"] == {"strength": 3.0}
    assert 0.0 <= result["metrics"]["ndcg@10"] <= 1.0
    tuned = validate(toy.name, {}, tables)
    assert tuned["settings"] == {"strength": 1.0}
    assert _LeastPopular.made == [3.0, 1.0]
    with pytest.raises(ValueError, match="has no setting depth"):
        run_baseline(toy.name, *tables, seed=0, overrides={"depth": 2})


def test_an_unregistered_name_is_unknown_to_every_builder(toy, tables):
    registry.unregister(toy.name)
    try:
        for build in (
            lambda: run_baseline(toy.name, *tables, seed=0),
            lambda: validate(toy.name, {}, tables),
            lambda: run_model(toy.name),
        ):
            with pytest.raises(ValueError, match="unknown model"):
                build()
    finally:
        registry.register(toy)


def test_the_command_line_accepts_exactly_the_registered_names(toy, tmp_path, capsys):
    out = ["--json", str(tmp_path / "x.json")]
    # A registered name passes the --models check and its settings are checked by its entry,
    # before anything runs (a bad setting stops it here).
    assert main(["benchmark", "--models", toy.name, *out, "--set", "depth=2"]) == 2
    assert "toy-least-popular has no setting depth" in capsys.readouterr().out
    registry.unregister(toy.name)
    try:
        assert main(["benchmark", "--models", toy.name, *out]) == 2
        assert f"unknown model(s): {toy.name}" in capsys.readouterr().out
    finally:
        registry.register(toy)


def test_every_benchmarked_model_is_registered_once():
    names = registry.names()
    assert len(names) == len(set(names))
    assert registry.baseline_names() == (
        "pop",
        "itemknn",
        "bpr",
        "ease",
        "multdae",
        "ials",
        "ease+bpr",
    )
    assert registry.spiking_names() == tuple(SNN_MODELS)
    with pytest.raises(ValueError, match="already registered"):
        registry.register(registry.Recommender("ease", ItemKNN))


def test_the_class_defaults_are_the_benchmarks_settings():
    """Bare constructors are the benchmarked models (docs/benchmarks.md)."""
    settings = {name: registry.lookup(name).settings(7) for name in registry.baseline_names()}
    assert settings["pop"] == {}
    assert settings["itemknn"] == {"n_neighbours": 400, "shrinkage": 0.0}
    assert settings["ease"] == {"l2": 300.0}
    assert settings["bpr"] == BPRConfig(
        dim=200, epochs=200, lr=0.05, weight_decay=2e-2, batch_size=1024, cosine_decay=True, seed=7
    )
    assert settings["ials"] == IALSConfig(
        factors=128, regularization=30.0, alpha=3.0, iterations=15, seed=7
    )
    assert settings["ease+bpr"] == {
        "seed": 7,
        "ease": {"l2": 300.0},
        "bpr": asdict(settings["bpr"]),
    }


def test_a_spiking_entry_is_the_ranker_with_its_named_configuration():
    entry = registry.lookup("snn-bptt")
    assert entry.spiking and entry.model is SpikingRanker and entry.config is TrainConfig
    settings = entry.settings(3, {"epochs": 2})
    assert settings == TrainConfig.for_model("snn-bptt", seed=3, epochs=2)
    assert isinstance(entry.build(settings), SpikingRanker)
    assert entry.build(settings).config == settings
