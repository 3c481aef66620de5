"""Training the two-tower ranker: layer-local (default) or end-to-end BPTT (baseline).

Local mode: every block of both towers has its own head, loss and optimizer. A user block's
prediction (its head, or with the ``"sum"`` readout the detached sum of the heads below plus
its own) is scored against the item tower's current *served* embeddings (detached), an item
block's against the user tower's (detached); each block's input is the detached output of the
block below. No gradient crosses a block boundary or passes between the towers.

BPTT mode: one optimizer, one loss on the final embeddings, gradients through every block,
time step and both towers.

A committee's members (:class:`~recsys.models.ranker.TwoTowerRanker`) are trained side by side,
epoch by epoch, each by its own fitter with its own seed, optimizers and loss: nothing passes
between members, so each is exactly the pair it would be if trained alone.

Both modes see the same data each step: a batch of users, *all* movies, the users' train
ratings as targets, and three kinds of input corruption that double as regularisers and as
cold-start training — dropping rated movies from the input bag (denoising; the targets keep
them), dropping a user's whole history (the profile-only path), and hiding movies' ids (the
content-only path).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace

import numpy as np
import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

from recsys.models import defaults
from recsys.models.batches import (
    TowerInputs,
    item_batch_inputs,
    sample_catalogue,
    user_batch_inputs,
)
from recsys.models.losses import LOSSES, ranking_loss
from recsys.models.ranker import TowerPair, TwoTowerRanker
from recsys.models.teacher import CoRatingTeacher
from snn_models import LocalTrainer

TRAINING_MODES = ("local", "bptt")
DISTILL_MODES = ("negatives", "mix", "residual")


@dataclass(frozen=True)
class FitConfig:
    mode: str = "local"
    epochs: int = defaults.EPOCHS
    batch_size: int = defaults.BATCH_SIZE
    lr: float = defaults.LR
    weight_decay: float = defaults.WEIGHT_DECAY
    bag_dropout: float = defaults.BAG_DROPOUT
    history_dropout: float = defaults.HISTORY_DROPOUT
    item_id_dropout: float = defaults.ITEM_ID_DROPOUT
    profile_dropout: float = defaults.PROFILE_DROPOUT
    loss: str = defaults.LOSS
    negative_weight: float = defaults.NEGATIVE_WEIGHT
    cosine_decay: bool = True
    sparse_inputs: bool = True
    # Above ``full_catalogue_up_to`` movies a step scores the batch's rated movies plus
    # ``item_sample`` drawn ones (recsys.models.batches.CatalogueSample), not every movie.
    full_catalogue_up_to: int = defaults.FULL_CATALOGUE_UP_TO
    item_sample: int = defaults.ITEM_SAMPLE
    seed: int = 42
    eval_every: int = 1
    corating_l2: float = defaults.CORATING_L2  # ridge of the co-rating readout, if any
    # Local mode: blocks from ``distill_from`` on learn the ratings with the unrated movies'
    # targets raised to w·teacher (``distill_mode`` "negatives"), or (1 - w)·ratings + w·teacher
    # ("mix"), or ratings - w·teacher ("residual": with w the readout's gain, the towers learn
    # what the co-rating readout gets wrong, not the ratings beside it); the teacher is the
    # co-rating (EASE) scores of the user's train ratings.
    distill_weight: float = 0.0
    distill_from: int = 1
    distill_mode: str = "negatives"
    deep_lr_scale: float = 1.0  # learning rate of the blocks after the first, × lr

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class EpochReport:
    epoch: int
    total_epochs: int
    loss: float
    seconds: float
    metric: float | None = None


def _optimizer_factory(
    config: FitConfig,
) -> Callable[[Iterable[nn.Parameter]], torch.optim.Optimizer]:
    def make(params: Iterable[nn.Parameter]) -> torch.optim.Optimizer:
        params = list(params)
        decay = [p for p in params if p.dim() >= 2]
        rest = [p for p in params if p.dim() < 2]
        groups = [{"params": decay, "weight_decay": config.weight_decay}]
        if rest:
            groups.append({"params": rest, "weight_decay": 0.0})
        # The fused kernel does Adam's dozen element-wise passes in one; on a CPU that makes
        # the optimizer step several times faster for these wide weight matrices.
        return torch.optim.Adam(groups, lr=config.lr, fused=True)

    return make


class TwoTowerFitter:
    """Trains one tower pair; owns its optimizers so training can go on epoch by epoch."""

    def __init__(
        self,
        model: TowerPair,
        inputs: TowerInputs,
        config: FitConfig,
        teacher: CoRatingTeacher | None = None,
    ) -> None:
        if config.mode not in TRAINING_MODES:
            raise ValueError(f"mode must be one of {TRAINING_MODES}, got {config.mode!r}")
        if config.loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}, got {config.loss!r}")
        if config.distill_mode not in DISTILL_MODES:
            raise ValueError(
                f"distill_mode must be one of {DISTILL_MODES}, got {config.distill_mode!r}"
            )
        self.model = model
        self.inputs = inputs
        self.config = config
        self.rng = np.random.default_rng(config.seed)
        torch.manual_seed(config.seed)
        factory = _optimizer_factory(config)
        if config.mode == "local":
            self.user_trainer = LocalTrainer(model.user_tower.network, factory)
            self.item_trainer = LocalTrainer(model.item_tower.network, factory)
            deeper = [o for t in (self.user_trainer, self.item_trainer) for o in t.optimizers[1:]]
        else:
            # Adam's state is per parameter, so one optimizer over the first blocks and one
            # over the deeper blocks step exactly like one over all: only their rates differ.
            towers = (model.user_tower, model.item_tower)
            deep = [p for t in towers for b in t.network.blocks[1:] for p in b.parameters()]
            split = config.deep_lr_scale != 1.0 and bool(deep)
            taken = {id(p) for p in deep} if split else set()
            self.optimizer = factory(p for p in model.parameters() if id(p) not in taken)
            deeper = [factory(deep)] if split else []
        self.deep_optimizers = [o for o in deeper if o is not None]
        for optimizer in self.deep_optimizers:
            for group in optimizer.param_groups:
                group["lr_scale"] = config.deep_lr_scale
                group["lr"] = config.lr * config.deep_lr_scale
        self.teacher: CoRatingTeacher | None = None
        if config.distill_weight > 0:
            if config.mode != "local":
                raise ValueError("distillation is a per-block target: it needs mode='local'")
            # Training-time only: the served towers never see the teacher, only learn from it.
            # Without one given, the readout the default ranker would fit (dense up to 8,192
            # movies, neighbourhoods above: never an n × n matrix at scale).
            self.teacher = teacher or CoRatingTeacher.fit(inputs.train, config.corating_l2)

    def optimizers(self) -> list[torch.optim.Optimizer]:
        if self.config.mode == "bptt":
            return [self.optimizer, *self.deep_optimizers]
        trainers = (self.user_trainer, self.item_trainer)
        return [o for t in trainers for o in t.optimizers if o is not None]

    def set_epoch(self, epoch: int) -> None:
        """Cosine learning-rate decay to zero: late epochs refine instead of bouncing around."""
        if not self.config.cosine_decay:
            return
        scale = 0.5 * (1.0 + math.cos(math.pi * epoch / self.config.epochs))
        for optimizer in self.optimizers():
            for group in optimizer.param_groups:
                group["lr"] = self.config.lr * scale * group.get("lr_scale", 1.0)

    def run_epoch(self, progress: bool = False, max_batches: int | None = None) -> float:
        """One pass over the users in random order; returns the mean loss of the embeddings.
        ``progress`` shows a bar over the batches (an epoch at ML-25M size takes half an hour);
        ``max_batches`` stops after that many (a reduced epoch, for timing runs at scale)."""
        self.model.train()
        users = self.rng.permutation(self.inputs.train.n_users)
        users = users[self.inputs.train.counts()[users] > 0]
        total, batches = 0.0, 0
        starts = range(0, len(users), self.config.batch_size)[:max_batches]
        for start in tqdm(starts, desc="batches", disable=not progress, leave=False):
            batch = users[start : start + self.config.batch_size]
            total += self._step(batch)
            batches += 1
        return total / max(batches, 1)

    def samples_catalogue(self) -> bool:
        """Whether a step scores a sample of the catalogue instead of every movie."""
        return self.inputs.n_items > self.config.full_catalogue_up_to

    def _step(self, users: np.ndarray, rows: slice | None = None) -> float:
        """One optimizer step on ``users`` (``rows``: on ``users[rows]`` only, with the random
        draws of the whole batch, as a data-parallel rank steps its share of it)."""
        config = self.config
        part = slice(None) if rows is None else rows
        x_user = user_batch_inputs(
            self.inputs,
            users,
            self.rng,
            config.bag_dropout,
            config.history_dropout,
            config.profile_dropout,
            sparse=config.sparse_inputs,
            rows=rows,
        )
        items, weights = None, None
        if self.samples_catalogue():
            sample = sample_catalogue(
                self.inputs.train, users, config.item_sample, self.rng, config.negative_weight
            )
            items, weights = sample.items, torch.from_numpy(sample.weights[part])
            targets = torch.from_numpy(sample.targets[part])
        else:
            targets = torch.from_numpy(self.inputs.train.dense(users[part]))
        x_item = item_batch_inputs(
            self.inputs, self.rng, config.item_id_dropout, items, sparse=config.sparse_inputs
        )
        block_targets = None
        if config.mode == "local":
            block_targets = self._block_targets(users[part], targets, items)
        # Batches are built on the CPU; a fitter whose model lives on a GPU moves them there.
        x_user, x_item, targets = (self._to_device(t) for t in (x_user, x_item, targets))
        if weights is not None:
            weights = self._to_device(weights)
        if block_targets is not None:
            block_targets = [self._to_device(t) for t in block_targets]
        if config.mode == "bptt":
            scores = self.model(x_user, x_item)
            loss = self._loss(scores, targets, weights)
            optimizers = self.optimizers()
            for optimizer in optimizers:
                optimizer.zero_grad(set_to_none=True)
            loss.backward()
            for optimizer in optimizers:
                optimizer.step()
            return float(loss.detach())
        return self._local_step(x_user, x_item, targets, block_targets, weights)

    def _to_device(self, tensor: Tensor) -> Tensor:
        """Where a batch's tensors go: the CPU here (a data-parallel rank may say a GPU)."""
        return tensor

    def _block_targets(
        self, users: np.ndarray, targets: Tensor, items: np.ndarray | None = None
    ) -> list[Tensor] | None:
        """Per-block targets when distilling (the ratings below ``distill_from``, the mix of
        ratings and teacher scores from there on); ``None`` when every block learns ratings.
        ``items``: the step's sampled movies (``targets``' columns), ``None`` for all."""
        if self.teacher is None:
            return None
        w = self.config.distill_weight
        teacher = self.teacher.scores(torch.from_numpy(self.inputs.train.dense(users)), items)
        if self.config.distill_mode == "mix":
            mixed = (1.0 - w) * targets + w * teacher
        elif self.config.distill_mode == "residual":  # the towers' score is added to w·teacher
            mixed = targets - w * teacher
        else:  # the rated movies stay at 1; the teacher ranks the rest (its "dark knowledge")
            mixed = targets + w * (1.0 - targets) * teacher
        blocks = len(self.model.user_tower.network.blocks)
        return [mixed if k >= self.config.distill_from else targets for k in range(blocks)]

    def _loss(self, scores: Tensor, targets: Tensor, weights: Tensor | None = None) -> Tensor:
        return ranking_loss(self.config.loss, scores, targets, self.config.negative_weight, weights)

    def _local_step(
        self,
        x_user: Tensor,
        x_item: Tensor,
        targets: Tensor,
        block_targets: list[Tensor] | None = None,
        weights: Tensor | None = None,
    ) -> float:
        model = self.model
        user_blocks = model.user_tower.run_blocks(x_user, local=True)
        item_blocks = model.item_tower.run_blocks(x_item, local=True)
        user_final = model.augment_user(model.user_tower.readout(user_blocks)).detach()
        item_final = model.item_tower.readout(item_blocks).detach()
        if block_targets is None:
            block_targets = [targets] * len(user_blocks)
        user_losses = [
            self._loss(model.augment_user(b.prediction) @ item_final.T, t, weights)
            for b, t in zip(user_blocks, block_targets, strict=True)
        ]
        item_losses = [
            self._loss(user_final @ b.prediction.T, t, weights)
            for b, t in zip(item_blocks, block_targets, strict=True)
        ]
        self.user_trainer.apply(user_losses)
        self.item_trainer.apply(item_losses)
        # Report the loss of the served embeddings, comparable with the BPTT mode's.
        return float(self._loss(user_final @ item_final.T, targets, weights))


def member_seed(seed: int, index: int) -> int:
    """Seed of committee member ``index``: ``seed`` itself for member 0, otherwise drawn from
    (seed, index). Not ``seed + index``: then the committees of neighbouring seeds would share
    members' batch orders, and comparing seeds would compare overlapping committees."""
    if index == 0:
        return seed
    return int(np.random.SeedSequence([seed, index]).generate_state(1)[0])


def fit_two_tower(
    model: TwoTowerRanker,
    inputs: TowerInputs,
    config: FitConfig,
    evaluate: Callable[[TwoTowerRanker], float] | None = None,
    on_epoch: Callable[[EpochReport], None] | None = None,
    show_progress: bool = True,
    teacher: CoRatingTeacher | None = None,
) -> list[EpochReport]:
    """Train every member for ``config.epochs``; ``evaluate`` (if given) is only *reported*
    every ``eval_every`` epochs, never used to stop or select, so it cannot leak into the model.

    Member 0 draws its batches and corruptions with ``config.seed``, so a one-member
    committee is trained exactly as a lone pair; the reported loss is the members' mean.
    When distilling, the members share one ``teacher`` (fitted here with the ranker's
    dense/neighbourhood switch unless one is given, e.g. the ranker's own fitted readout).
    """
    if teacher is None and config.distill_weight > 0 and config.mode == "local":
        teacher = CoRatingTeacher.for_ranker(model.config, inputs.train, config.corating_l2)
    fitters = [
        TwoTowerFitter(pair, inputs, replace(config, seed=member_seed(config.seed, index)), teacher)
        for index, pair in enumerate(model.members)
    ]
    reports: list[EpochReport] = []
    started = time.perf_counter()
    bar = tqdm(range(1, config.epochs + 1), desc=f"snn-{config.mode}", disable=not show_progress)
    for epoch in bar:
        for fitter in fitters:
            fitter.set_epoch(epoch - 1)
        loss = sum(fitter.run_epoch() for fitter in fitters) / len(fitters)
        metric = None
        if evaluate is not None and (epoch % config.eval_every == 0 or epoch == config.epochs):
            model.eval()
            metric = float(evaluate(model))
        report = EpochReport(epoch, config.epochs, loss, time.perf_counter() - started, metric)
        reports.append(report)
        bar.set_postfix(
            loss=f"{loss:.2f}", **({"metric": f"{metric:.4f}"} if metric is not None else {})
        )
        if on_epoch is not None:
            on_epoch(report)
    model.eval()
    return reports
