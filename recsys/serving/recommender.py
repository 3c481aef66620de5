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
from recsys.features.schema import ItemContent, UserQuery
from recsys.models.ranker import RankerConfig, TwoTowerRanker, upgrade_state_dict
from recsys.serving.artifact import ArtifactContents, ArtifactError, read_artifact
from recsys.serving.committee import FusedUserTowers, can_fuse_user_towers
from recsys.serving.frozen import FrozenIntegrator


class Scored(NamedTuple):
    movie_id: int
    score: float


@dataclass(frozen=True)
class _ItemIndex:
    """One consistent view of the catalogue."""

    id_map: IdMap
    matrix: np.ndarray  # (n, width), last column = bias (see RankerConfig.embedding_width)
    unit: np.ndarray  # (n, width - 1) L2-normalised embeddings without the bias, for similarity

    @classmethod
    def build(cls, ids: np.ndarray, matrix: np.ndarray) -> _ItemIndex:
        vectors = matrix[:, :-1]
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        unit = np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)
        return cls(IdMap(ids), np.ascontiguousarray(matrix), np.ascontiguousarray(unit))


def top_k_excluding(scores: np.ndarray, excluded: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k best scores, best first, skipping ``excluded`` indices."""
    excluded = np.unique(excluded)
    negated = -scores  # a fresh array, so masking never touches the caller's scores
    negated[excluded] = np.inf
    k = min(k, len(scores) - len(excluded))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    candidates = np.argpartition(negated, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
    order = np.lexsort((candidates, negated[candidates]))
    return candidates[order]


class Recommender:
    def __init__(
        self,
        model: TwoTowerRanker,
        builder: FeatureBuilder,
        item_ids: np.ndarray,
        item_embeddings: np.ndarray,
        version_info: dict[str, Any],
    ) -> None:
        self.model = model.eval()
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
        self._index = _ItemIndex.build(item_ids, item_embeddings)
        self._model_lock = threading.Lock()
        self._write_lock = threading.Lock()

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

    def recommend(self, query: UserQuery, k: int = 10, exclude: Iterable[int] = ()) -> list[Scored]:
        """Top-k movies for anyone: a known user, a new one, or someone who just rated more."""
        index = self._index
        scores = index.matrix @ self.user_vector(query, index)
        rated = index.id_map.indices_of(query.ratings.keys())
        self._add_corating(scores, rated)
        excluded = np.concatenate([rated, index.id_map.indices_of(exclude)])
        return self._scored(index, scores, top_k_excluding(scores, excluded, k))

    def _add_corating(self, scores: np.ndarray, rated: np.ndarray) -> None:
        """Add the co-rating readout of the rated movies' spikes, in place. It covers the
        training catalogue, which comes first in the index (new movies are appended)."""
        corating = self.model.corating
        if corating is not None:
            scores[: corating.n_items] += corating.scores_for(rated)

    def similar_items(self, movie_id: int, k: int = 10) -> list[Scored]:
        """Movies whose embeddings point the same way (cosine), the movie itself excluded."""
        index = self._index
        if movie_id not in index.id_map:
            raise KeyError(f"unknown movie id {movie_id}")
        position = index.id_map.index_of(movie_id)
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
        with self._model_lock, torch.inference_mode():
            x = torch.from_numpy(row[None, :])
            return self.model.item_embeddings(x, self._integrate)[0].numpy()

    def add_items(self, items: Sequence[tuple[int, ItemContent]]) -> None:
        """Make movies recommendable now; a known id gets its embedding replaced."""
        if not items:
            return
        with self._write_lock:
            index = self._index
            ids = index.id_map.ids.copy()
            matrix = index.matrix.copy()
            new_ids, new_rows, contents, genres = [], [], [], []
            for movie_id, content in items:
                vector = self.embed_item(content)
                _, content_vector, genre_vector = self.builder.new_item_row(content)
                if movie_id in index.id_map:
                    matrix[index.id_map.index_of(movie_id)] = vector
                    continue
                new_ids.append(int(movie_id))
                new_rows.append(vector)
                contents.append(content_vector)
                genres.append(genre_vector)
            if new_ids:
                ids = np.concatenate([ids, np.asarray(new_ids, dtype=np.int64)])
                matrix = np.vstack([matrix, np.stack(new_rows)])
                self.builder.append_items(contents, genres)
            self._index = _ItemIndex.build(ids, matrix)

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
    version_info = {
        "config": config,
        "metrics": contents.metrics,
        "data_fingerprint": contents.fingerprint,
        "created": contents.created,
    }
    return Recommender(model, builder, contents.item_ids, contents.item_embeddings, version_info)


def load_recommender(artifact_dir: Path) -> Recommender:
    """Load and validate; never needs the training data."""
    return build_recommender(read_artifact(Path(artifact_dir)))
