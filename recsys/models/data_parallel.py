"""One tower pair trained data-parallel over ``torch.distributed`` processes.

Every process (a *rank*) holds a full replica of the pair and its optimizers. Each global batch
of ``batch_size × world`` users is cut into ``world`` equal parts, one per rank; each rank runs
the ordinary training step (recsys/models/trainer.py) on its part, and before every optimizer
step the ranks' gradients are averaged with one ``all_reduce``. The losses are means over a
batch's users, so the averaged gradient is the gradient of the whole global batch, and the
replicas, started from the same weights, stay identical step after step
(tests/recsys/test_data_parallel.py checks both). Backends: gloo on CPU, NCCL on CUDA.

Why not the ``DistributedDataParallel`` wrapper: its reducer expects one backward pass per
forward call of the wrapped module, while local learning runs one backward per block and per
tower (each restricted to that block's parameters, ``snn_models.LocalTrainer``) outside any
``forward``. Averaging in an optimizer step pre-hook is the same collective DDP issues (an
all-reduce of the gradients, divided by the world size), placed where this training loop has
its gradients complete. What it does not do is overlap communication with the backward pass.

The epoch's user order is drawn from the run's seed (the same on every rank), the per-step
corruptions and catalogue samples from (seed, rank), so a rank's part is its own draw.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.distributed as dist
from torch import Tensor

from recsys.models.batches import TowerInputs
from recsys.models.ranker import TowerPair
from recsys.models.teacher import CoRatingTeacher
from recsys.models.trainer import FitConfig, TwoTowerFitter


def backend_for(device: torch.device | str) -> str:
    """gloo for CPU tensors, NCCL for CUDA ones."""
    return "nccl" if torch.device(device).type == "cuda" else "gloo"


class DataParallelFitter(TwoTowerFitter):
    """A :class:`TwoTowerFitter` for one rank of an initialised process group."""

    def __init__(
        self,
        model: TowerPair,
        inputs: TowerInputs,
        config: FitConfig,
        teacher: CoRatingTeacher | None = None,
        device: torch.device | str = "cpu",
    ) -> None:
        if not dist.is_initialized():
            raise RuntimeError("initialise the process group first (torch.distributed)")
        self.device = torch.device(device)
        model.to(self.device)
        super().__init__(model, inputs, config, teacher)
        self.rank = dist.get_rank()
        self.world = dist.get_world_size()
        self.order_rng = np.random.default_rng(config.seed)
        self.rng = self._rank_draws(config.seed)
        self.step_losses: list[float] = []
        #: This rank's share of the step's global batch, when its gradient is weighted by it
        #: (``SameDrawsFitter``); ``None``: equal shares, the ranks' mean.
        self.share: float | None = None
        # The replicas start equal even if a caller seeded the ranks differently.
        with torch.no_grad():
            for tensor in [*model.parameters(), *model.buffers()]:
                dist.broadcast(tensor, src=0)
        for optimizer in self.optimizers():
            optimizer.register_step_pre_hook(self._average_gradients)

    def _rank_draws(self, seed: int) -> np.random.Generator:
        """This rank's random stream (corruptions, samples): its own, independent of the others'."""
        return np.random.default_rng([seed, self.rank])

    def _average_gradients(self, optimizer: torch.optim.Optimizer, args, kwargs) -> None:
        """Replace each rank's gradients by their mean over the ranks, in one all-reduce."""
        params = [p for group in optimizer.param_groups for p in group["params"]]
        grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in params]
        flat = torch.cat([g.reshape(-1) for g in grads])
        if self.share is None:
            dist.all_reduce(flat)
            flat /= self.world
        else:
            flat *= self.share
            dist.all_reduce(flat)
        offset = 0
        for param in params:
            size = param.numel()
            param.grad = flat[offset : offset + size].view_as(param)
            offset += size

    def global_batches(self) -> list[np.ndarray]:
        """This epoch's global batches of active users, in the order every rank draws."""
        users = self.order_rng.permutation(self.inputs.train.n_users)
        users = users[self.inputs.train.counts()[users] > 0]
        size = self.config.batch_size * self.world
        batches = [users[start : start + size] for start in range(0, len(users), size)]
        # Every rank must step as often as the others: a last batch too small to give each
        # rank a user is left out of this epoch (at most world - 1 users).
        return [batch for batch in batches if len(batch) >= self.world]

    def part(self, batch: np.ndarray) -> np.ndarray:
        """This rank's share of a global batch (equal parts, the remainder to the first)."""
        return np.array_split(batch, self.world)[self.rank]

    def run_epoch(self, progress: bool = False, max_batches: int | None = None) -> float:
        """One pass (or its first ``max_batches`` global batches); the mean loss over ranks."""
        self.model.train()
        total, count = 0.0, 0
        for batch in self.global_batches()[:max_batches]:
            loss = self._step(self.part(batch))
            self.step_losses.append(loss)
            total += loss
            count += 1
        mean = torch.tensor([total, float(count)], dtype=torch.float64)
        dist.all_reduce(mean)
        return float(mean[0] / max(float(mean[1]), 1.0))

    def _to_device(self, tensor: Tensor) -> Tensor:
        return tensor.to(self.device)

    def mean_step_losses(self) -> list[float]:
        """Each step's loss averaged over the ranks: the curve of the global batches."""
        losses = torch.tensor(self.step_losses, dtype=torch.float64)
        dist.all_reduce(losses)
        return (losses / self.world).tolist()


class SameDrawsFitter(DataParallelFitter):
    """One rank of a pair that trains as one process trains it, on ``world`` processes.

    A committee member trained over N ranks (training/member_ranks.py) should be the member
    one process trains, so a site's model does not depend on how many ranks its workers run:

    * ``batch_size`` is the **global** batch, the one-process fitter's; each rank steps its
      share (equal parts, the remainder to the first ranks);
    * every rank draws the one-process fitter's random stream, ``default_rng(seed)``: the
      epoch's user order, and each step's corruptions and catalogue sample drawn for the whole
      global batch, of which a rank builds its own users' rows;
    * each rank's gradient, a mean over its share, is weighted by the share's size before the
      ranks' gradients are summed, so the sum is the gradient of the mean over the global
      batch, uneven last batch included.

    The model then differs from one process's only in the order of floating-point sums
    (tests/training/test_member_ranks.py). What each rank repeats for the whole batch: the
    per-user draws (a few numbers a user), the catalogue sample (the batch's rated movies),
    the item tower over the step's movies (as every data-parallel rank does); the one large
    draw, a uniform per (user, movie) cell for the bag dropout, is drawn for its share only
    (``recsys.models.batches._uniform_rows``).
    """

    def _rank_draws(self, seed: int) -> np.random.Generator:
        """The one-process fitter's stream, the same on every rank."""
        return np.random.default_rng(seed)

    def run_epoch(self, progress: bool = False, max_batches: int | None = None) -> float:
        """One pass in the one-process fitter's order; the mean loss of its global batches."""
        self.model.train()
        users = self.rng.permutation(self.inputs.train.n_users)
        users = users[self.inputs.train.counts()[users] > 0]
        size = self.config.batch_size
        starts = range(0, len(users), size)[:max_batches]
        total = 0.0
        for start in starts:
            loss = self.step_global(users[start : start + size])
            self.step_losses.append(loss)
            total += loss
        # Each rank's total is its shares' part of every batch loss: their sum is the whole.
        summed = torch.tensor([total], dtype=torch.float64)
        dist.all_reduce(summed)
        return float(summed[0]) / max(len(starts), 1)

    def step_global(self, batch: np.ndarray) -> float:
        """Step this rank's share of ``batch``; its part of the batch's loss (share × loss)."""
        parts = np.array_split(np.arange(len(batch)), self.world)
        mine = parts[self.rank]
        self.share = len(mine) / len(batch)
        if len(mine) == 0:
            # A last batch smaller than the world: this rank still steps (every optimizer
            # step is a collective), on one user whose gradient counts for nothing.
            mine = parts[0][:1]
        loss = self._step(batch, slice(int(mine[0]), int(mine[-1]) + 1))
        return loss * self.share

    def mean_step_losses(self) -> list[float]:
        """Each global batch's loss (the ranks' parts summed)."""
        losses = torch.tensor(self.step_losses, dtype=torch.float64)
        dist.all_reduce(losses)
        return losses.tolist()
