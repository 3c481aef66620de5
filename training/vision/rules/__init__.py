"""Learning rules for the vision networks, chosen by name (config.RULES)."""

from __future__ import annotations

import torch

from snn_models import LocalNetwork
from training.vision.config import Lee2016Settings, MembraneBPTTSettings, RunConfig
from training.vision.rules.base import LearningRule, StepResult
from training.vision.rules.bptt import BPTTRule
from training.vision.rules.layerwise import LayerwiseRule
from training.vision.rules.lee2016 import Lee2016Rule
from training.vision.rules.membrane_bptt import MembraneBPTTRule
from training.vision.rules.plasticity_centric import PlasticityCentricRule
from training.vision.rules.stdp_delta import STDPDeltaRule

__all__ = [
    "BPTTRule",
    "LayerwiseRule",
    "LearningRule",
    "Lee2016Rule",
    "MembraneBPTTRule",
    "PlasticityCentricRule",
    "STDPDeltaRule",
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
    if config.rule == "membrane-bptt":
        return MembraneBPTTRule(network, adam, config.membrane_bptt or MembraneBPTTSettings())
    if config.rule == "lee2016":
        return Lee2016Rule(network, config.lr, config.lee2016 or Lee2016Settings())
    if config.rule == "plasticity-centric":
        return PlasticityCentricRule(network)
    if config.rule == "stdp-delta":
        return STDPDeltaRule(network, config.epochs)
    return LayerwiseRule(network, adam)
