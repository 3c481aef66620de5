"""The training snapshot: everything the site knows, in a fixed order."""

from __future__ import annotations

import pytest

from tests.webapp.catalog_data import make_genres, make_member
from webapp.catalog.models import Movie, Rating
from webapp.recommender.snapshot import take_snapshot

pytestmark = pytest.mark.django_db


def test_snapshot_holds_site_data_ordered_by_id_whatever_the_default_ordering():
    genres = make_genres()
    # Titles run against primary keys, so Movie's default ordering (by title) reverses them.
    movies = [Movie.objects.create(title=f"{letter} film", year=2000) for letter in "ZYXW"]
    movies[0].genres.add(genres["Horror"], genres["Comedy"])
    ada = make_member("ada", genres=[genres["Drama"]])
    bob = make_member("bob")
    for person, movie, score in ((bob, movies[3], 2), (ada, movies[1], 5), (ada, movies[0], 4)):
        Rating.objects.create(user=person, movie=movie, score=score)

    snapshot = take_snapshot()

    assert snapshot.movies["movie_id"].tolist() == sorted(m.pk for m in movies)
    assert snapshot.movies.iloc[0]["genres"] == ("Comedy", "Horror")
    assert snapshot.users["user_id"].is_monotonic_increasing
    assert snapshot.users.set_index("user_id").loc[ada.pk, "favourite_genres"] == ("Drama",)
    pairs = list(zip(snapshot.ratings["user_id"], snapshot.ratings["movie_id"], strict=True))
    assert pairs == sorted(pairs) and len(pairs) == 3
    assert set(snapshot.ratings["rating"]) == {2, 4, 5}
