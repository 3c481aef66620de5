"""The one configuration of a spiking-ranker run, and the one way to change it by name.

A run is described by one :class:`TrainConfig`, nested the way the code is built (RecBole's
single config, made of the parts that use it):

* ``ranker``: :class:`~recsys.models.ranker.RankerConfig` — committee size, embedding width,
  the co-rating readout's gain, and one :class:`~recsys.models.towers.TowerConfig` per tower;
* ``fit``: :class:`~recsys.models.trainer.FitConfig` — epochs, optimiser, corruptions, seed;
* the run's own settings: the model's name, text buckets, the protocol split, threads.

Every setting is declared once, in the part that uses it, with its default from
:mod:`recsys.models.defaults`; a field added to any part is at once a ``--set`` key, part of the
stored metadata and a retraining option. Settings are changed by name with
:meth:`TrainConfig.with_settings`: a plain name (``hidden=768``) sets every field of that name
— both towers' ``hidden`` — and a dotted path (``ranker.user.hidden=768``) sets one.

A *model name* pins a few settings (``snn-bptt``: ``mode="bptt"``; ``snn-towers``: no co-rating
readout, …). Pins are applied when the name is chosen, and a configuration that contradicts its
name (``snn-local`` with ``synapse="linear"``) is refused instead of being silently trained as
something else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, is_dataclass, replace
from typing import Any

from recsys.data.split import DEFAULT_SEED, DEFAULT_TRAIN_RATIO
from recsys.models.ranker import RankerConfig
from recsys.models.trainer import FitConfig

#: Model name → the settings it pins (plain names, as ``--set`` takes them). With one block per
#: tower local and BPTT updates coincide (docs/recsys.md), so the two-block variants are what
#: shows the effect of training locally. ``snn-towers`` is the default model without its
#: co-rating path.
SNN_MODELS: dict[str, dict[str, Any]] = {
    "snn-local": {"mode": "local", "synapse": "bilinear"},
    # The served model's ANN twin: the same towers, readout and recipe with ReLU units instead
    # of LIF neurons (the neuron registry's "relu", snn_models.make_neuron); the anchor for what
    # spiking adds.
    "ann-twin": {"mode": "local", "synapse": "bilinear", "neuron": "relu"},
    "snn-bptt": {"mode": "bptt", "synapse": "bilinear"},
    "snn-local-linear": {"mode": "local", "synapse": "linear"},
    "snn-towers": {"mode": "local", "synapse": "bilinear", "corating_gain": 0.0},
    "snn-towers-linear": {"mode": "local", "synapse": "linear", "corating_gain": 0.0},
    "snn-local-2block": {
        "mode": "local",
        "synapse": "bilinear",
        "n_blocks": 2,
        "corating_gain": 0.0,
    },
    "snn-bptt-2block": {"mode": "bptt", "synapse": "bilinear", "n_blocks": 2, "corating_gain": 0.0},
    # The two-block towers of docs/benchmarks.md §2.0 "Depth" (earlier tables: docs/history.md,
    # *Recommender depth*) beside the co-rating readout: summed block heads, the input skipped to
    # block 2, rates between blocks, and the deeper block learning at 0.3× the rate.
    "snn-local-deep": {
        "mode": "local",
        "synapse": "bilinear",
        "n_blocks": 2,
        "readout": "sum",
        "skip_input": True,
        "block_input": "rates",
        "deep_lr_scale": 0.3,
    },
}
# Every spiking model pins its neurons, so ``snn-local --set neuron=relu`` is refused instead of
# training the ANN twin under the spiking model's name.
for _name, _pins in SNN_MODELS.items():
    _pins.setdefault("neuron", "lif")


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a training run; printed and stored, so a run can be repeated."""

    model: str = "snn-local"
    ranker: RankerConfig = field(default_factory=RankerConfig)
    fit: FitConfig = field(default_factory=FitConfig)
    n_text_buckets: int = 32
    split_seed: int = DEFAULT_SEED  # the protocol's 75/25 split, fixed whatever fit.seed is
    train_ratio: float = DEFAULT_TRAIN_RATIO
    torch_threads: int | None = None

    def __post_init__(self) -> None:
        if self.model not in SNN_MODELS:
            raise ValueError(f"model must be one of {sorted(SNN_MODELS)}, got {self.model!r}")
        for name, pinned in SNN_MODELS[self.model].items():
            for path in _paths_named(self, name):
                if _get(self, path) != pinned:
                    raise ValueError(
                        f"model {self.model!r} pins {name}={pinned!r}, got "
                        f"{'.'.join(path)}={_get(self, path)!r}; choose the model that has it, and build "
                        "configurations with TrainConfig.for_model(name, **settings)"
                    )

    # ------------------------------------------------------------------ construction

    @classmethod
    def for_model(cls, model: str, **settings: Any) -> TrainConfig:
        """The default configuration of ``model``, then ``settings`` (see :meth:`with_settings`)."""
        return cls().with_settings(model=model, **settings)

    @classmethod
    def small(cls, **settings: Any) -> TrainConfig:
        """A seconds-long configuration for tests, smoke runs and small sites.

        Smaller towers than this (or fewer time steps) stay silent on a few dozen users: with
        almost no spikes every item gets the same embedding and the ranking is a tie.
        """
        base = cls().with_settings(
            epochs=30, dim=16, hidden=32, members=1, num_steps=4, batch_size=32, lr=1e-2
        )
        return base.with_settings(**settings)

    def with_settings(self, **settings: Any) -> TrainConfig:
        """A copy with settings changed by plain name or dotted path.

        ``model`` is applied first: the old model's pins return to their defaults and the new
        model's pins are set, so the other settings land on the new model. Unknown names, and
        plain names shared by unrelated parts, raise ``ValueError`` naming the choices.
        """
        settings = dict(settings)
        config = self
        if "model" in settings:
            config = config._switch_model(str(settings.pop("model")))
        changes = {path: value for key, value in settings.items() for path in _resolve(config, key)}
        return _rebuild(config, changes)

    def _switch_model(self, model: str) -> TrainConfig:
        if model not in SNN_MODELS:
            raise ValueError(f"model must be one of {sorted(SNN_MODELS)}, got {model!r}")
        default = TrainConfig()
        changes: dict[tuple[str, ...], Any] = {("model",): model}
        for name in SNN_MODELS[self.model]:
            changes.update({path: _get(default, path) for path in _paths_named(self, name)})
        for name, value in SNN_MODELS[model].items():
            changes.update({path: value for path in _paths_named(self, name)})
        return _rebuild(self, changes)

    # ------------------------------------------------------------------ metadata

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrainConfig:
        """Read stored metadata: this nested form, or the flat form of model versions trained
        before the configuration was nested (every setting at the top level).

        In the flat form a setting the model pinned was stored but not used (the model's pin
        won), so it is dropped here rather than refused.
        """
        data = dict(data)
        model = str(data.pop("model", "snn-local"))
        if isinstance(data.get("fit"), Mapping) and isinstance(data.get("ranker"), Mapping):
            return cls.for_model(model, **dict(_flatten(data)))
        pinned = SNN_MODELS.get(model, {})
        return cls.for_model(model, **{k: v for k, v in data.items() if k not in pinned})

    def flat_names(self) -> list[str]:
        """Every plain setting name ``--set`` accepts, sorted."""
        return sorted({path[-1] for path in _leaf_paths(self)})


# ---------------------------------------------------------------------- nested dataclasses


def _leaf_paths(config: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = []
    for item in fields(config):
        value = getattr(config, item.name)
        if is_dataclass(value):
            paths.extend(_leaf_paths(value, (*prefix, item.name)))
        else:
            paths.append((*prefix, item.name))
    return paths


def _paths_named(config: Any, name: str) -> list[tuple[str, ...]]:
    return [path for path in _leaf_paths(config) if path[-1] == name]


def _get(config: Any, path: tuple[str, ...]) -> Any:
    for name in path:
        config = getattr(config, name)
    return config


def _resolve(config: TrainConfig, key: str) -> list[tuple[str, ...]]:
    """The field paths a setting name refers to (see :meth:`TrainConfig.with_settings`)."""
    leaves = _leaf_paths(config)
    if "." in key:
        path = tuple(key.split("."))
        if path not in leaves:
            raise ValueError(f"unknown setting {key!r}; settings: {', '.join(_dotted(leaves))}")
        return [path]
    paths = [path for path in leaves if path[-1] == key]
    if not paths:
        raise ValueError(f"unknown setting {key!r}; settings: {', '.join(config.flat_names())}")
    owners = {type(_get(config, path[:-1])) for path in paths}
    if len(owners) > 1:
        raise ValueError(f"{key!r} is ambiguous; write one of {', '.join(_dotted(paths))}")
    return paths


def _dotted(paths: list[tuple[str, ...]]) -> list[str]:
    return [".".join(path) for path in paths]


def _rebuild(config: Any, changes: Mapping[tuple[str, ...], Any]) -> Any:
    """``config`` with the value at each path replaced (parents rebuilt, so they re-validate)."""
    direct = {path[0]: value for path, value in changes.items() if len(path) == 1}
    nested: dict[str, dict[tuple[str, ...], Any]] = {}
    for path, value in changes.items():
        if len(path) > 1:
            nested.setdefault(path[0], {})[path[1:]] = value
    for name, inner in nested.items():
        direct[name] = _rebuild(getattr(config, name), inner)
    return replace(config, **direct) if direct else config


def _flatten(data: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    items: list[tuple[str, Any]] = []
    for key, value in data.items():
        if isinstance(value, Mapping):
            items.extend(_flatten(value, f"{prefix}{key}."))
        else:
            items.append((f"{prefix}{key}", value))
    return items
