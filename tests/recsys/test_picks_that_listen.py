"""What a visitor meets, on the real default model trained on MovieLens-100K (not a toy one):
ratings outweigh stated genres, low ratings push neighbours down, reasons are true, the match
separates, genre-only picks are balanced and an upload reaches its fans."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from recsys.features.schema import ItemContent, UserQuery
from recsys.serving import load_recommender
from recsys.serving.calibration import match_percent
from tests.factories.real_model import movielens, real_artifact, title_index
from training.recsys.visitors import (
    ANIMATED_CLASSICS,
    HORROR_CLASSICS,
    SLASHER,
    UPLOADED_HORROR,
    reason_is_true,
    run_journeys,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def data():
    return movielens()


@pytest.fixture(scope="module")
def artifact():
    return real_artifact()


@pytest.fixture
def recommender(artifact):
    return load_recommender(artifact)


@pytest.fixture(scope="module")
def find(data):
    index = title_index(data.movies)
    return lambda title, year: index[(title, year)]


@pytest.fixture(scope="module")
def genres_of(data):
    genres = dict(zip(data.movies["movie_id"].astype(int), data.movies["genres"], strict=True))
    return lambda movie_id: genres.get(int(movie_id), ())


@pytest.fixture(scope="module")
def people(data):
    """Real MovieLens people as visitors: each with every rating they made (stars included)."""
    ratings = data.ratings
    chosen = sorted(ratings["user_id"].unique())[::19]
    return [
        UserQuery(
            ratings=dict(zip(rows.movie_id.astype(int), rows.rating.astype(float), strict=True))
        )
        for _, rows in ratings[ratings.user_id.isin(chosen)].groupby("user_id")
    ]


@pytest.fixture
def journeys(recommender, find, genres_of, people):
    return run_journeys(recommender, find, genres_of, people)


def test_seven_five_star_animated_classics_outweigh_two_stated_genres(journeys):
    assert journeys.animated_after_genres >= 8


def test_genre_only_picks_hold_each_chosen_genre(journeys):
    assert journeys.genre_only_horror >= 4
    assert journeys.genre_only_scifi >= 4


def test_because_you_liked_reasons_are_true(journeys):
    assert journeys.reasons_named >= 100  # the people above get many named reasons
    assert journeys.reasons_true >= 0.9


def test_the_match_separates_what_you_will_love_from_what_you_hated(journeys):
    assert journeys.top_match >= journeys.slasher_match + 20


def test_an_uploaded_horror_movie_has_horror_neighbours_and_reaches_a_horror_fan(journeys):
    assert journeys.upload_similar_sharing_genre >= 5
    assert journeys.upload_in_horror_fans_top


def test_a_low_rating_pushes_the_movies_co_rated_with_it_down(recommender, find):
    shining = find("The Shining", 1980)
    base = {find(t, y): 5.0 for t, y in ANIMATED_CLASSICS[:3]}
    loved = recommender.taste_scores(UserQuery(ratings={**base, shining: 5.0}))
    hated = recommender.taste_scores(UserQuery(ratings={**base, shining: 1.0}))
    unrated = recommender.taste_scores(UserQuery(ratings=base))
    neighbours = recommender.positions_of(
        [s.movie_id for s in recommender.similar_items(shining, k=10)]
    )
    assert (hated[neighbours] < unrated[neighbours]).mean() >= 0.8
    assert (unrated[neighbours] < loved[neighbours]).mean() >= 0.8


def test_not_interested_hides_the_movie_and_counts_against_its_neighbours(recommender, find):
    base = UserQuery(ratings={find(t, y): 5.0 for t, y in ANIMATED_CLASSICS[:2]})
    first = recommender.recommend(base, k=1)[0].movie_id
    dismissed = replace(base, not_interested=frozenset({first}))
    assert first not in [s.movie_id for s in recommender.recommend(dismissed, k=50)]
    # The movies the dismissed movie's (now inhibitory) spike reaches most strongly.
    readout = recommender.model.corating
    synapses = readout.synapses_between(
        recommender.positions_of([first]), np.arange(readout.n_items)
    )[0]
    reached = np.argsort(-synapses)[:10]
    before = recommender.taste_scores(base)[reached]
    after = recommender.taste_scores(dismissed)[reached]
    assert (after < before).all()


def test_the_genre_share_fades_faster_for_strong_opinions(recommender, find):
    """Evidence is the size of the rating spikes: five 3-star ratings leave the stated genres
    more of the picks than five 5-star ratings do."""
    movies = [find(t, y) for t, y in ANIMATED_CLASSICS[:5]]
    horror = ("Horror",)

    def horror_picks(stars: float) -> int:
        query = UserQuery(favourite_genres=horror, ratings={m: stars for m in movies})
        return sum(s.placed_by == "genre" for s in recommender.recommend(query, k=48))

    assert horror_picks(3.0) > horror_picks(5.0)


def test_pages_continue_one_ranking_without_overlap(recommender, find):
    query = UserQuery(
        favourite_genres=("Comedy",), ratings={find(t, y): 5.0 for t, y in HORROR_CLASSICS}
    )
    first, second = (
        recommender.recommend(query, k=12),
        recommender.recommend(query, k=12, offset=12),
    )
    both = recommender.recommend(query, k=24)
    assert [s.movie_id for s in first + second] == [s.movie_id for s in both]
    comedy = recommender.recommend(query, k=12, genres=("Comedy",))
    assert all("Comedy" in recommender_genres(recommender, s.movie_id) for s in comedy)


def recommender_genres(recommender, movie_id: int) -> set[str]:
    from recsys.data.genres import GENRES

    row = recommender.builder.item_genres[recommender.positions_of([movie_id])[0]]
    return {GENRES[i] for i in np.flatnonzero(row)}


def test_a_trained_movie_nobody_rated_keeps_content_neighbours(recommender, genres_of):
    """After a retraining an upload with no ratings is a training movie with none: its similar
    movies and score still come from its content (its genre's movies), not from an untrained
    id. MovieLens has such movies too (all their ratings fell in the test split)."""
    floor = recommender.builder.rating_floor()
    unrated = recommender.builder.item_ids[floor == 0]
    assert len(unrated) >= 10
    sharing = [
        sum(bool(set(genres_of(m)) & set(genres_of(s.movie_id))) for s in similar)
        for m in unrated[:20]
        if (similar := recommender.similar_items(int(m), k=6))
    ]
    assert np.mean(sharing) >= 5


def test_an_upload_reaches_only_the_visitors_whose_taste_it_matches(recommender, find):
    recommender.add_items([(10**9, UPLOADED_HORROR)])
    kids_fan = UserQuery(ratings={find(t, y): 5.0 for t, y in ANIMATED_CLASSICS})
    assert 10**9 not in [s.movie_id for s in recommender.recommend(kids_fan, k=24)]
    horror_fan = UserQuery(ratings={find(t, y): 5.0 for t, y in HORROR_CLASSICS})
    top = recommender.recommend(horror_fan, k=12)
    assert [s.placed_by for s in top if s.movie_id == 10**9] == ["fresh"]


def test_reason_check_rejects_a_movie_rated_low_or_unlike_the_pick(recommender, find, genres_of):
    """The outside check used above can fail: a 2-star movie, or one sharing no genre."""
    toy, scream = find("Toy Story", 1995), find(*SLASHER)
    low = UserQuery(ratings={toy: 2.0})
    assert not reason_is_true(recommender, low, find("Aladdin", 1992), toy, genres_of)
    high = UserQuery(ratings={toy: 5.0})
    assert not reason_is_true(recommender, high, scream, toy, genres_of)


def test_the_match_is_calibrated_on_the_served_scores(recommender, find):
    assert recommender.calibration is not None and recommender.calibration.on_taste_scores
    query = UserQuery(ratings={find(t, y): 5.0 for t, y in ANIMATED_CLASSICS})
    picks = [s.movie_id for s in recommender.recommend(query, k=12)]
    shown = [match_percent(p) for p in recommender.match_probabilities(query, picks).values()]
    assert len(shown) == 12 and min(shown) >= 55  # top picks read as likely matches


def test_new_content_gets_a_movie_of_its_own_genre_from_the_content_path(recommender):
    content = ItemContent(title="Laugh Riot", year=1997, genres=("Comedy",), description="")
    recommender.add_items([(10**9 + 1, content)])
    similar = recommender.similar_items(10**9 + 1, k=6)
    assert sum("Comedy" in recommender_genres(recommender, s.movie_id) for s in similar) >= 5
