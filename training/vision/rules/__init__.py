"""Learning rules for the vision networks, chosen by name: bptt, local, hsic, lee, plasticity."""

from __future__ import annotations

import torch

from snn_models import LocalNetwork
from training.vision.config import LeeSettings, RunConfig
from training.vision.rules.base import LearningRule, StepResult
from training.vision.rules.bptt import BPTTRule
from training.vision.rules.layerwise import LayerwiseRule
from training.vision.rules.lee import LeeRule
from training.vision.rules.plasticity import PlasticityRule

__all__ = [
    "BPTTRule",
    "LayerwiseRule",
    "LearningRule",
    "LeeRule",
    "PlasticityRule",
    "StepResult",
    "build_rule",
]


def build_rule(config: RunConfig, network: LocalNetwork) -> LearningRule:
    """BPTT trains end to end; `local` and `hsic` both train block by block and differ only in
    the per-block losses that :func:`training.vision.networks.build_network` attached."""

    def adam(params):
        return torch.optim.Adam(params, lr=config.lr)

    if config.rule == "bptt":
        return BPTTRule(network, adam)
    if config.rule == "lee":
        return LeeRule(network, adam, config.lee or LeeSettings())
    if config.rule == "plasticity":
        return PlasticityRule(network, config.epochs)
    return LayerwiseRule(network, adam)
