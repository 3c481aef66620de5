"""Everything that defines one vision run, so a result can be reproduced from its JSON alone."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

ARCHS = ("fcn", "cnn", "vgg")
NEURONS = ("linear", "bilinear", "shunting")
RULES = ("bptt", "local", "hsic")
KERNELS = ("gaussian", "cosine", "laplace", "sigmoid")
ENCODINGS = ("direct", "rate")
LR_SCHEDULES = ("cosine", "constant")


@dataclass(frozen=True)
class LocalLossWeights:
    """Weights of the local hybrid loss alpha*L_pred + beta*L_sim + gamma*L_contrast + zeta*L_recon.

    The default (prediction + similarity matching) is the combination the local-learning
    results are reported with; contrastive and reconstruction terms are opt-in.
    """

    pred: float = 1.0
    sim: float = 1.0
    contrast: float = 0.0
    recon: float = 0.0


@dataclass(frozen=True)
class RunConfig:
    dataset: str = "fashion-mnist"
    data_path: str | None = None
    train_size: int | None = None
    test_size: int | None = None
    arch: str = "cnn"
    hidden: int = 100
    width: float = 1.0
    neuron: str = "bilinear"
    rank: int = 1
    batch_norm: bool = True
    rule: str = "bptt"
    kernel: str = "gaussian"
    hsic_beta: float = 50.0
    local: LocalLossWeights = field(default_factory=LocalLossWeights)
    encoding: str = "direct"
    T: int = 10
    epochs: int = 1
    batch_size: int = 64
    lr: float = 1e-3
    lr_schedule: str = "cosine"
    seed: int = 0
    device: str = "cpu"
    noise: bool = False

    def __post_init__(self) -> None:
        for name, value, allowed in (
            ("arch", self.arch, ARCHS),
            ("neuron", self.neuron, NEURONS),
            ("rule", self.rule, RULES),
            ("kernel", self.kernel, KERNELS),
            ("encoding", self.encoding, ENCODINGS),
            ("lr_schedule", self.lr_schedule, LR_SCHEDULES),
        ):
            if value not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
        if self.T < 1 or self.epochs < 1 or self.batch_size < 1:
            raise ValueError("T, epochs and batch_size must be at least 1")

    def learning_rate(self, epoch: int) -> float:
        """Learning rate for a 0-based epoch: cosine decay per epoch, or constant.

        Short CPU budgets (a few epochs) gain most from ending at a small step size.
        """
        if self.lr_schedule == "constant":
            return self.lr
        return self.lr * 0.5 * (1.0 + math.cos(math.pi * epoch / self.epochs))

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> RunConfig:
        values = dict(values)
        if isinstance(values.get("local"), dict):
            values["local"] = LocalLossWeights(**values["local"])
        return cls(**values)

    def label(self) -> str:
        """Short human name used in tables and plot legends."""
        arch = f"fcn-{self.hidden}" if self.arch == "fcn" else self.arch
        rule = f"hsic-{self.kernel}" if self.rule == "hsic" else self.rule
        return f"{arch} {self.neuron} {rule}"

    def fingerprint(self) -> str:
        """Stable id of the settings that change the trained model.

        Where the data lives, the device, and whether noise is evaluated afterwards do not
        change the model, so a run cached without noise results can be reused to add them.
        """
        ignored = ("data_path", "device", "noise")
        relevant = {k: v for k, v in self.to_dict().items() if k not in ignored}
        blob = json.dumps(relevant, sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:12]


def save_json(payload: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, sort_keys=False) + "\n")
