import numpy as np

from recsys.data.movielens import GENRES
from recsys.features.buckets import age_bucket, hashed_words, popularity_bucket, zip_region
from recsys.features.items import ItemFeatureSpec, genre_vector
from recsys.features.schema import ItemContent, UserQuery
from recsys.features.users import UserFeatureSpec, derive_favourite_genres


def test_buckets_have_an_unknown_slot():
    assert age_bucket(None) == age_bucket(float("nan")) != age_bucket(30)
    assert zip_region("94110") == 9 and zip_region("T8H1B") == zip_region(None) == 10
    assert popularity_bucket(0) == 0 < popularity_bucket(5)
    assert hashed_words("The Matrix", 32) == hashed_words("the  matrix!", 32)


def test_new_movie_content_vector_has_genres_year_and_zero_popularity():
    spec = ItemFeatureSpec(n_text_buckets=8)
    vector = spec.content_vector(ItemContent(title="X", year=1997, genres=("Horror", "Nope")))
    assert vector.shape == (spec.n_content,)
    assert vector[: len(GENRES)].tolist() == genre_vector(("Horror",)).tolist()
    assert vector[: len(GENRES)].sum() == 1


def test_favourites_are_the_most_over_represented_liked_genres():
    share = np.full(len(GENRES), 1 / len(GENRES), dtype=np.float32)
    liked = np.stack([genre_vector(("Horror",)), genre_vector(("Horror", "Comedy"))])
    assert derive_favourite_genres(liked, share)[0] == "Horror"
    assert derive_favourite_genres(liked[:0], share) == ()


def test_user_row_layout_and_unknown_profile():
    spec = UserFeatureSpec(occupations=("artist", "student"), n_items=5)
    row = spec.row(UserQuery(), np.array([1, 3]), np.zeros((2, len(GENRES))), ("Horror",))
    assert row.shape == (spec.n_inputs,)
    assert np.allclose(row[:5], [0, 1 / np.sqrt(2), 0, 1 / np.sqrt(2), 0])
    profile = row[5 : 5 + spec.n_profile]
    for start, stop in spec.profile_groups():
        assert profile[stop - 1] == 1 and profile[start:stop].sum() == 1
