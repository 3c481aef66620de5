"""Loading a trained artifact and answering recommendation queries (no Django, no training data)."""

from recsys.features.schema import ItemContent, UserQuery
from recsys.serving.artifact import ArtifactContents, ArtifactError, read_artifact, write_artifact
from recsys.serving.recommender import Recommender, Scored, build_recommender, load_recommender

__all__ = [
    "ArtifactContents",
    "ArtifactError",
    "ItemContent",
    "Recommender",
    "Scored",
    "UserQuery",
    "build_recommender",
    "load_recommender",
    "read_artifact",
    "write_artifact",
]
