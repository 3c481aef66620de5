"""Serving: top-k from a loaded artifact, for known users, new users and new movies.

Reads are lock-free: the item index (ids, embedding matrix, normalised copy) is one immutable
snapshot object, replaced wholesale by :meth:`Recommender.add_items`, so a request thread sees
either the old or the new catalogue, never half of each. The user tower (a torch module) runs
under a lock: it is sub-millisecond, and torch gives no guarantee for concurrent forward calls
on modules with buffers. Matrices derived from the frozen weights are computed once at load
time (:mod:`recsys.serving.frozen`), so a request runs one small tower pass.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch
from torch import nn

from recsys.constants import LIKED_STARS
from recsys.data.interactions import IdMap
from recsys.features.builder import FeatureBuilder
from recsys.features.items import genre_vector
from recsys.features.schema import ItemContent, UserQuery
from recsys.models.ranker import RankerConfig, TwoTowerRanker, upgrade_state_dict
from recsys.serving.artifact import ArtifactContents, ArtifactError, read_artifact
from recsys.serving.calibration import MatchCalibration
from recsys.serving.committee import FusedUserTowers, can_fuse_user_towers
from recsys.serving.frozen import (
    FrozenArrays,
    FrozenArraysMismatch,
    FrozenIntegrator,
    part,
    prefixed,
)
from recsys.serving.taste import (
    DEFAULT_TASTE,
    TasteSettings,
    genre_led_ranking,
    genre_share,
    rating_spikes,
    standardise,
    taste_from_dict,
    with_fresh_places,
)


class _Taste(NamedTuple):
    """One person's taste scores (standardised), the evidence of their ratings (Σ |spike|),
    and the readout inputs behind them: rated positions and their spike amplitudes."""

    scores: np.ndarray
    evidence: float
    rated: np.ndarray
    spikes: np.ndarray


class Scored(NamedTuple):
    movie_id: int
    score: float
    #: Why the movie holds its place: ``"score"`` (the person's taste score), ``"genre"`` (a
    #: place led by their favourite genres) or ``"fresh"`` (a place kept for new movies).
    placed_by: str = "score"


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    """L2-normalised rows without the bias column, for cosine similarity."""
    vectors = matrix[:, :-1]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit = np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)
    return np.ascontiguousarray(unit)


@dataclass(frozen=True)
class _ItemIndex:
    """One consistent view of the catalogue: the training movies first, then those added since.

    ``cold`` holds every movie's vector from its content alone (no id, no ratings): the only
    vector a movie added after training has, and what finds its content neighbours. Movies with
    little evidence (``borrowers``: every movie added since training, and training movies with
    few ratings) borrow from their nearest well-rated training movies by content
    (``neighbours``/``weights``, one row per borrower), in the proportion ``borrow_share``
    (1 for a movie nobody rated): their scores (:meth:`Recommender._borrow`) and, for
    similarity, their embeddings (``unit``).
    """

    id_map: IdMap
    matrix: np.ndarray  # (n, width), last column = bias (see RankerConfig.embedding_width)
    unit: np.ndarray  # (n, width - 1) L2-normalised embeddings without the bias, for similarity
    cold: np.ndarray  # (n, width) content-only vectors
    cold_unit: np.ndarray  # (n, width - 1) their normalised copies
    n_trained: int  # rows before this one are the training catalogue
    borrowers: np.ndarray  # positions of the movies that borrow, ascending
    borrow_share: np.ndarray  # (len(borrowers),) share of their score that is borrowed
    neighbours: np.ndarray  # (len(borrowers), ≤ CONTENT_NEIGHBOURS) lender positions
    weights: np.ndarray  # the same shape, each row summing to 1
    mean_cosine: float  # mean and spread of the cosine between two movies' embeddings
    cosine_sd: float

    @classmethod
    def build(
        cls,
        ids: np.ndarray,
        matrix: np.ndarray,
        cold: np.ndarray,
        n_trained: int,
        genres: np.ndarray,
        rating_floor: np.ndarray,
        borrow_below: int,
    ) -> _ItemIndex:
        """``genres``: the (n, n_genres) multi-hot of the same movies, row for row;
        ``rating_floor``: at least how many training ratings each training movie had."""
        n = len(ids)
        # A training movie without content (a synthetic benchmark catalogue) neither borrows
        # nor lends: it counts as well-rated and has no content vector to be compared by.
        ratings = np.full(n, np.inf)
        ratings[n_trained:] = 0.0
        known = min(n_trained, len(rating_floor))
        ratings[:known] = rating_floor[:known]
        share = np.ones(n, dtype=np.float64)
        share[:n_trained] = (
            borrow_below / (borrow_below + ratings[:n_trained]) if borrow_below else 0
        )
        is_lender = (np.arange(n) < n_trained) & (np.arange(n) < len(cold))
        is_lender &= ratings >= borrow_below
        borrowers = np.flatnonzero(~is_lender & (share > 0))
        if not is_lender.any():  # a tiny catalogue: every training movie lends
            is_lender = np.arange(n) < n_trained
            borrowers = np.arange(n_trained, n)
        lenders = np.flatnonzero(is_lender)
        cold_unit = _unit_rows(cold)
        genres = genres[:n]
        nearest, weights = content_neighbours(
            cold_unit[borrowers],
            cold_unit[lenders],
            genres[borrowers] @ genres[lenders].T > 0,
        )
        neighbours = lenders[nearest]
        unit = _unit_rows(matrix)
        if len(borrowers) and neighbours.shape[1]:
            borrowed = (unit[neighbours] * weights[..., None]).sum(1)
            part = share[borrowers, None]
            unit[borrowers] = _normalised((1 - part) * unit[borrowers] + part * borrowed)
        rng = np.random.default_rng(0)
        cosines = (
            unit[rng.permutation(n)[:COSINE_SAMPLE]] @ unit[rng.permutation(n)[:COSINE_SAMPLE]].T
        )
        return cls(
            IdMap(ids),
            np.ascontiguousarray(matrix),
            unit,
            np.ascontiguousarray(cold),
            cold_unit,
            n_trained,
            borrowers,
            share[borrowers],
            neighbours,
            weights,
            float(cosines.mean()) if cosines.size else 0.0,
            float(cosines.std()) if cosines.size and cosines.std() > 0 else 1.0,
        )

    def borrows(self, position: int) -> bool:
        """Whether a movie's similarities are better read from its content than its embedding:
        it was added after training or most of its score is borrowed."""
        where = np.searchsorted(self.borrowers, position)
        found = where < len(self.borrowers) and self.borrowers[where] == position
        return bool(found and self.borrow_share[where] >= 0.5)


def _normalised(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)


#: A liked movie is named as a pick's reason only when its term is at least this share of all
#: the positive terms of the pick's readout (:meth:`Recommender.because_of`).
REASON_MIN_SHARE = 0.1
#: Two samples of this many movies, whose cosines estimate the mean and spread of a cosine
#: between two movies' embeddings (all of them for a catalogue this small).
COSINE_SAMPLE = 512
#: How many training movies a movie added after training borrows its score from.
CONTENT_NEIGHBOURS = 10


def genre_sharing_first(cosines: np.ndarray, shares_genre: np.ndarray) -> np.ndarray:
    """Cosine similarities ranked so every genre-sharing movie comes before any other (cosines
    lie in [-1, 1], so adding 2 lifts a sharing movie above all the rest)."""
    return cosines + 2.0 * shares_genre


def content_neighbours(
    new_unit: np.ndarray,
    trained_unit: np.ndarray,
    shares_genre: np.ndarray,
    k: int = CONTENT_NEIGHBOURS,
) -> tuple[np.ndarray, np.ndarray]:
    """For each new movie, its ``k`` most similar training movies by content (cosine of
    content-only vectors), those sharing one of its genres first (``shares_genre``: new ×
    trained booleans), and weights proportional to the positive similarities."""
    k = min(k, len(trained_unit))
    if len(new_unit) == 0 or k == 0:
        return np.zeros((len(new_unit), 0), np.int64), np.zeros((len(new_unit), 0), np.float32)
    similarity = new_unit @ trained_unit.T
    nearest = np.argsort(-genre_sharing_first(similarity, shares_genre), axis=1, kind="stable")
    nearest = nearest[:, :k]
    weights = np.clip(np.take_along_axis(similarity, nearest, axis=1), 0.0, None)
    totals = weights.sum(1, keepdims=True)
    weights = np.where(totals > 0, weights / np.where(totals > 0, totals, 1.0), 1.0 / k)
    return nearest.astype(np.int64), weights.astype(np.float32)


def top_k_excluding(scores: np.ndarray, excluded: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k best scores, best first, skipping ``excluded`` indices; ties go to the
    lower index, so a top-k is always the head of a top-(k+1)."""
    excluded = np.unique(excluded)
    negated = -scores  # a fresh array, so masking never touches the caller's scores
    negated[excluded] = np.inf
    k = min(k, len(scores) - len(excluded))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    if k < len(scores):
        # Everything tied with the k-th best joins, or which tied index wins would vary with k.
        kth = negated[np.argpartition(negated, k - 1)[k - 1]]
        candidates = np.flatnonzero(negated <= kth)
    else:
        candidates = np.arange(len(scores))
    order = np.lexsort((candidates, negated[candidates]))
    return candidates[order][:k]


def frozen_parts(
    model: TwoTowerRanker, stored: FrozenArrays | None = None
) -> tuple[FrozenIntegrator, FusedUserTowers | partial]:
    """What a request runs instead of the modules: the item towers' frozen integration, and
    the user vector function (fused user towers, or the model's own over frozen integration).

    The weights never change while serving: their derived matrices are built once, and only
    for the towers that use them (fused user towers hold their own). ``stored`` holds them
    already built (:func:`frozen_arrays`; an artifact's mapped ``serving/`` files)."""
    if can_fuse_user_towers(model):
        items = nn.ModuleList(p.item_tower for p in model.members)
        integrate = FrozenIntegrator(items, part(stored, "item."))
        return integrate, FusedUserTowers(model, part(stored, "user."))
    integrate = FrozenIntegrator(model, part(stored, "model."))
    return integrate, partial(model.user_embeddings, integrate=integrate)


def frozen_arrays(model: TwoTowerRanker) -> dict[str, np.ndarray]:
    """Every matrix :func:`frozen_parts` derives from the weights, by name: what an artifact
    stores so that web processes map them instead of each computing a private copy."""
    integrate, embed_user = frozen_parts(model)
    if isinstance(embed_user, FusedUserTowers):
        return {
            **prefixed(integrate.arrays(), "item."),
            **prefixed(embed_user.arrays(), "user."),
        }
    return prefixed(integrate.arrays(), "model.")


class Recommender:
    def __init__(
        self,
        model: TwoTowerRanker,
        builder: FeatureBuilder,
        item_ids: np.ndarray,
        item_embeddings: np.ndarray,
        version_info: dict[str, Any],
        calibration: MatchCalibration | None = None,
        taste: TasteSettings = DEFAULT_TASTE,
        frozen: FrozenArrays | None = None,
    ) -> None:
        self.model = model.eval()
        self.calibration = calibration
        self.taste = taste
        self._fresh_ids: frozenset[int] = frozenset()
        self._integrate, self._embed_user = frozen_parts(model, frozen)
        self.builder = builder
        self.version_info = version_info
        self._model_lock = threading.Lock()
        self._write_lock = threading.Lock()
        cold = self._embed_rows(builder.item_rows(with_ids=False))
        self._index = self._build_index(item_ids, item_embeddings, cold, len(item_ids))

    def _build_index(
        self, ids: np.ndarray, matrix: np.ndarray, cold: np.ndarray, n_trained: int
    ) -> _ItemIndex:
        return _ItemIndex.build(
            ids,
            matrix,
            cold,
            n_trained,
            self.builder.item_genres,
            self.builder.rating_floor(),
            self.taste.borrow_below,
        )

    # ------------------------------------------------------------------ queries

    def has_item(self, movie_id: int) -> bool:
        return movie_id in self._index.id_map

    def positions_of(self, movie_ids: Iterable[int]) -> np.ndarray:
        """Rows of known movies in :meth:`taste_scores` (unknown ids dropped)."""
        return self._index.id_map.indices_of(movie_ids)

    @property
    def n_items(self) -> int:
        return len(self._index.id_map)

    def user_vector(self, query: UserQuery, index: _ItemIndex | None = None) -> np.ndarray:
        index = index or self._index
        row = self.builder.user_row(query, index.id_map)
        if isinstance(self._embed_user, FusedUserTowers):
            # NumPy over frozen copies: no torch state is touched, so no lock either.
            return self._embed_user.one(row)
        with self._model_lock, torch.inference_mode():
            x = torch.from_numpy(row[None, :])
            return self._embed_user(x)[0].numpy()

    def recommend(
        self,
        query: UserQuery,
        k: int = 10,
        exclude: Iterable[int] = (),
        offset: int = 0,
        genres: Sequence[str] = (),
    ) -> list[Scored]:
        """Movies ``offset`` to ``offset + k`` of the ranking for anyone: a known user, a new one,
        or someone who just rated more.

        Rated, dismissed (``query.not_interested``) and ``exclude``d movies never appear;
        ``genres``, when given, keeps only movies of at least one of them (the picks page's
        filter). Pages of one query are slices of one ranking, so page 2 follows page 1 without
        overlap. The ranking is :meth:`taste_scores`, with a share of the places led by the
        favourite genres in turn and a fresh place for new movies (:mod:`recsys.serving.taste`);
        the scores returned are the taste scores (standard deviations above the person's mean)."""
        if k < 0 or offset < 0:
            raise ValueError(f"k and offset must be >= 0, got k={k}, offset={offset}")
        index = self._index
        taste = self._taste(index, query)
        scores = taste.scores
        excluded = [index.id_map.indices_of(query.ratings.keys()), index.id_map.indices_of(exclude)]
        excluded.append(index.id_map.indices_of(query.not_interested))
        item_genres = self.builder.item_genres[: len(scores)]
        if genres:
            excluded.append(np.flatnonzero((item_genres @ genre_vector(genres)) == 0))
        excluded = np.concatenate(excluded)
        fresh = self._fresh_for(index, scores, excluded)
        favourites = genre_vector(query.favourite_genres) > 0
        wanted = offset + k
        ranked, led = genre_led_ranking(
            scores,
            item_genres[:, favourites] > 0,
            genre_share(taste.evidence, self.taste),
            excluded,
            wanted + wanted // self.taste.fresh_every + 1,
        )
        positions, is_fresh = with_fresh_places(ranked, fresh, self.taste, wanted)
        led_at = dict(zip(ranked.tolist(), led.tolist(), strict=True))
        return [
            Scored(
                int(index.id_map.ids[p]),
                float(scores[p]),
                "fresh" if new else ("genre" if led_at.get(int(p)) else "score"),
            )
            for p, new in zip(positions[offset:], is_fresh[offset:], strict=True)
        ]

    def _fresh_for(self, index: _ItemIndex, scores: np.ndarray, excluded: np.ndarray) -> np.ndarray:
        """Fresh movies (added since training, or marked by :meth:`mark_fresh`) not excluded
        whose taste score for this person is at least ``fresh_min_score``, best first: what the
        fresh places show (:func:`~recsys.serving.taste.with_fresh_places`)."""
        fresh = np.zeros(len(scores), dtype=bool)
        fresh[index.n_trained :] = True
        fresh[index.id_map.indices_of(self._fresh_ids)] = True
        fresh[excluded] = False
        fresh &= scores >= self.taste.fresh_min_score
        positions = np.flatnonzero(fresh)
        return positions[np.argsort(-scores[positions], kind="stable")]

    def mark_fresh(self, movie_ids: Iterable[int]) -> None:
        """Movies the site knows are new to its visitors (uploads nobody has rated yet), beside
        those added since training: they compete for the fresh places. Replaces the last set."""
        self._fresh_ids = frozenset(int(m) for m in movie_ids)

    def taste_scores(self, query: UserQuery) -> np.ndarray:
        """The person's served score of every indexed movie, before the genre-led places, in
        standard deviations above their mean (:mod:`recsys.serving.taste`)."""
        return self._taste(self._index, query).scores

    def _taste(self, index: _ItemIndex, query: UserQuery) -> _Taste:
        settings = self.taste
        watched = {m: r for m, r in query.ratings.items() if r >= settings.bag_min_stars}
        scores = index.matrix @ self.user_vector(replace(query, ratings=watched), index)
        ids, spikes = rating_spikes(query.ratings, query.not_interested, settings)
        evidence = float(np.abs(spikes).sum())
        known = np.array([m in index.id_map for m in ids.tolist()], dtype=bool)
        rated, spikes = index.id_map.indices_of(ids[known]), spikes[known]
        self._add_corating(scores, rated, spikes)
        self._borrow(index, scores, trained_too=True)
        return _Taste(standardise(scores, index.n_trained), evidence, rated, spikes)

    def match_scores(self, query: UserQuery) -> np.ndarray:
        """What the predicted match calibrates: :meth:`taste_scores` plus the person's
        resemblance to each movie (``match_similarity_weight``, :mod:`recsys.serving.taste`),
        standardised again."""
        index = self._index
        taste = self._taste(index, query)
        weight = self.taste.match_similarity_weight
        size = float(np.abs(taste.spikes).sum())
        if weight == 0 or size == 0:
            return taste.scores
        cosines = (index.unit[taste.rated] @ index.unit.T - index.mean_cosine) / index.cosine_sd
        resemblance = (taste.spikes.astype(np.float64)[:, None] * cosines).sum(0) / size
        return standardise(taste.scores + weight * resemblance, index.n_trained)

    def _model_scores(
        self, index: _ItemIndex, query: UserQuery, rated: np.ndarray | None = None
    ) -> np.ndarray:
        """The model's score of every indexed movie for this person (before any steering);
        ``rated`` is the query's rated movies' indices when the caller already looked them up."""
        if rated is None:
            rated = index.id_map.indices_of(query.ratings.keys())
        scores = index.matrix @ self.user_vector(query, index)
        self._add_corating(scores, rated)
        self._borrow(index, scores, trained_too=False)
        return scores

    def score_queries(self, queries: Sequence[UserQuery]) -> np.ndarray:
        """(len(queries), n_items) scores over the current catalogue, nothing masked and no
        genre steering: the model contract's ``QueryScorer`` (:mod:`recsys.models.contract`),
        as fitted in training."""
        index = self._index
        return np.stack([self._model_scores(index, query) for query in queries])

    def match_probabilities(self, query: UserQuery, movie_ids: Iterable[int]) -> dict[int, float]:
        """P(this person rates the movie ≥ 4 stars) for each known movie, from the artifact's
        calibration (:mod:`recsys.serving.calibration`); empty when it has none."""
        if self.calibration is None:
            return {}
        index = self._index
        known = [int(m) for m in movie_ids if int(m) in index.id_map]
        if not known:
            return {}
        if self.calibration.on_taste_scores:
            scores = self.match_scores(query)
        else:  # an artifact calibrated before taste scores: its map reads the raw model score
            scores = self._model_scores(index, query)
        probabilities = self.calibration.probability(scores[index.id_map.indices_of(known)])
        return dict(zip(known, probabilities.tolist(), strict=True))

    def _add_corating(
        self, scores: np.ndarray, rated: np.ndarray, spikes: np.ndarray | None = None
    ) -> None:
        """Add the co-rating readout of the rated movies' spikes (amplitude 1 each unless
        ``spikes`` says otherwise), in place. It covers the training catalogue, which comes
        first in the index (new movies are appended)."""
        corating = self.model.corating
        if corating is not None:
            scores[: corating.n_items] += corating.scores_for(rated, spikes)

    def _borrow(self, index: _ItemIndex, scores: np.ndarray, trained_too: bool) -> None:
        """Score movies with little evidence from their content neighbours' scores, in place.

        A new movie's own vector (from content alone) lacks what trained movies' scores carry
        (an id, a popularity, co-rating synapses), so its raw score would sit at the bottom of
        everyone's ranking and an upload would only ever show in the "new" strip; a training
        movie with two ratings is in the same place after a retraining. Their score is instead,
        in proportion ``borrow_share``, the similarity-weighted mean of the scores, for this
        user, of the well-rated training movies closest to them by content: a new Sci-Fi movie
        ranks for a Sci-Fi fan about where that fan's Sci-Fi movies rank (placing it a standard
        deviation above that mean lowered liked-nDCG on validation, docs/recsys.md).
        ``trained_too=False`` borrows for movies added after training only (the model
        contract's scores, as trained)."""
        rows = np.arange(len(index.borrowers))
        if not trained_too:
            rows = rows[index.borrowers >= index.n_trained]
        if len(rows) == 0 or index.neighbours.shape[1] == 0:
            return
        estimate = (scores[index.neighbours[rows]] * index.weights[rows]).sum(1)
        positions = index.borrowers[rows]
        share = index.borrow_share[rows]
        scores[positions] = (1 - share) * scores[positions] + share * estimate

    def similar_items(self, movie_id: int, k: int = 10) -> list[Scored]:
        """Movies whose embeddings point the same way (cosine), the movie itself excluded.

        A movie added after training has no audience yet, so it is compared by content with
        every movie's content-only vector (like with like), and movies sharing one of its genres
        come first: two uploads of one year are close in content without being alike."""
        index = self._index
        if movie_id not in index.id_map:
            raise KeyError(f"unknown movie id {movie_id}")
        position = index.id_map.index_of(movie_id)
        if index.borrows(position):
            genres = self.builder.item_genres[: len(index.id_map)]
            scores = genre_sharing_first(
                index.cold_unit @ index.cold_unit[position], (genres @ genres[position]) > 0
            )
        else:
            scores = index.unit @ index.unit[position]
        return self._scored(index, scores, top_k_excluding(scores, np.array([position]), k))

    def because_of(self, query: UserQuery, movie_ids: Iterable[int]) -> dict[int, int]:
        """For each movie, the rated movie behind it ("because you liked X"), where there is one.

        The reason is a term of the score itself: the co-rating readout neuron of a movie adds,
        for every rated movie, its synapse from that movie times that movie's spike amplitude
        (:mod:`recsys.serving.taste`). X is, among the movies rated at least
        :data:`LIKED_STARS` stars that share a genre with the movie, the one with the largest
        such term, named only when that term is positive and at least
        :data:`REASON_MIN_SHARE` of all the positive terms the movie receives (so X is a real
        part of why it ranks, and like it). A movie that borrows its score (an upload, a movie
        with few ratings) reads the synapses of the movies it borrows from, in the same
        proportion. Movies with no such term are left out (the caller gives a genre or
        popularity reason)."""
        corating = self.model.corating
        index = self._index
        liked_ids = [int(m) for m, r in query.ratings.items() if r >= LIKED_STARS]
        inputs = index.id_map.indices_of(liked_ids)
        inputs = inputs[inputs < (corating.n_items if corating is not None else 0)]
        targets = [int(m) for m in movie_ids if int(m) in index.id_map]
        if corating is None or len(inputs) == 0 or not targets:
            return {}
        ids, spikes = rating_spikes(
            {int(index.id_map.ids[i]): query.ratings[int(index.id_map.ids[i])] for i in inputs},
            (),
            self.taste,
        )
        positions = index.id_map.indices_of(targets)
        synapses = self._synapses_to(index, corating, inputs, positions)
        terms = corating.gain * spikes[:, None] * synapses
        genres = self.builder.item_genres
        alike = (genres[inputs] @ genres[positions].T) > 0
        total = np.clip(terms, 0, None).sum(0)
        named = np.where(alike, terms, -np.inf)
        best = named.argmax(0)
        return {
            movie: int(ids[best[column]])
            for column, movie in enumerate(targets)
            if named[best[column], column] > max(0.0, REASON_MIN_SHARE * total[column])
        }

    def readout_term(self, query: UserQuery, rated_id: int, movie_id: int) -> float:
        """What ``rated_id``'s spike adds to ``movie_id``'s readout for this person (its spike
        amplitude times the synapse, borrowed as the score is): one term of the score; 0 when
        either movie is unknown to the readout."""
        corating = self.model.corating
        index = self._index
        if corating is None or rated_id not in query.ratings:
            return 0.0
        if rated_id not in index.id_map or movie_id not in index.id_map:
            return 0.0
        source = index.id_map.index_of(rated_id)
        if source >= corating.n_items:
            return 0.0
        _, spikes = rating_spikes({rated_id: query.ratings[rated_id]}, (), self.taste)
        synapse = self._synapses_to(
            index, corating, np.array([source]), np.array([index.id_map.index_of(movie_id)])
        )
        return float(corating.gain * spikes[0] * synapse[0, 0])

    @staticmethod
    def _synapses_to(
        index: _ItemIndex, corating: nn.Module, inputs: np.ndarray, positions: np.ndarray
    ) -> np.ndarray:
        """(inputs, positions) synapses from rated movies to each movie's score: its own readout
        neuron's, mixed with those of the movies it borrows from (:meth:`_borrow`)."""
        n = corating.n_items
        own = np.zeros((len(inputs), len(positions)), dtype=np.float64)
        trained = positions < n
        own[:, trained] = corating.synapses_between(inputs, positions[trained])
        rows = np.searchsorted(index.borrowers, positions)
        rows = np.minimum(rows, max(len(index.borrowers) - 1, 0))
        borrows = (len(index.borrowers) > 0) & (index.borrowers[rows] == positions)
        for column in np.flatnonzero(borrows & (index.neighbours.shape[1] > 0)):
            row = rows[column]
            lent = corating.synapses_between(inputs, index.neighbours[row]) @ index.weights[row]
            share = index.borrow_share[row]
            own[:, column] = (1 - share) * own[:, column] + share * lent
        return own

    # ------------------------------------------------------------------ new movies

    def embed_item(self, content: ItemContent) -> np.ndarray:
        """Serving vector (last entry = bias) of a movie from its content alone."""
        row, _, _ = self.builder.new_item_row(content)
        return self._embed_rows(row[None, :])[0]

    def _embed_rows(self, rows: np.ndarray, chunk: int = 512) -> np.ndarray:
        """Item vectors of tower input rows, a chunk at a time (bounded memory)."""
        out = []
        with self._model_lock, torch.inference_mode():
            for start in range(0, len(rows), chunk):
                x = torch.from_numpy(np.ascontiguousarray(rows[start : start + chunk]))
                out.append(self.model.item_embeddings(x, self._integrate).numpy())
        width = self.model.config.embedding_width
        return np.concatenate(out) if out else np.zeros((0, width), np.float32)

    def add_items(self, items: Sequence[tuple[int, ItemContent]]) -> None:
        """Make movies recommendable now; a known id gets its embedding replaced."""
        if not items:
            return
        with self._write_lock:
            index = self._index
            ids = index.id_map.ids.copy()
            matrix = index.matrix.copy()
            cold = index.cold.copy()
            new_ids, new_rows, contents, genres = [], [], [], []
            for movie_id, content in items:
                vector = self.embed_item(content)
                _, content_vector, genre_vector = self.builder.new_item_row(content)
                if movie_id in index.id_map:
                    matrix[index.id_map.index_of(movie_id)] = vector
                    cold[index.id_map.index_of(movie_id)] = vector
                    continue
                new_ids.append(int(movie_id))
                new_rows.append(vector)
                contents.append(content_vector)
                genres.append(genre_vector)
            if new_ids:
                ids = np.concatenate([ids, np.asarray(new_ids, dtype=np.int64)])
                matrix = np.vstack([matrix, np.stack(new_rows)])
                cold = np.vstack([cold, np.stack(new_rows)])
                self.builder.append_items(contents, genres)
            self._index = self._build_index(ids, matrix, cold, index.n_trained)

    @staticmethod
    def _scored(index: _ItemIndex, scores: np.ndarray, positions: np.ndarray) -> list[Scored]:
        return [Scored(int(index.id_map.ids[p]), float(scores[p])) for p in positions]


def _ranker(contents: ArtifactContents) -> tuple[RankerConfig, TwoTowerRanker]:
    """The ranker of artifact contents. Mapped weights become the parameters themselves
    (``assign``) of a model built without storage (``meta``): it reads the shared page cache
    and never holds a private copy, not even of the random initial weights for a moment."""
    config = contents.config
    ranker_config = RankerConfig.from_dict(config["ranker"])
    shape = (int(config["n_user_inputs"]), int(config["n_item_inputs"]), ranker_config)
    if contents.mapped:
        with torch.device("meta"):
            model = TwoTowerRanker(*shape)
    else:
        model = TwoTowerRanker(*shape)
    state = upgrade_state_dict(contents.state_dict)
    model.load_state_dict(state, strict=True, assign=contents.mapped)
    return ranker_config, model


def serving_arrays(contents: ArtifactContents) -> dict[str, np.ndarray]:
    """The frozen matrices of the contents' model (:func:`frozen_arrays`), for writing."""
    try:
        return frozen_arrays(_ranker(contents)[1])
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise ArtifactError(f"artifact does not match this model code: {exc}") from exc


def build_recommender(contents: ArtifactContents) -> Recommender:
    """A recommender from artifact contents; raises :class:`ArtifactError` on any mismatch."""
    config = contents.config
    try:
        builder = FeatureBuilder.from_state(config["features"], contents.feature_arrays)
        ranker_config, model = _ranker(contents)
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise ArtifactError(f"artifact does not match this model code: {exc}") from exc
    if builder.n_user_inputs != model.n_user_inputs or builder.n_item_inputs != model.n_item_inputs:
        raise ArtifactError("artifact's feature settings do not match its model input sizes")
    if len(builder.item_content) != len(contents.item_ids):
        raise ArtifactError(
            f"artifact has content for {len(builder.item_content)} movies but "
            f"{len(contents.item_ids)} movie ids"
        )
    if contents.item_embeddings.shape[1] != ranker_config.embedding_width:
        raise ArtifactError(
            f"item embeddings have {contents.item_embeddings.shape[1]} columns, "
            f"the model's vectors have {ranker_config.embedding_width}"
        )
    try:
        calibration = (
            MatchCalibration.from_dict(config["calibration"]) if "calibration" in config else None
        )
    except ValueError as exc:
        raise ArtifactError(f"artifact's match calibration is unusable: {exc}") from exc
    try:
        taste = taste_from_dict(config.get("taste", {}))
    except (TypeError, ValueError) as exc:
        raise ArtifactError(f"artifact's taste settings are unusable: {exc}") from exc
    version_info = {
        "config": config,
        "metrics": contents.metrics,
        "data_fingerprint": contents.fingerprint,
        "created": contents.created,
    }
    try:
        return Recommender(
            model,
            builder,
            contents.item_ids,
            contents.item_embeddings,
            version_info,
            calibration,
            taste,
            contents.serving_arrays or None,
        )
    except FrozenArraysMismatch as exc:
        raise ArtifactError(f"artifact's serving arrays do not match its weights: {exc}") from exc


def load_recommender(artifact_dir: Path, mapped: bool = True) -> Recommender:
    """Load and validate; never needs the training data. ``mapped`` (the default) reads the
    large arrays as read-only maps of the files (shared by every process on the host);
    ``mapped=False`` reads private copies and derives the frozen matrices, as before."""
    return build_recommender(read_artifact(Path(artifact_dir), mapped=mapped))
