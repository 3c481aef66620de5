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
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch
from torch import nn

from recsys.data.interactions import IdMap
from recsys.features.builder import FeatureBuilder
from recsys.features.items import genre_vector
from recsys.features.schema import ItemContent, UserQuery
from recsys.models.ranker import RankerConfig, TwoTowerRanker, upgrade_state_dict
from recsys.serving.artifact import ArtifactContents, ArtifactError, read_artifact
from recsys.serving.calibration import MatchCalibration
from recsys.serving.committee import FusedUserTowers, can_fuse_user_towers
from recsys.serving.frozen import FrozenIntegrator
from recsys.serving.steering import steer_to_genres


class Scored(NamedTuple):
    movie_id: int
    score: float


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
    vector a movie added after training has, and what finds its content neighbours among the
    training movies (``neighbours``/``weights``, one row per added movie), whose scores it
    borrows (:meth:`Recommender._place_new_items`).
    """

    id_map: IdMap
    matrix: np.ndarray  # (n, width), last column = bias (see RankerConfig.embedding_width)
    unit: np.ndarray  # (n, width - 1) L2-normalised embeddings without the bias, for similarity
    cold: np.ndarray  # (n, width) content-only vectors
    cold_unit: np.ndarray  # (n, width - 1) their normalised copies
    n_trained: int  # rows before this one are the training catalogue
    neighbours: np.ndarray  # (n - n_trained, ≤ CONTENT_NEIGHBOURS) training-movie positions
    weights: np.ndarray  # the same shape, each row summing to 1

    @classmethod
    def build(
        cls,
        ids: np.ndarray,
        matrix: np.ndarray,
        cold: np.ndarray,
        n_trained: int,
        genres: np.ndarray,
    ) -> _ItemIndex:
        """``genres``: the (n, n_genres) multi-hot of the same movies, row for row."""
        cold_unit = _unit_rows(cold)
        neighbours, weights = content_neighbours(
            cold_unit[n_trained:],
            cold_unit[:n_trained],
            genres[n_trained : len(ids)] @ genres[:n_trained].T > 0,
        )
        return cls(
            IdMap(ids),
            np.ascontiguousarray(matrix),
            _unit_rows(matrix),
            np.ascontiguousarray(cold),
            cold_unit,
            n_trained,
            neighbours,
            weights,
        )


#: How many training movies a movie added after training borrows its score from.
CONTENT_NEIGHBOURS = 10
#: Standard deviations of its neighbours' scores a new movie is placed above their mean.
NEW_ITEM_OPTIMISM = 1.0


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


class Recommender:
    def __init__(
        self,
        model: TwoTowerRanker,
        builder: FeatureBuilder,
        item_ids: np.ndarray,
        item_embeddings: np.ndarray,
        version_info: dict[str, Any],
        calibration: MatchCalibration | None = None,
    ) -> None:
        self.model = model.eval()
        self.calibration = calibration
        # The weights never change while serving: build their derived matrices once, and
        # only for the towers that use them (fused user towers hold their own).
        if can_fuse_user_towers(model):
            self._integrate = FrozenIntegrator(nn.ModuleList(p.item_tower for p in model.members))
            self._embed_user = FusedUserTowers(model)
        else:
            self._integrate = FrozenIntegrator(model)
            self._embed_user = partial(model.user_embeddings, integrate=self._integrate)
        self.builder = builder
        self.version_info = version_info
        self._model_lock = threading.Lock()
        self._write_lock = threading.Lock()
        cold = self._embed_rows(builder.item_rows(with_ids=False))
        self._index = _ItemIndex.build(
            item_ids, item_embeddings, cold, len(item_ids), builder.item_genres
        )

    # ------------------------------------------------------------------ queries

    def has_item(self, movie_id: int) -> bool:
        return movie_id in self._index.id_map

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
        overlap. Stated favourite genres steer the ranking (:mod:`recsys.serving.steering`);
        the scores returned are the steered ones."""
        if k < 0 or offset < 0:
            raise ValueError(f"k and offset must be >= 0, got k={k}, offset={offset}")
        index = self._index
        rated = index.id_map.indices_of(query.ratings.keys())
        scores = self._model_scores(index, query, rated)
        scores = steer_to_genres(
            scores, self.builder.item_genres, query.favourite_genres, len(query.ratings)
        )
        excluded = [rated, index.id_map.indices_of(exclude)]
        excluded.append(index.id_map.indices_of(query.not_interested))
        if genres:
            wanted = genre_vector(genres)
            outside = (self.builder.item_genres[: len(scores)] @ wanted) == 0
            excluded.append(np.flatnonzero(outside))
        positions = top_k_excluding(scores, np.concatenate(excluded), offset + k)[offset:]
        return self._scored(index, scores, positions)

    def _model_scores(
        self, index: _ItemIndex, query: UserQuery, rated: np.ndarray | None = None
    ) -> np.ndarray:
        """The model's score of every indexed movie for this person (before any steering);
        ``rated`` is the query's rated movies' indices when the caller already looked them up."""
        if rated is None:
            rated = index.id_map.indices_of(query.ratings.keys())
        scores = index.matrix @ self.user_vector(query, index)
        self._add_corating(scores, rated)
        self._place_new_items(index, scores)
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
        scores = self._model_scores(index, query)[index.id_map.indices_of(known)]
        return dict(zip(known, self.calibration.probability(scores).tolist(), strict=True))

    def _add_corating(self, scores: np.ndarray, rated: np.ndarray) -> None:
        """Add the co-rating readout of the rated movies' spikes, in place. It covers the
        training catalogue, which comes first in the index (new movies are appended)."""
        corating = self.model.corating
        if corating is not None:
            scores[: corating.n_items] += corating.scores_for(rated)

    def _place_new_items(self, index: _ItemIndex, scores: np.ndarray) -> None:
        """Score movies added after training by their content neighbours' scores, in place.

        A new movie's own vector (from content alone) lacks what trained movies' scores carry
        (an id, a popularity, co-rating synapses), so its raw score would sit at the bottom of
        everyone's ranking and an upload would only ever show in the "new" strip. Its score is
        instead the similarity-weighted mean of the scores, for this user, of the training
        movies closest to it by content: a new Sci-Fi movie ranks for a Sci-Fi fan about where
        that fan's Sci-Fi movies rank."""
        if len(scores) <= index.n_trained or index.neighbours.shape[1] == 0:
            return
        borrowed = scores[index.neighbours]
        mean = (borrowed * index.weights).sum(1)
        spread = np.sqrt((np.square(borrowed - mean[:, None]) * index.weights).sum(1))
        scores[index.n_trained :] = mean + NEW_ITEM_OPTIMISM * spread

    def similar_items(self, movie_id: int, k: int = 10) -> list[Scored]:
        """Movies whose embeddings point the same way (cosine), the movie itself excluded.

        A movie added after training has no audience yet, so it is compared by content with
        every movie's content-only vector (like with like), and movies sharing one of its genres
        come first: two uploads of one year are close in content without being alike."""
        index = self._index
        if movie_id not in index.id_map:
            raise KeyError(f"unknown movie id {movie_id}")
        position = index.id_map.index_of(movie_id)
        if position >= index.n_trained:
            genres = self.builder.item_genres[: len(index.id_map)]
            scores = genre_sharing_first(
                index.cold_unit @ index.cold_unit[position], (genres @ genres[position]) > 0
            )
        else:
            scores = index.unit @ index.unit[position]
        return self._scored(index, scores, top_k_excluding(scores, np.array([position]), k))

    def explain(self, movie_id: int, liked_movie_ids: Sequence[int]) -> int | None:
        """The liked movie most similar to ``movie_id`` ("because you liked X"), if any."""
        index = self._index
        if movie_id not in index.id_map:
            return None
        liked = [m for m in liked_movie_ids if m in index.id_map and m != movie_id]
        if not liked:
            return None
        target = index.unit[index.id_map.index_of(movie_id)]
        similarity = index.unit[index.id_map.indices_of(liked)] @ target
        return int(liked[int(np.argmax(similarity))])

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
            self._index = _ItemIndex.build(
                ids, matrix, cold, index.n_trained, self.builder.item_genres
            )

    @staticmethod
    def _scored(index: _ItemIndex, scores: np.ndarray, positions: np.ndarray) -> list[Scored]:
        return [Scored(int(index.id_map.ids[p]), float(scores[p])) for p in positions]


def build_recommender(contents: ArtifactContents) -> Recommender:
    """A recommender from artifact contents; raises :class:`ArtifactError` on any mismatch."""
    config = contents.config
    try:
        ranker_config = RankerConfig.from_dict(config["ranker"])
        builder = FeatureBuilder.from_state(config["features"], contents.feature_arrays)
        model = TwoTowerRanker(
            int(config["n_user_inputs"]), int(config["n_item_inputs"]), ranker_config
        )
        model.load_state_dict(upgrade_state_dict(contents.state_dict), strict=True)
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
    version_info = {
        "config": config,
        "metrics": contents.metrics,
        "data_fingerprint": contents.fingerprint,
        "created": contents.created,
    }
    return Recommender(
        model, builder, contents.item_ids, contents.item_embeddings, version_info, calibration
    )


def load_recommender(artifact_dir: Path) -> Recommender:
    """Load and validate; never needs the training data."""
    return build_recommender(read_artifact(Path(artifact_dir)))
