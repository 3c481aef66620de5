"""A training batch's tower inputs, built from index-space training data.

The towers read wide, sparse rows: a user's row starts with the rated-movie bag (one column per
movie), a movie's with its one-hot id. :class:`TowerInputs` keeps what those rows are made of —
the train ratings in CSR form, each user's profile part, each movie's content — and the
functions here assemble the rows of one batch, with the training corruptions, on demand, as a
dense matrix or as a sparse (CSR) one. Nothing is ever as wide as users × movies or movies ×
movies: at MovieLens-25M's 62,000 movies the full rows would be 40 GB for the users and 15 GB
for the movies, while the parts kept here are the ratings, 160,000 short profile rows and
62,000 content rows.

:func:`sample_catalogue` draws the movies one training step scores when the catalogue is too
large to score whole (see :class:`CatalogueSample`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from recsys.data.interactions import UserItemRows
from recsys.models.corating import csr_tensor


@dataclass(frozen=True)
class TowerInputs:
    """Training inputs in index space.

    ``user_static``: per user, everything after the bag (profile, favourites, genre mix);
    ``mix_columns``: where the genre mix sits inside ``user_static`` (zeroed with the history);
    ``profile_groups``: (start, stop) of each one-hot attribute in ``user_static``, last = unknown;
    ``item_content`` / ``item_cold_content``: each movie's content part with and without its
    popularity; a movie's row is ``[one-hot id | content]``, and a movie whose id is hidden
    (cold) has no id column and the cold content.
    """

    train: UserItemRows
    user_static: np.ndarray
    mix_columns: slice
    profile_groups: tuple[tuple[int, int], ...]
    item_content: np.ndarray
    item_cold_content: np.ndarray

    @property
    def n_items(self) -> int:
        return self.train.n_items

    @property
    def n_user_inputs(self) -> int:
        return self.train.n_items + self.user_static.shape[1]

    @property
    def n_item_inputs(self) -> int:
        return self.train.n_items + self.item_content.shape[1]


def _rows(
    n_rows: int, width: int, rows: np.ndarray, cols: np.ndarray, values: np.ndarray, sparse: bool
) -> Tensor:
    """A (n_rows, width) float32 tensor with ``values`` at (rows, cols), each position once;
    ``sparse``: in CSR form, the layout whose product with a wide weight matrix is cheap (at
    12,500 input columns about 7× faster than COO here, forward and backward)."""
    if not sparse:
        out = np.zeros((n_rows, width), dtype=np.float32)
        out[rows, cols] = values
        return torch.from_numpy(out)
    # Row-major order, zeros dropped: exactly what ``dense.to_sparse_csr()`` gives, so a sparse
    # batch computes what the dense one would have, in the same order.
    keep = values != 0
    rows, cols, values = rows[keep], cols[keep], values[keep]
    order = np.lexsort((cols, rows))
    crow = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n_rows), out=crow[1:])
    return csr_tensor(
        torch.from_numpy(crow),
        torch.from_numpy(cols[order].astype(np.int64)),
        torch.from_numpy(values[order].astype(np.float32)),
        (n_rows, width),
    )


def _dense_parts(block: np.ndarray, offset: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows, cols + offset, values) of a dense block's non-zero entries."""
    rows, cols = np.nonzero(block)
    return rows, cols + offset, block[rows, cols]


def _uniform_rows(
    rng: np.random.Generator, n_rows: int, width: int, rows: slice | None
) -> np.ndarray:
    """``rng.random((n_rows, width))[rows]``, leaving ``rng`` where that whole draw leaves it.

    With numpy's default generator (PCG64: one 64-bit step per double) only the rows asked
    for are drawn and the others are skipped (``advance``): a data-parallel rank's share of a
    (users × movies) draw costs its share (at MovieLens-25M's size the whole is 0.5 GB and
    about a second a step). ``advance`` drops the generator's buffered 32-bit half, which a
    later bounded draw would have used; it is put back.
    """
    if rows is None:
        return rng.random((n_rows, width))
    start, stop, step = rows.indices(n_rows)
    bits = rng.bit_generator
    if step != 1 or not isinstance(bits, np.random.PCG64):
        return rng.random((n_rows, width))[rows]
    before = bits.state
    bits.advance(start * width)
    cells = rng.random((max(stop - start, 0), width))
    bits.advance((n_rows - max(stop, start)) * width)
    after = bits.state
    after["has_uint32"], after["uinteger"] = before["has_uint32"], before["uinteger"]
    bits.state = after
    return cells


def user_batch_inputs(
    inputs: TowerInputs,
    users: np.ndarray,
    rng: np.random.Generator | None = None,
    bag_dropout: float = 0.0,
    history_dropout: float = 0.0,
    profile_dropout: float = 0.0,
    sparse: bool = False,
    rows: slice | None = None,
) -> Tensor:
    """Tower input rows for ``users``; with ``rng``, the training corruptions are applied.

    The bag is ``1/√n`` on each of the ``n`` rated movies kept (what
    :func:`recsys.features.users.normalise_bags` makes of a 0/1 row, the serving path's
    definition; a test holds the two together).

    ``rows``: build only the rows of ``users[rows]``, with the corruptions drawn for all of
    ``users``. A data-parallel rank passes its share of the global batch this way, so the
    random stream, and each of its users' corruptions, are those of one process stepping the
    whole batch (recsys/models/data_parallel.py, ``SameDrawsFitter``).
    """
    users = np.asarray(users, dtype=np.int64)
    train = inputs.train
    everyone = len(users)
    # The draws, in the order one process makes them for the whole batch.
    cells = forget = None
    hidden: list[np.ndarray] = []
    if rng is not None and bag_dropout > 0:
        # One draw per (user, movie) cell, read where the user rated: the random stream of
        # the dense bag this replaces, so a seed trains the model it always trained.
        cells = _uniform_rows(rng, everyone, train.n_items, rows)
    if rng is not None and history_dropout > 0:
        forget = rng.random(everyone) < history_dropout
    if rng is not None and profile_dropout > 0:
        hidden = [rng.random(everyone) < profile_dropout for _ in inputs.profile_groups]
    if rows is not None:
        users = users[rows]
        forget = None if forget is None else forget[rows]
        hidden = [hide[rows] for hide in hidden]
    counts = train.counts()[users]
    row_of = np.repeat(np.arange(len(users)), counts)
    starts = np.repeat(train.indptr[users] - np.cumsum(counts) + counts, counts)
    items = train.items[starts + np.arange(len(row_of))] if len(row_of) else train.items[:0]
    keep = np.ones(len(items), dtype=bool)
    static = inputs.user_static[users].copy()
    if cells is not None:
        keep &= cells[row_of, items] >= bag_dropout
    if forget is not None:
        keep &= ~forget[row_of]
        static[forget, inputs.mix_columns] = 0.0
    for (start, stop), hide in zip(inputs.profile_groups, hidden, strict=False):
        static[hide, start:stop] = 0.0
        static[hide, stop - 1] = 1.0
    row_of, items = row_of[keep], items[keep]
    kept = np.sqrt(np.bincount(row_of, minlength=len(users)).astype(np.float32))
    scale = np.divide(np.float32(1.0), kept, out=np.zeros_like(kept), where=kept > 0)
    bag_values = scale[row_of]
    static_rows, static_cols, static_values = _dense_parts(static, train.n_items)
    return _rows(
        len(users),
        inputs.n_user_inputs,
        np.concatenate([row_of, static_rows]),
        np.concatenate([items, static_cols]),
        np.concatenate([bag_values, static_values]),
        sparse,
    )


def item_batch_inputs(
    inputs: TowerInputs,
    rng: np.random.Generator | None = None,
    id_dropout: float = 0.0,
    items: np.ndarray | None = None,
    sparse: bool = False,
) -> Tensor:
    """Rows of ``items`` (default: every movie); with ``rng``, a share ``id_dropout`` of them
    arrive cold (no id, no popularity), which trains the content-only path of new uploads."""
    items = np.arange(inputs.n_items) if items is None else np.asarray(items, dtype=np.int64)
    hide = np.zeros(len(items), dtype=bool)
    if rng is not None and id_dropout > 0:
        hide = rng.random(len(items)) < id_dropout
    content = np.where(hide[:, None], inputs.item_cold_content[items], inputs.item_content[items])
    with_id = np.flatnonzero(~hide)
    content_rows, content_cols, content_values = _dense_parts(content, inputs.n_items)
    return _rows(
        len(items),
        inputs.n_item_inputs,
        np.concatenate([with_id, content_rows]),
        np.concatenate([items[with_id], content_cols]),
        np.concatenate([np.ones(len(with_id), np.float32), content_values]),
        sparse,
    )


@dataclass(frozen=True)
class CatalogueSample:
    """The movies one training step scores, and the weights that keep its loss unbiased.

    A catalogue of tens of thousands of movies is too large to score whole for every batch
    (the item tower would run over all of them each step). A step then scores the batch's
    rated movies plus ``size`` movies drawn uniformly without replacement. For user ``u`` the
    squared-error loss over the whole catalogue is Σ_rated (1 − s)² + w⁻ Σ_unrated s²; the
    uniform draw holds an unbiased sample of u's unrated movies, so weighting each unrated
    drawn movie by (unrated movies of u) / (unrated drawn movies of u) makes the step's loss an
    unbiased estimate of the full one (a test averages many draws). Movies that are only in
    the sample as other users' positives are not uniform draws for ``u``; they get weight 0.
    """

    items: np.ndarray  # sorted item indices the step scores
    targets: np.ndarray  # (users, len(items)) 0/1, rated in train
    weights: np.ndarray  # (users, len(items)) loss weight of each cell


def sample_catalogue(
    train: UserItemRows,
    users: np.ndarray,
    size: int,
    rng: np.random.Generator,
    negative_weight: float = 1.0,
) -> CatalogueSample:
    users = np.asarray(users, dtype=np.int64)
    n_items = train.n_items
    drawn = rng.choice(n_items, size=min(size, n_items), replace=False)
    rated = np.concatenate([train.items_of(int(u)) for u in users]) if len(users) else drawn[:0]
    items = np.union1d(drawn, rated)
    targets = np.zeros((len(users), len(items)), dtype=np.float32)
    for row, user in enumerate(users):
        targets[row, np.searchsorted(items, train.items_of(int(user)))] = 1.0
    uniform = np.isin(items, drawn)
    unrated_drawn = ((targets == 0) & uniform).sum(1)
    unrated = n_items - train.counts()[users]
    scale = negative_weight * unrated / np.maximum(unrated_drawn, 1)
    weights = targets + (1.0 - targets) * uniform * scale[:, None].astype(np.float32)
    return CatalogueSample(items, targets, weights.astype(np.float32))
