"""Operations, memory traffic and estimated energy of one recommendation, counted alike for every
model (the spiking ranker, its ANN twin, EASE, BPR-MF and their blend).

The counting follows the hardware studies' rule (Lemaire et al. 2022, "An analytical estimation
of spiking neural networks energy efficiency"; Dampfhoffer et al. 2023, "Are SNNs really more
energy-efficient than ANNs?"): **the same price for the same operation, whichever network does
it.** Prices are Horowitz's 45 nm figures (2014, "Computing's energy problem") for 32-bit floats:

* an *accumulate* (AC, one add, 0.9 pJ) wherever a binary input gathers a weight row and adds it
  — a spike reaching its synapses, but equally a rated movie's 1 in a bag, in the ANN twin or in
  EASE's ``x_u · B``;
* a *multiply-accumulate* (MAC, 4.6 pJ = 3.7 multiply + 0.9 add) only where a real value meets a
  weight: an analog input, a ReLU activation, a dot product of embeddings, a leak;
* a *memory access* (5 pJ per 32-bit word: 10 pJ per 64-bit read of an 8 KB SRAM) for every
  weight an operation uses, every input and state read, every state written back. An 8 KB SRAM
  is the cheapest memory in the table (a 1 MB one costs 10× more per access), so the memory
  figure is a lower bound, and it already outweighs the arithmetic.

What each part of the ranker costs (per user, averaged over real users; the item tower runs once
per movie when a model is loaded, so it is left out of every model alike):

* **first block's synapse** (identical inputs in both networks, so identical cost): ACs per
  input event (a rated movie, a set one-hot attribute) × neurons × weight rows per neuron (``W``,
  and ``V``, ``V²`` for a bilinear synapse), MACs per analog input (the genre mix) likewise, and
  per-neuron MACs for the bag's ``1/√n`` and the bilinear square and gain;
* **neurons**: LIF — per neuron and step one MAC (leak and input) and one AC (threshold and
  reset), its membrane read and written every step; ReLU — one AC (the comparison) and one write
  and read of its activation, once (a constant input needs one pass, not one per step);
* **deeper blocks and heads**: the spiking network pays an AC per *actual* spike × fan-out and
  one MAC per output for the rate's ``1/T``; the ANN twin a MAC per *non-zero* activation ×
  fan-out (its ReLU zeros are skipped, as a sparse accelerator would);
* **scoring**: the user vector against every movie's vector, MACs in every factor model;
* **co-rating readout**: a rated movie reaches one synapse per movie it is connected to — ACs,
  in both networks and in EASE — then one MAC per movie for the gain.

EASE is ``x_u · B`` with a binary ``x_u``: ACs per rated movie × catalogue. BPR-MF is a dot
product per movie: MACs. The blend also standardises both score rows and mixes them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import torch

from recsys.metrics import names
from recsys.models.ranker import TwoTowerRanker
from snn_models import is_spiking

PJ_PER_AC = 0.9
PJ_PER_MAC = 4.6
PJ_PER_ACCESS = 5.0  # one 32-bit word to or from an 8 KB SRAM (10 pJ per 64-bit access)


@dataclass(frozen=True)
class OperationCount:
    """Accumulates, multiply-accumulates and 32-bit memory accesses (means over users)."""

    ac: float = 0.0
    mac: float = 0.0
    accesses: float = 0.0

    def __add__(self, other: OperationCount) -> OperationCount:
        return OperationCount(
            self.ac + other.ac, self.mac + other.mac, self.accesses + other.accesses
        )

    @property
    def compute_pj(self) -> float:
        return PJ_PER_AC * self.ac + PJ_PER_MAC * self.mac

    @property
    def memory_pj(self) -> float:
        return PJ_PER_ACCESS * self.accesses

    @property
    def picojoules(self) -> float:
        return self.compute_pj + self.memory_pj


def total(layers: dict[str, OperationCount]) -> OperationCount:
    return sum(layers.values(), OperationCount())


@dataclass(frozen=True)
class EnergyReport:
    """Per-part counts of the model measured, and of the reference models on the same users."""

    neuron: str  # "lif" (spiking) or "relu" (the ANN twin)
    layers: dict[str, OperationCount]
    references: dict[str, dict[str, OperationCount]] = field(default_factory=dict)

    def summary(self) -> dict[str, float]:
        """Flat numbers for metrics, the admin and the benchmark table (nanojoules)."""
        own = total(self.layers)
        out = {
            names.ENERGY_AC: own.ac,
            names.ENERGY_MAC: own.mac,
            names.ENERGY_ACCESSES: own.accesses,
            names.ENERGY_COMPUTE_NJ: own.compute_pj / 1000,
            names.ENERGY_NJ: own.picojoules / 1000,
        }
        for name, (total_key, compute_key) in names.ENERGY_REFERENCES.items():
            if name in self.references:
                ref = total(self.references[name])
                out[total_key] = ref.picojoules / 1000
                out[compute_key] = ref.compute_pj / 1000
        return out

    def to_dict(self) -> dict:
        return asdict(self)


def reference_costs(
    rated: float, n_items: int, bpr_dim: int
) -> dict[str, dict[str, OperationCount]]:
    """EASE, BPR-MF and their row-standardised blend, scoring ``n_items`` movies for a user who
    rated ``rated`` of them, counted by the same rules as the ranker."""
    n = float(n_items)
    ease = {
        # Gather-add of the rated movies' rows of B: each weight read once, each score written.
        "scoring": OperationCount(ac=rated * n, accesses=rated + rated * n + n),
    }
    bpr = {
        # The user's vector (read once) against every movie's vector and bias.
        "scoring": OperationCount(mac=bpr_dim * n, ac=n, accesses=bpr_dim + (bpr_dim + 1) * n + n),
    }
    # Each row's mean and sd (a sum and a sum of squares), then (s - mean) / sd per movie, for
    # both models; then the weighted sum: every score read twice more and the blend written.
    standardise = OperationCount(ac=n, mac=2 * n, accesses=2 * n)
    blend = {
        **{f"ease/{k}": v for k, v in ease.items()},
        **{f"bpr/{k}": v for k, v in bpr.items()},
        "standardise": standardise + standardise,
        "mix": OperationCount(mac=2 * n, accesses=3 * n),
    }
    return {"ease": ease, "bpr": bpr, "ease+bpr": blend}


@torch.no_grad()
def recommendation_energy(
    model: TwoTowerRanker,
    user_rows: torch.Tensor,
    rated_counts: np.ndarray,
    n_items: int,
    bpr_dim: int = 200,
) -> EnergyReport:
    """Counts for scoring ``n_items`` movies for each user in ``user_rows`` (dense feature rows
    whose first ``n_items`` columns are the rated-movie bag), averaged over users.

    ``rated_counts`` is how many movies each user rated: the input events of the co-rating
    readout and of EASE. The towers are counted by what the model's neurons are (LIF spikes or
    ReLU activations, ``TowerConfig.neuron``), from what they actually did on these users.
    """
    model.eval()
    layers: dict[str, OperationCount] = {}
    nonzero = user_rows != 0
    nonzero_inputs = float(nonzero.sum(1).float().mean())
    events = nonzero.clone()
    events[:, n_items:] &= user_rows[:, n_items:] == 1.0
    event_inputs = float(events.sum(1).float().mean())
    analog_inputs = nonzero_inputs - event_inputs
    neuron = model.members[0].user_tower.config.neuron
    for m, pair in enumerate(model.members):
        tower = pair.user_tower
        config = tower.config
        spiking = is_spiking(config.neuron)
        rows_per_neuron = 1 + (config.rank + 1 if config.synapse == "bilinear" else 0)
        quadratic = 2 * config.rank if config.synapse == "bilinear" else 0
        params_per_neuron = 1 + (config.rank if config.synapse == "bilinear" else 0)
        steps = tower.num_steps
        outputs = tower.run_blocks(user_rows)
        below_events = below_values = 0.0
        for b, (block, out) in enumerate(zip(tower.network.blocks, outputs, strict=True)):
            width = out.spikes.shape[-1]
            head_out = block.head.linear.out_features
            name = f"member{m}/block{b}"
            if b == 0 or block.input_synapse is not None:
                # The tower's input features: the same rows, the same work, in both networks.
                synapse = OperationCount(
                    ac=event_inputs * width * rows_per_neuron,
                    mac=analog_inputs * width * rows_per_neuron + (quadratic + 1) * width,
                    accesses=nonzero_inputs * (1 + width * rows_per_neuron)
                    + width * params_per_neuron,
                )
            else:
                synapse = OperationCount()
            if b > 0:
                # The block below's output: spikes (binary events, summed over the steps) or
                # real activations (each one multiplies its weight rows).
                synapse = synapse + OperationCount(
                    ac=below_events * width * rows_per_neuron,
                    mac=below_values * width * rows_per_neuron + quadratic * width,
                    accesses=(below_events + below_values) * (1 + width * rows_per_neuron)
                    + width * params_per_neuron,
                )
            layers[f"{name}/synapse"] = synapse
            if spiking:
                spikes = float(out.spikes.sum((0, 2)).mean())  # per user, over every step
                layers[f"{name}/neurons"] = OperationCount(
                    ac=float(width * steps), mac=float(width * steps), accesses=2.0 * width * steps
                )
                # A spike gathers its head row; the rate's 1/T and the bias once per output.
                layers[f"{name}/head"] = OperationCount(
                    ac=spikes * head_out + head_out,
                    mac=float(head_out),
                    accesses=spikes * (1 + head_out) + 2.0 * head_out,
                )
                below_events, below_values = spikes, 0.0
            else:
                # The activation is the same at every step of a constant input: count one pass.
                active = float((out.spikes[0] != 0).sum(-1).float().mean())
                layers[f"{name}/neurons"] = OperationCount(ac=float(width), accesses=2.0 * width)
                layers[f"{name}/head"] = OperationCount(
                    ac=float(head_out),
                    mac=active * head_out,
                    accesses=active * (1 + head_out) + 2.0 * head_out,
                )
                below_events, below_values = 0.0, active
    width = float(model.config.embedding_width)
    layers["scoring"] = OperationCount(
        mac=width * n_items, accesses=width + width * n_items + n_items
    )
    rated = float(np.mean(rated_counts)) if len(rated_counts) else 0.0
    if model.corating is not None:
        # Synapses leaving one rated movie: every movie, or k per movie on average (sparse).
        fan_out = float(getattr(model.corating, "neighbours", n_items))
        layers["corating"] = OperationCount(
            ac=rated * fan_out,
            mac=float(n_items),
            accesses=rated + rated * fan_out + 2.0 * n_items,
        )
    return EnergyReport(
        neuron=neuron, layers=layers, references=reference_costs(rated, n_items, bpr_dim)
    )
