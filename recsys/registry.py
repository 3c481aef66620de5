"""Every recommender the benchmark can run, found by name: the one model lookup of the project.

RecBole's ``get_model(name)`` is the model: a name leads to one :class:`Recommender` entry, which
knows the model's class, the type of its settings and how to build it. The settings a model
runs with are its class's (or its config's) *defaults*: the benchmark's tuned settings are
declared there, once, so a bare ``ItemKNN()`` is the benchmarked item-kNN. The benchmark, the
tuning runs and the command line's ``--models`` check all resolve names here; adding a model is
one new file and one :func:`register` call (docs/how-to/add-a-recommender.md).

Two kinds of entry:

* a *baseline* is fitted in place (``Model(settings).fit(data)``); its settings are either a
  config dataclass the constructor takes (``BPRConfig``) or the constructor's own keyword
  arguments (``ItemKNN(n_neighbours=…)``);
* a *spiking* model (``spiking=True``) is :class:`~recsys.models.fitting.SpikingRanker` with a
  :class:`~recsys.models.config.TrainConfig`; the name pins a few settings
  (:data:`~recsys.models.config.SNN_MODELS`) and the training pipeline runs it, because its
  artifact and calibration are part of what is measured.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields, is_dataclass, replace
from typing import Any

from recsys.baselines import (
    EASE,
    IALS,
    BPRConfig,
    BPRMatrixFactorization,
    IALSConfig,
    ItemKNN,
    MostPopular,
    MultDAE,
    MultDAEConfig,
    ScoreBlend,
)
from recsys.models.config import SNN_MODELS, TrainConfig
from recsys.models.contract import RecommenderModel
from recsys.models.fitting import SpikingRanker


@dataclass(frozen=True)
class Recommender:
    """One named recommender: its class, its settings type, and how settings become a model.

    ``config`` is the dataclass the constructor takes (``None``: the constructor's keyword
    arguments are the settings). ``make_settings`` / ``make_model`` replace the generic rules
    for a model assembled from others (the EASE + BPR blend).
    """

    name: str
    model: type
    config: type | None = None
    spiking: bool = False
    make_settings: Callable[[int, dict[str, Any]], Any] | None = None
    make_model: Callable[[Any], RecommenderModel] | None = None

    def settings(self, seed: int, overrides: dict[str, Any] | None = None) -> Any:
        """The settings this model runs with: its defaults, the run's ``seed``, ``overrides``.

        An unknown setting raises ``ValueError`` (keyword settings) or ``TypeError`` (a config
        dataclass, which refuses the field)."""
        overrides = dict(overrides or {})
        if self.make_settings is not None:
            return self.make_settings(seed, overrides)
        if self.spiking:
            return TrainConfig.for_model(self.name, **{"seed": seed, **overrides})
        if self.config is not None:
            defaults = self.config()
            if "seed" in {f.name for f in fields(defaults)}:
                return replace(defaults, seed=seed, **overrides)
            return replace(defaults, **overrides)
        known = _keyword_defaults(self.model)
        if overrides and not known:
            raise ValueError(f"{self.name} has no settings, got {', '.join(overrides)}")
        unknown = sorted(set(overrides) - set(known))
        if unknown:
            raise ValueError(
                f"{self.name} has no setting {', '.join(unknown)}; it has {', '.join(known)}"
            )
        return {**known, **overrides}

    def build(self, settings: Any) -> RecommenderModel:
        """An unfitted model with ``settings`` (from :meth:`settings`)."""
        if self.make_model is not None:
            return self.make_model(settings)
        if isinstance(settings, dict):
            return self.model(**settings)
        return self.model(settings)

    def settings_record(self, settings: Any) -> dict[str, Any]:
        """``settings`` as a plain dict, the form results and tuning logs store."""
        if isinstance(settings, TrainConfig):
            return settings.to_dict()
        return asdict(settings) if is_dataclass(settings) else dict(settings)


def _keyword_defaults(model: type) -> dict[str, Any]:
    """The constructor's keyword arguments and their defaults, in declaration order."""
    parameters = inspect.signature(model.__init__).parameters.values()
    return {p.name: p.default for p in parameters if p.default is not inspect.Parameter.empty}


_REGISTRY: dict[str, Recommender] = {}


def register(entry: Recommender) -> Recommender:
    """Add ``entry``; a name already taken raises ``ValueError`` (unregister it first)."""
    if entry.name in _REGISTRY:
        raise ValueError(f"a recommender named {entry.name!r} is already registered")
    _REGISTRY[entry.name] = entry
    return entry


def unregister(name: str) -> None:
    """Remove ``name`` (tests register toy models and take them out again)."""
    del _REGISTRY[name]


def lookup(name: str) -> Recommender:
    """The entry for ``name``; an unknown name raises ``ValueError`` listing the choices."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; choose from {', '.join(names())}") from None


def names() -> tuple[str, ...]:
    """Every registered name, baselines first, in registration order."""
    return tuple(_REGISTRY)


def baseline_names() -> tuple[str, ...]:
    return tuple(name for name, entry in _REGISTRY.items() if not entry.spiking)


def spiking_names() -> tuple[str, ...]:
    return tuple(name for name, entry in _REGISTRY.items() if entry.spiking)


# ---------------------------------------------------------------------- the EASE + BPR blend


def _blend_settings(seed: int, overrides: dict[str, Any]) -> dict[str, Any]:
    """The two parts run with their own registered settings; the weight is chosen in fit."""
    if overrides:
        raise ValueError(f"ease+bpr has no settings, got {', '.join(overrides)}")
    return {
        "seed": seed,
        "ease": lookup("ease").settings(seed),
        "bpr": asdict(lookup("bpr").settings(seed)),
    }


def _blend_model(settings: dict[str, Any]) -> ScoreBlend:
    ease, bpr = lookup("ease"), BPRConfig(**settings["bpr"])
    return ScoreBlend(
        lambda: ease.build(settings["ease"]),
        lambda: BPRMatrixFactorization(bpr),
        seed=settings["seed"],
    )


for _entry in (
    Recommender("pop", MostPopular),
    Recommender("itemknn", ItemKNN),
    Recommender("bpr", BPRMatrixFactorization, BPRConfig),
    Recommender("ease", EASE),
    Recommender("multdae", MultDAE, MultDAEConfig),
    Recommender("ials", IALS, IALSConfig),
    Recommender("ease+bpr", ScoreBlend, None, False, _blend_settings, _blend_model),
    *(Recommender(name, SpikingRanker, TrainConfig, spiking=True) for name in SNN_MODELS),
):
    register(_entry)
