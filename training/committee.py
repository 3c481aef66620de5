"""A committee trained member by member, each member possibly in another process or host.

:func:`training.pipeline.train_and_evaluate` trains the committee's tower pairs side by side in
one process. Nothing passes between members while they train (recsys/models/trainer.py), so
they can as well be trained apart: :func:`prepare_committee` does everything before the
members (split, features, the co-rating readout, every member's initial weights),
:func:`fit_member` trains one member from that, and :func:`finish_committee` puts the members
back into the committee and ends exactly like the pipeline (evaluation, calibration,
artifact). Each step reads and writes files, so a Celery chord can run the members on as many
workers as there are (webapp/recommender/runs/members.py).

Why the same model: member ``k`` starts from the weights the one-process committee gives it
(the whole committee is built from the run's seed, then member ``k`` taken), draws its batches
with the same member seed and learns from the same teacher, on the same data. Training uses
only NumPy generators of its own, never torch's global one, so the order in which members run
does not matter (tests/training/test_committee.py compares the weights and scores).
"""

from __future__ import annotations

import os
import pickle
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from recsys.constants import USER_ID
from recsys.data.interactions import IndexedSplit, build_rows
from recsys.data.split import RatingSplit
from recsys.evaluation import evaluate_model
from recsys.models.batches import TowerInputs
from recsys.models.config import TrainConfig
from recsys.models.contract import TrainingData
from recsys.models.fitting import FittedRanker, SpikingRanker
from recsys.models.ranker import TwoTowerRanker
from recsys.models.scoring import RankerScores
from recsys.models.teacher import CoRatingTeacher
from recsys.models.trainer import EpochReport, TwoTowerFitter, member_seed
from training.pipeline import (
    MONITOR_METRIC,
    ProgressEvent,
    TrainResult,
    evaluate_and_write,
    split_tables,
)

PREPARED_FILE = "prepared.pkl"


@dataclass
class PreparedCommittee:
    """What every member and the final step share: data, features, initial weights."""

    config: TrainConfig
    users: pd.DataFrame
    movies: pd.DataFrame
    ratings: pd.DataFrame
    split: RatingSplit
    indexed: IndexedSplit
    data: TrainingData
    builder: object
    inputs: TowerInputs
    #: The whole committee as built from the run's seed, its co-rating readout fitted.
    model: TwoTowerRanker

    @property
    def members(self) -> int:
        return len(self.model.members)


@dataclass
class MemberResult:
    """One trained member: its weights and what each epoch reported."""

    index: int
    state: dict[str, torch.Tensor]
    losses: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)


def prepare_committee(
    users: pd.DataFrame,
    movies: pd.DataFrame,
    ratings: pd.DataFrame,
    config: TrainConfig,
    eval_users: int | None = None,
) -> PreparedCommittee:
    """Split, features, initial committee and readout, as :meth:`SpikingRanker.fit` makes them.

    ``eval_users``: evaluate (and calibrate the match) on the held-out ratings of that many
    users drawn with the split's seed, not of every user: at MovieLens-25M's size scoring every
    user against every movie is most of a retraining. Training is unchanged.
    """
    if config.torch_threads:
        torch.set_num_threads(config.torch_threads)
    split, indexed = split_tables(users, movies, ratings, config)
    if eval_users is not None:
        split, indexed = _held_out_sample(split, indexed, eval_users, config.split_seed)
    data = TrainingData.from_split(indexed, users, movies)
    builder, inputs = SpikingRanker(config).features(data)
    ranker_config = config.ranker.fitted_to(data.n_items)
    torch.manual_seed(config.fit.seed)
    model = TwoTowerRanker(builder.n_user_inputs, builder.n_item_inputs, ranker_config)
    if model.corating is not None:
        model.corating.fit(inputs.train, config.fit.corating_l2)
    return PreparedCommittee(
        config, users, movies, ratings, split, indexed, data, builder, inputs, model
    )


def _held_out_sample(
    split: RatingSplit, indexed: IndexedSplit, users: int, seed: int
) -> tuple[RatingSplit, IndexedSplit]:
    """The split with held-out ratings of ``users`` users only (a seeded draw)."""
    ids = np.unique(split.test[USER_ID].to_numpy())
    if users < len(ids):
        ids = np.random.default_rng(seed).choice(ids, users, replace=False)
    test = split.test[split.test[USER_ID].isin(ids)]
    sampled = replace(split, test=test)
    held_out = build_rows(test, indexed.user_map, indexed.item_map)
    return sampled, replace(indexed, test=held_out)


def fit_member(
    prepared: PreparedCommittee,
    index: int,
    on_epoch: Callable[[EpochReport], None] | None = None,
    max_batches: int | None = None,
) -> MemberResult:
    """Train member ``index`` alone, exactly as :func:`fit_two_tower` trains it in a committee
    (``max_batches``: reduced epochs of that many batches, for timing runs at scale)."""
    if prepared.config.torch_threads:
        torch.set_num_threads(prepared.config.torch_threads)
    fitter = member_fitter(prepared, index)
    return train_epochs(fitter, index, on_epoch, max_batches)


def fit_member_from(
    folder: Path,
    index: int,
    ranks: int = 1,
    on_epoch: Callable[[EpochReport], None] | None = None,
    max_batches: int | None = None,
    device: str = "cpu",
) -> MemberResult:
    """Member ``index`` of the prepared run in ``folder``, as a member task trains it.

    ``ranks`` = 1 on the CPU (the default): :func:`fit_member` in this process. Otherwise
    ``ranks`` data-parallel processes on this host (gloo on CPU, NCCL on ``cuda``) started by
    torch's launcher (training/member_ranks.py); the member is the same up to the order of
    floating-point sums, and the result is returned here, to be saved as any member is.
    """
    if ranks == 1 and device == "cpu":
        return fit_member(load_prepared(folder), index, on_epoch, max_batches)
    from training.member_ranks import fit_member_in_ranks

    return fit_member_in_ranks(folder, index, ranks, on_epoch, max_batches, device)


def member_fitter(
    prepared: PreparedCommittee,
    index: int,
    fitter_class: type[TwoTowerFitter] = TwoTowerFitter,
    **options: object,
) -> TwoTowerFitter:
    """The fitter of member ``index``: its pair, its seed, the committee's teacher.

    ``fitter_class`` and ``options``: another fitter of the same pair, e.g. one data-parallel
    rank of it (training/member_ranks.py), built from exactly the same parts.
    """
    if not 0 <= index < prepared.members:
        raise ValueError(f"member {index} is not in a committee of {prepared.members}")
    fit = prepared.config.fit
    model = prepared.model
    teacher = None
    if fit.distill_weight > 0 and fit.mode == "local":
        teacher = (
            CoRatingTeacher(model.corating)
            if model.corating is not None
            else CoRatingTeacher.for_ranker(model.config, prepared.inputs.train, fit.corating_l2)
        )
    pair = model.members[index]
    config = replace(fit, seed=member_seed(fit.seed, index))
    return fitter_class(pair, prepared.inputs, config, teacher, **options)


def train_epochs(
    fitter: TwoTowerFitter,
    index: int,
    on_epoch: Callable[[EpochReport], None] | None = None,
    max_batches: int | None = None,
) -> MemberResult:
    """Every epoch of ``fitter``'s schedule; the member's weights and per-epoch losses."""
    epochs = fitter.config.epochs
    result = MemberResult(index, {})
    started = time.perf_counter()
    for epoch in range(1, epochs + 1):
        fitter.set_epoch(epoch - 1)
        loss = fitter.run_epoch(max_batches=max_batches)
        result.losses.append(loss)
        result.seconds.append(time.perf_counter() - started)
        if on_epoch is not None:
            on_epoch(EpochReport(epoch, epochs, loss, result.seconds[-1]))
    pair = fitter.model
    pair.eval()
    result.state = {name: value.detach().clone() for name, value in pair.state_dict().items()}
    return result


def finish_committee(
    prepared: PreparedCommittee,
    members: list[MemberResult],
    out_dir: Path,
    progress: Callable[[ProgressEvent], None] | None = None,
) -> TrainResult:
    """The committee from its trained members, evaluated and written as the pipeline does.

    The history is what the one-process committee records: per epoch the members' mean loss
    (summed in member order, as there). The monitored metric is the committee's, so it exists
    only once every member is trained: it is given for the last epoch only.
    """
    report = progress or (lambda event: None)
    config = prepared.config
    if config.torch_threads:
        torch.set_num_threads(config.torch_threads)
    by_index = {member.index: member for member in members}
    if sorted(by_index) != list(range(prepared.members)):
        raise ValueError(
            f"members {sorted(by_index)} do not make a committee of {prepared.members}"
        )
    model = prepared.model
    for index, pair in enumerate(model.members):
        pair.load_state_dict(by_index[index].state)
    model.eval()
    ordered = [by_index[index] for index in range(prepared.members)]
    epochs = config.fit.epochs
    history = []
    for epoch in range(epochs):
        loss = sum(member.losses[epoch] for member in ordered) / len(ordered)
        seconds = max(member.seconds[epoch] for member in ordered)
        history.append(EpochReport(epoch + 1, epochs, loss, seconds))
    train_seconds = history[-1].seconds if history else 0.0
    if len(prepared.indexed.eval_users()) > 0 and history:
        metric = evaluate_model(RankerScores(model, prepared.inputs), prepared.indexed)
        history[-1] = replace(history[-1], metric=float(metric[MONITOR_METRIC]))
    ranker = SpikingRanker(config)
    ranker.fitted = FittedRanker(
        model,
        prepared.builder,
        prepared.inputs,
        prepared.data.user_map,
        prepared.data.item_map,
        history,
    )
    return evaluate_and_write(
        ranker,
        prepared.split,
        prepared.indexed,
        prepared.users,
        prepared.movies,
        prepared.ratings,
        config,
        Path(out_dir),
        train_seconds,
        report,
    )


# ----------------------------------------------------------------------------- files


def save_prepared(prepared: PreparedCommittee, folder: Path) -> Path:
    """Write the prepared run for the member tasks (atomically: a reader never sees half)."""
    return _write_atomically(Path(folder) / PREPARED_FILE, prepared)


def load_prepared(folder: Path) -> PreparedCommittee:
    with (Path(folder) / PREPARED_FILE).open("rb") as handle:
        return pickle.load(handle)


def member_file(folder: Path, index: int) -> Path:
    return Path(folder) / f"member-{index}.pkl"


def save_member(result: MemberResult, folder: Path) -> Path:
    return _write_atomically(member_file(folder, result.index), result)


def load_member(folder: Path, index: int) -> MemberResult:
    with member_file(folder, index).open("rb") as handle:
        return pickle.load(handle)


def _write_atomically(path: Path, value: object) -> Path:
    """Pickle ``value`` to a temporary name, fsync, rename: the file is whole or absent."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    with partial.open("wb") as handle:
        pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)
    return path
