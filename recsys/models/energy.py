"""Synaptic operations and estimated energy of one recommendation, from actual spike counts.

A spiking layer pays one *accumulate* (AC) per synapse that a spike reaches; a conventional
(ANN) layer of the same shape pays one *multiply-accumulate* (MAC) per weight, whatever the
activity. The usual 45 nm estimate (Horowitz 2014, "Computing's energy problem") prices an AC at
0.9 pJ and a MAC at 4.6 pJ (32-bit float). What counts for one recommendation (one user, the
whole catalogue scored):

* user tower, first block: a rated movie in the bag (every one weighs the same ``1/√n``, one
  multiply per neuron after summing) and a set one-hot or multi-hot attribute are input events,
  an AC per weight row they reach (``W``, ``V`` and ``V²`` for bilinear synapses); the analog
  inputs (the genre mix) are MACs; the ANN pays MACs for every non-zero input (it is given the
  sparsity for free here, the stricter comparison); the bilinear square and gain are MACs per
  neuron and rank in both;
* the LIF membrane: one MAC per neuron and step (the leak multiply), spiking network only;
* deeper blocks and heads: ACs per *actual* spike × fan-out in the spiking network; MACs per
  neuron × fan-out in the ANN (its activations are real numbers);
* scoring: the user vector (real numbers) against every movie's vector: MACs in both;
* the co-rating readout: one spike per rated movie reaches one synapse per movie (ACs); the ANN
  multiplies the dense catalogue-sized input by the whole matrix (MACs), or, if it skips zero
  inputs, one MAC per rated movie and movie (reported too, as the stricter comparison).

The item tower runs once per movie when a model is loaded, not per recommendation, so it is left
out of both sides. EASE and BPR scoring are counted the same way.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch

from recsys.metrics import names
from recsys.models.ranker import TwoTowerRanker

PJ_PER_AC = 0.9
PJ_PER_MAC = 4.6


@dataclass(frozen=True)
class OperationCount:
    """Accumulates and multiply-accumulates of one recommendation (means over users)."""

    ac: float = 0.0
    mac: float = 0.0

    def __add__(self, other: OperationCount) -> OperationCount:
        return OperationCount(self.ac + other.ac, self.mac + other.mac)

    @property
    def picojoules(self) -> float:
        return PJ_PER_AC * self.ac + PJ_PER_MAC * self.mac


@dataclass(frozen=True)
class EnergyReport:
    """Per-layer counts for the spiking network and its ANN twin, plus the reference models."""

    snn: dict[str, OperationCount]
    ann: dict[str, OperationCount]
    ann_sparse_input: dict[str, OperationCount]
    ease_mac: float
    bpr_mac: float

    @staticmethod
    def _total(layers: dict[str, OperationCount]) -> OperationCount:
        return sum(layers.values(), OperationCount())

    def summary(self) -> dict[str, float]:
        """Flat numbers for metrics, the admin and the benchmark table (nanojoules)."""
        snn, ann = self._total(self.snn), self._total(self.ann)
        sparse = self._total(self.ann_sparse_input)
        return {
            names.ENERGY_SNN_AC: snn.ac,
            names.ENERGY_SNN_MAC: snn.mac,
            names.ENERGY_SNN_NJ: snn.picojoules / 1000,
            names.ENERGY_ANN_MAC: ann.mac,
            names.ENERGY_ANN_NJ: ann.picojoules / 1000,
            names.ENERGY_ANN_SPARSE_INPUT_NJ: sparse.picojoules / 1000,
            names.ENERGY_ANN_OVER_SNN: ann.picojoules / snn.picojoules,
            names.ENERGY_ANN_SPARSE_INPUT_OVER_SNN: sparse.picojoules / snn.picojoules,
            names.ENERGY_EASE_NJ: PJ_PER_MAC * self.ease_mac / 1000,
            names.ENERGY_BPR_NJ: PJ_PER_MAC * self.bpr_mac / 1000,
        }

    def to_dict(self) -> dict:
        return asdict(self)


@torch.no_grad()
def recommendation_energy(
    model: TwoTowerRanker,
    user_rows: torch.Tensor,
    rated_counts: np.ndarray,
    n_items: int,
    bpr_dim: int = 200,
) -> EnergyReport:
    """Counts for scoring ``n_items`` movies for each user in ``user_rows`` (dense feature rows
    whose first ``n_items`` columns are the rated-movie bag), averaged over users; ``rated_counts`` is how many movies each user rated (input spikes of
    the co-rating readout, and the non-zero inputs a sparse ANN would skip to)."""
    model.eval()
    snn: dict[str, OperationCount] = {}
    ann: dict[str, OperationCount] = {}
    nonzero = user_rows != 0
    nonzero_inputs = float(nonzero.sum(1).float().mean())
    events = nonzero.clone()
    events[:, n_items:] &= user_rows[:, n_items:] == 1.0
    event_inputs = float(events.sum(1).float().mean())
    for m, pair in enumerate(model.members):
        tower = pair.user_tower
        config = tower.config
        rows_per_neuron = 1 + (config.rank + 1 if config.synapse == "bilinear" else 0)
        quadratic = 2 * config.rank if config.synapse == "bilinear" else 0
        steps = tower.num_steps
        outputs = tower.run_blocks(user_rows)
        fan_in, previous_width = nonzero_inputs, 0
        for b, (block, out) in enumerate(zip(tower.network.blocks, outputs, strict=True)):
            width = out.spikes.shape[-1]
            spikes_per_user = float(out.spikes.sum((0, 2)).mean())
            head_out = block.head.linear.out_features
            name = f"member{m}/block{b}"
            if b == 0:
                analog = nonzero_inputs - event_inputs
                snn[f"{name}/synapse"] = OperationCount(
                    ac=event_inputs * width * rows_per_neuron,
                    mac=analog * width * rows_per_neuron + (quadratic + 1) * width,
                )
                ann[f"{name}/synapse"] = OperationCount(
                    mac=fan_in * width * rows_per_neuron + quadratic * width
                )
            else:
                # fan_in is the spikes of the block below, summed over the steps.
                snn[f"{name}/synapse"] = OperationCount(
                    ac=fan_in * width * rows_per_neuron, mac=quadratic * width * steps
                )
                ann[f"{name}/synapse"] = OperationCount(
                    mac=previous_width * width * rows_per_neuron + quadratic * width
                )
            snn[f"{name}/membrane"] = OperationCount(mac=float(width * steps))
            snn[f"{name}/head"] = OperationCount(ac=spikes_per_user * head_out, mac=head_out)
            ann[f"{name}/head"] = OperationCount(mac=float(width * head_out))
            fan_in, previous_width = spikes_per_user, width
    scoring = OperationCount(mac=float(model.config.embedding_width * n_items))
    snn["scoring"] = ann["scoring"] = scoring
    sparse = dict(ann)
    rated = float(np.mean(rated_counts)) if len(rated_counts) else 0.0
    if model.corating is not None:
        # Synapses leaving one rated movie: every movie, or k per movie on average (sparse).
        fan_out = float(getattr(model.corating, "neighbours", n_items))
        snn["corating"] = OperationCount(ac=rated * fan_out, mac=float(n_items))
        ann["corating"] = OperationCount(mac=float(n_items) * fan_out)
        sparse["corating"] = OperationCount(mac=rated * fan_out)
    return EnergyReport(
        snn=snn,
        ann=ann,
        ann_sparse_input=sparse,
        ease_mac=rated * n_items,
        bpr_mac=float((bpr_dim + 1) * n_items),
    )
