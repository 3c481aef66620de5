"""Everything that defines one vision run, so a result can be reproduced from its JSON alone."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

ARCHS = ("fcn", "cnn", "vgg")
# How a layer integrates its input (the synapse of every layer, snn_models.make_synapse).
SYNAPSES = ("linear", "bilinear", "shunting")
# Rule names before issue 25 gave the variants names of their own (they are not the seeds').
RENAMED_RULES = {"lee": "membrane-bptt", "plasticity": "stdp-delta"}
# Config keys under their old names: records written before issue 26 called the synapse kind
# "neuron"; before issue 25 the membrane-bptt settings were "lee".
RENAMED_KEYS = {"neuron": "synapse", "lee": "membrane_bptt"}
RULES = ("bptt", "local", "hsic", "membrane-bptt", "stdp-delta", "plasticity-centric", "lee2016")
# How --rule membrane-bptt differentiates a spike: the paper, our discrete-time bound of it, a surrogate.
MBPTT_GRADIENTS = ("membrane", "membrane-bounded", "atan")
MBPTT_WEIGHT_LAYERS = ("all", "hidden")
KERNELS = ("gaussian", "cosine", "laplace", "sigmoid", "laplace-l1", "arcsine")
# atan: snn_models.ATan (alpha 2); atan-as-written: the formula the snnTorch report writes
SURROGATES = ("atan", "atan-as-written")
# how the output layer is read: membrane-mean (a non-spiking integrator, its potential averaged
# over T, the default) or spike-count (spiking output neurons, prediction by spike count)
READOUTS = ("membrane-mean", "spike-count")
# the output layer's loss: ce on the readout's logits (default); with --readout spike-count also
# ce-per-step-membrane (sum over t of CE(U[t])) or ce-spike-mean (CE of the mean output spikes)
OUTPUT_LOSSES = ("ce", "ce-per-step-membrane", "ce-spike-mean")
# --rule local's loss forms: predsim (Nokland & Eidnes: one CE on the head's rate logits, MSE of
# correlation matrices) or hu-thesis (a sum of per-step CEs; ||S(E_theta(z)) - S(Y)||_F^2)
LOCAL_FORMS = ("predsim", "hu-thesis")
# with-self-terms: lambda (V x)^2 without the diagonal correction (a candidate reading of the Liu
# thesis's bilinear ab1, whose definition we could not read; docs/vision.md, "Seed 004")
BILINEAR_VARIANTS = ("learned", "fixed-lambda", "quadratic-only", "with-self-terms")
# snn_models.SHUNTING_GATES, repeated so the config stays importable without torch
SHUNTING_GATES = (
    "both",
    "shared",
    "excitatory",
    "excitatory-only",
    "inhibitory",
    "divisive",
    "none",
)
ENCODINGS = ("direct", "rate")


def hidden_neuron_kinds() -> tuple[str, ...]:
    """The hidden layers' choices (``neuron_model``): the spiking kinds of the neuron registry
    (lif, plif, delayed-reset = snnTorch's Leaky, and any kind registered since). Imported
    here, not at the top, so this module stays importable without torch."""
    from snn_models import neuron_kinds

    return neuron_kinds(spiking=True)


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
    supcon: float = 0.0


@dataclass(frozen=True)
class MembraneBPTTSettings:
    """Lee, Delbruck & Pfeiffer (2016) mechanisms on the hidden layers (`--rule membrane-bptt`).

    Defaults were chosen on a validation split carved from the MNIST training images
    (docs/vision.md, "Lee et al. 2016"); `k = None` means a tenth of the layer's neurons.
    """

    k: int | None = None
    inhibition: float = 0.0
    rho: float = 1e-5
    weight_beta: float = 10.0
    weight_lambda: float = 1e-3
    refractory_tau: float | None = None
    gradient: str = "membrane"  # one of MBPTT_GRADIENTS
    # membrane-bounded only: no pass-through at or above this many thresholds
    gradient_ceiling: float = 2.0
    # which weight matrices pay the exponential penalty: "all" (the paper) or "hidden" (the
    # output layer left free, so the readout can grow the logits cross-entropy asks for)
    weight_layers: str = "all"

    def __post_init__(self) -> None:
        if self.gradient not in MBPTT_GRADIENTS:
            raise ValueError(f"gradient must be one of {MBPTT_GRADIENTS}, got {self.gradient!r}")
        if self.weight_layers not in MBPTT_WEIGHT_LAYERS:
            raise ValueError(
                f"weight_layers must be one of {MBPTT_WEIGHT_LAYERS}, got {self.weight_layers!r}"
            )
        if self.gradient_ceiling <= 1.0:
            raise ValueError(f"gradient_ceiling must be > 1, got {self.gradient_ceiling}")


@dataclass(frozen=True)
class PlasticityCentricSettings:
    """The plasticity-centric network's own dynamics (`--rule plasticity-centric`, seed 003).

    The seed's learning rate (0.05, the supervised potential step) is the run's ``lr``; the
    rest are the equilibrium dynamics of :class:`snn_models.plasticity.PlasticityCentricNetwork`.
    ``steps`` = 100 is the seed's "100 iterations" read as relaxation iterations per sample;
    ``weight_lr = 1`` lets the synapses take up each potential change exactly; ``step`` and
    ``teacher_rate`` are our readings (docs/vision.md, seed 003). ``free_phase_stdp`` < 1 is the
    variant that damps the unsupervised phase's STDP.
    """

    steps: int = 100
    step: float = 0.5
    weight_lr: float = 1.0
    teacher_rate: float = 1.0
    free_phase_stdp: float = 1.0


@dataclass(frozen=True)
class Lee2016Settings:
    """Seed 001's settings that are not a RunConfig field (`--rule lee2016`).

    ``rho`` and ``weight_lambda`` sit inside the paper's ranges (4e-5 to 2e-4, 0.002 to 0.04);
    ``alpha``, ``t_ref``, ``tau``, ``sigma`` and ``input_rate`` are readings of ours
    (docs/vision.md, seed 001, says why each).
    """

    rho: float = 1e-4
    weight_beta: float = 10.0
    weight_lambda: float = 0.01
    alpha: float = 1.7320508075688772  # sqrt(3): W ~ U[+-sqrt(3/M)] has variance 1/M
    inhibition_hidden: float = 0.4
    inhibition_output: float = 1.0
    t_ref: float = 2.0
    tau: float = 20.0
    sigma: float = 1.0
    input_rate: float = 1.0


@dataclass(frozen=True)
class RunConfig:
    dataset: str = "fashion-mnist"
    data_path: str | None = None
    train_size: int | None = None
    test_size: int | None = None
    validation: float | None = None  # hold out this fraction of train as the test set
    arch: str = "cnn"
    hidden: int = 100
    width: float = 1.0
    synapse: str = "bilinear"  # "neuron" in records written before issue 26
    rank: int = 1
    batch_norm: bool = True
    rule: str = "bptt"
    kernel: str = "gaussian"
    hsic_beta: float = 50.0
    local: LocalLossWeights = field(default_factory=LocalLossWeights)
    encoding: str = "direct"
    # Added later; None means "the original default" and is left out of the fingerprint, so
    # runs cached before these fields existed keep their ids.
    neuron_model: str | None = None  # a spiking kind of the neuron registry; None: lif
    tau: float | None = None  # membrane time constant of hidden LIF neurons (None: 2)
    lambda_init: float | None = None  # bilinear lambda at initialisation (None: 0.1)
    kappa: float | None = None  # shunting gate steepness (None: 1)
    bilinear_variant: str | None = None  # learned (None), fixed-lambda, quadratic-only
    shunting_gate: str | None = None  # both (None) or an ablation of the shunting gate
    membrane_bptt: MembraneBPTTSettings | None = None
    plasticity_centric: PlasticityCentricSettings | None = None
    lee2016: Lee2016Settings | None = None
    surrogate: str | None = None  # atan (None) or atan-as-written
    readout: str | None = None  # membrane-mean (None) or spike-count
    output_loss: str | None = None  # ce (None), ce-per-step-membrane, ce-spike-mean
    local_form: str | None = None  # predsim (None) or hu-thesis
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
            ("synapse", self.synapse, SYNAPSES),
            ("rule", self.rule, RULES),
            ("kernel", self.kernel, KERNELS),
            ("encoding", self.encoding, ENCODINGS),
            ("lr_schedule", self.lr_schedule, LR_SCHEDULES),
            ("bilinear_variant", self.bilinear_variant or "learned", BILINEAR_VARIANTS),
            ("shunting_gate", self.shunting_gate or "both", SHUNTING_GATES),
            ("surrogate", self.surrogate or "atan", SURROGATES),
            ("readout", self.readout or "membrane-mean", READOUTS),
            ("output_loss", self.output_loss or "ce", OUTPUT_LOSSES),
            ("local_form", self.local_form or "predsim", LOCAL_FORMS),
        ):
            if value not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
        if self.neuron_model is not None and self.neuron_model not in hidden_neuron_kinds():
            raise ValueError(
                f"neuron_model must be one of {hidden_neuron_kinds()}, got {self.neuron_model!r}"
            )
        if self.output_loss not in (None, "ce") and self.readout != "spike-count":
            raise ValueError(f"output_loss {self.output_loss!r} needs readout='spike-count'")
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
        values = upgrade_config(values)
        if isinstance(values.get("local"), dict):
            values["local"] = LocalLossWeights(**values["local"])
        if isinstance(values.get("lee2016"), dict):
            values["lee2016"] = Lee2016Settings(**values["lee2016"])
        if isinstance(values.get("plasticity_centric"), dict):
            values["plasticity_centric"] = PlasticityCentricSettings(**values["plasticity_centric"])
        if isinstance(values.get("membrane_bptt"), dict):
            values["membrane_bptt"] = MembraneBPTTSettings(**values["membrane_bptt"])
        return cls(**values)

    def label(self) -> str:
        """Short human name used in tables and plot legends."""
        arch = f"fcn-{self.hidden}" if self.arch == "fcn" else self.arch
        rule = f"hsic-{self.kernel}" if self.rule == "hsic" else self.rule
        if self.rule == "local" and self.local_form == "hu-thesis":
            rule = "local(hu-thesis)"
        layer = self.synapse
        if self.bilinear_variant not in (None, "learned"):
            layer = f"{layer}({self.bilinear_variant})"
        if self.synapse == "shunting" and self.shunting_gate not in (None, "both"):
            layer = f"{layer}(gate={self.shunting_gate})"
        if self.neuron_model not in (None, "lif"):
            layer = f"{layer}/{self.neuron_model}"
        if self.readout == "spike-count":
            rule = f"{rule} (count, {self.output_loss or 'ce'})"
        return f"{arch} {layer} {rule}"

    def fingerprint(self) -> str:
        """Stable id of the settings that change the trained model.

        Where the data lives, the device, and whether noise is evaluated afterwards do not
        change the model, so a run cached without noise results can be reused to add them.
        """
        ignored = ("data_path", "device", "noise")
        later = (
            "validation",
            "neuron_model",
            "tau",
            "lambda_init",
            "kappa",
            "bilinear_variant",
            "shunting_gate",
            "membrane_bptt",
            "plasticity_centric",
            "lee2016",
            "surrogate",
            "readout",
            "output_loss",
            "local_form",
        )
        relevant = {
            k: v
            for k, v in self.to_dict().items()
            if k not in ignored and not (k in later and v is None)
        }
        if not relevant["local"].get("supcon"):
            relevant["local"].pop("supcon", None)
        # the default gate, or a gate on a synapse without one, builds the same model as None
        if relevant.get("shunting_gate") == "both" or self.synapse != "shunting":
            relevant.pop("shunting_gate", None)
        # under the key the ids were first computed with, so cached runs keep their ids
        relevant["neuron"] = relevant.pop("synapse")
        blob = json.dumps(relevant, sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:12]


def upgrade_config(values: dict) -> dict:
    """A record's config dict with today's key and rule names (a copy; old records still load,
    group and compare with new ones)."""
    values = {RENAMED_KEYS.get(key, key): value for key, value in values.items()}
    if "rule" in values:
        values["rule"] = RENAMED_RULES.get(values["rule"], values["rule"])
    return values


def save_json(payload: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, sort_keys=False) + "\n")
