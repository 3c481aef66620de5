"""A committee's user towers run as one wide tower when serving a request.

The members of a committee apply the same one-block tower shape to the same input row, so
their first-layer matrices can be laid side by side: one gather-product gives every
member's current, one LIF scan every member's spikes, and one block-diagonal head every
member's embedding. A one-user request is dominated by per-call overhead, not arithmetic,
so this keeps a K-member committee's request close to the cost of a single pair. The result
is the committee's own ``user_embeddings`` (tests compare them), computed differently.

:meth:`FusedUserTowers.one` is the same computation for one request row in NumPy, the LIF
dynamics from ``snn_models``' NumPy inference (:func:`lif_rates_constant_input`, fed the
neuron's own :class:`LIFParameters`): the serving path of a single user, where torch's fixed
cost per operation is most of the time.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from recsys.models.ranker import TowerPair, TwoTowerRanker
from recsys.models.towers import SpikingTower
from recsys.serving.frozen import (
    FrozenArrays,
    FrozenArraysMismatch,
    can_merge_synapses,
    frozen_synapse,
    part,
    prefixed,
    tensor_over,
)
from snn_models import ClassifierHead, repeat_over_time
from snn_models.functional import lif_rates_constant_input
from snn_models.neurons import plain_lif_parameters


def _neuron_settings(tower: SpikingTower) -> tuple | None:
    """What must match for members' neurons to run as one; None when not a plain LIF."""
    neuron = tower.network.blocks[0].neuron
    params = plain_lif_parameters(neuron)
    if params is None:
        return None
    return (
        float(params.alpha),
        params.threshold,
        params.reset,
        params.detach_reset,
        params.decay_input,
        type(params.surrogate),
        neuron.step_mode,
    )


def can_fuse_user_towers(model: TwoTowerRanker) -> bool:
    """One block per tower, no skip input, plain heads, and neurons that behave identically."""
    towers = [pair.user_tower for pair in model.members]
    for tower in towers:
        blocks = tower.network.blocks
        if len(blocks) != 1 or blocks[0].input_synapse is not None:
            return False
        if not isinstance(blocks[0].head, ClassifierHead):
            return False
        if blocks[0].head.pool_to is not None:
            return False
    if len({tower.num_steps for tower in towers}) != 1:
        return False
    settings = {_neuron_settings(tower) for tower in towers}
    if None in settings or len(settings) != 1:
        return False
    return can_merge_synapses([tower.network.blocks[0].synapse for tower in towers])


class FusedUserTowers:
    """``model.user_embeddings`` for frozen weights, all members in one pass.

    Build it after the weights are final (it copies what it needs, or reads ``stored``
    arrays as :meth:`arrays` gives them: read-only maps of an artifact's files, no copy).
    """

    def __init__(self, model: TwoTowerRanker, stored: FrozenArrays | None = None) -> None:
        if not can_fuse_user_towers(model):
            raise ValueError("these user towers cannot run as one (see can_fuse_user_towers)")
        blocks = [pair.user_tower.network.blocks[0] for pair in model.members]
        self.num_steps = model.members[0].user_tower.num_steps
        self.neuron = blocks[0].neuron
        heads = [block.head.linear for block in blocks]
        with torch.no_grad():
            self.synapse = frozen_synapse(
                [block.synapse for block in blocks], part(stored, "synapse.")
            )
            if stored is None:
                self.head_weight_t = torch.block_diag(*[h.weight for h in heads]).T.contiguous()
                self.head_bias = torch.cat([h.bias for h in heads])
            else:
                width = sum(h.weight.shape[0] for h in heads)
                shapes = {"head_weight_t": (sum(h.weight.shape[1] for h in heads), width)}
                shapes["head_bias"] = (width,)
                for name, shape in shapes.items():
                    if name not in stored or tuple(stored[name].shape) != shape:
                        raise FrozenArraysMismatch(
                            f"stored {name} does not fit the user towers' heads"
                        )
                self.head_weight_t = tensor_over(stored["head_weight_t"])
                self.head_bias = tensor_over(stored["head_bias"])
        self._head_weight_t_np = self.head_weight_t.numpy()
        self._head_bias_np = self.head_bias.numpy()
        params = plain_lif_parameters(self.neuron)
        self._params = params.with_decay(float(params.alpha))  # frozen: a float, no graph

    def arrays(self) -> dict[str, np.ndarray]:
        """Every frozen matrix by name, what ``stored`` takes back."""
        return {
            **prefixed(self.synapse.arrays(), "synapse."),
            "head_weight_t": self._head_weight_t_np,
            "head_bias": self._head_bias_np,
        }

    def __call__(self, x: Tensor) -> Tensor:
        """(B, n_user_inputs) dense rows → (B, members · dim + 1) serving-ready user vectors."""
        with torch.no_grad():
            current = repeat_over_time(self.synapse(x), self.num_steps)
            rates = self.neuron(current).mean(0)
            return TowerPair.augment_user(torch.addmm(self.head_bias, rates, self.head_weight_t))

    def one(self, row: np.ndarray) -> np.ndarray:
        """One (n_user_inputs,) float32 row → its (members · dim + 1,) user vector, in NumPy.

        The LIF dynamics are ``snn_models``' NumPy inference of the neuron's own parameters,
        for the same current at every step.
        """
        rates = lif_rates_constant_input(self.synapse.one_row(row), self._params, self.num_steps)
        head = rates @ self._head_weight_t_np + self._head_bias_np
        return np.append(head, np.float32(1.0))
