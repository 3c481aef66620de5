"""Tower inputs for users and movies, including the cold-start paths."""

from recsys.features.builder import FeatureBuilder
from recsys.features.items import ItemFeatureSpec
from recsys.features.schema import ItemContent, UserQuery
from recsys.features.users import UserFeatureSpec

__all__ = ["FeatureBuilder", "ItemContent", "ItemFeatureSpec", "UserFeatureSpec", "UserQuery"]
