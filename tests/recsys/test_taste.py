"""The arithmetic of how a visitor's signals combine (recsys.serving.taste), on small arrays."""

from __future__ import annotations

import numpy as np
import pytest

from recsys.serving.taste import (
    TasteSettings,
    genre_led_ranking,
    genre_share,
    rating_spikes,
    standardise,
    with_fresh_places,
)

SETTINGS = TasteSettings()


def test_stars_become_signed_spikes_and_dismissals_count_like_two_stars():
    ids, spikes = rating_spikes({10: 5, 11: 1, 12: 3, 13: 4.5}, {14, 10}, SETTINGS)
    assert ids.tolist() == [10, 11, 12, 13, 14]  # 10 is rated: its rating wins
    one, two, three, four, five = SETTINGS.spikes_by_stars
    np.testing.assert_allclose(
        spikes, [five, one, three, (four + five) / 2, SETTINGS.dismissed_spike]
    )
    assert one < 0 < five and two < 0


def test_the_genre_share_is_whole_without_evidence_and_halves_at_h():
    h = SETTINGS.genre_half_evidence
    assert genre_share(0, SETTINGS) == 1.0
    assert genre_share(h, SETTINGS) == pytest.approx(0.5)
    assert genre_share(10, SETTINGS) < genre_share(1, SETTINGS) < genre_share(0.01, SETTINGS)


def test_standardised_scores_have_mean_zero_and_unit_spread():
    z = standardise(np.array([1.0, 2.0, 3.0, 10.0]))
    assert z.mean() == pytest.approx(0) and z.std() == pytest.approx(1)
    assert standardise(np.array([2.0, 2.0])).tolist() == [0.0, 0.0]


def _genres(*rows: tuple[int, int]) -> np.ndarray:
    return np.array(rows, dtype=bool)


def test_genre_led_places_alternate_between_the_chosen_genres():
    # Movies 0-3 are genre A (scored high), 4-5 genre B (scored low), 6 neither (scored top).
    scores = np.array([9.0, 8.0, 7.0, 6.0, 1.0, 0.5, 10.0])
    in_genres = _genres((1, 0), (1, 0), (1, 0), (1, 0), (0, 1), (0, 1), (0, 0))
    order, led = genre_led_ranking(scores, in_genres, 1.0, np.array([], dtype=int), 4)
    assert order.tolist() == [0, 4, 1, 5] and led.all()
    order, led = genre_led_ranking(scores, in_genres, 0.0, np.array([], dtype=int), 3)
    assert order.tolist() == [6, 0, 1] and not led.any()


def test_half_a_share_leads_every_other_place_and_skips_excluded_movies():
    scores = np.array([9.0, 8.0, 7.0, 1.0, 0.5])
    in_genres = _genres((0,), (0,), (0,), (1,), (1,))
    order, led = genre_led_ranking(scores, in_genres, 0.5, np.array([3]), 4)
    assert order.tolist() == [0, 4, 1, 2]
    assert led.tolist() == [False, True, False, False]  # genre B is spent after movie 4


def test_a_longer_ranking_starts_with_the_shorter_one():
    rng = np.random.default_rng(0)
    scores = rng.normal(size=200)
    in_genres = rng.random((200, 3)) < 0.2
    short, _ = genre_led_ranking(scores, in_genres, 0.3, np.array([5, 7]), 12)
    long, _ = genre_led_ranking(scores, in_genres, 0.3, np.array([5, 7]), 36)
    assert long[:12].tolist() == short.tolist()
    assert len(set(long.tolist())) == 36 and not {5, 7} & set(long.tolist())


def test_fresh_movies_take_the_fresh_place_of_each_block():
    settings = TasteSettings(fresh_every=4, fresh_place=1)
    ranked = np.arange(12)
    merged, fresh = with_fresh_places(ranked, np.array([100, 101]), settings, 10)
    assert merged.tolist() == [0, 100, 1, 2, 3, 101, 4, 5, 6, 7]
    assert fresh.tolist() == [False, True, False, False, False, True] + [False] * 4
    merged, _ = with_fresh_places(ranked, np.array([], dtype=int), settings, 10)
    assert merged.tolist() == list(range(10))


def test_a_fresh_movie_that_ranks_high_keeps_its_own_place():
    settings = TasteSettings(fresh_every=4, fresh_place=2)
    ranked = np.array([7, 1, 2, 3, 4, 5, 6])  # 7 is fresh and ranks first on its own
    merged, fresh = with_fresh_places(ranked, np.array([7, 8]), settings, 6)
    assert merged.tolist() == [7, 1, 8, 2, 3, 4]
    assert fresh.tolist() == [False, False, True, False, False, False]
    longer, _ = with_fresh_places(ranked, np.array([7, 8]), settings, 7)
    assert longer[:6].tolist() == merged.tolist()


def test_settings_refuse_what_cannot_mean_anything():
    with pytest.raises(ValueError):
        TasteSettings(spikes_by_stars=(1.0, 2.0))
    with pytest.raises(ValueError):
        TasteSettings(genre_half_evidence=0)
    with pytest.raises(ValueError):
        TasteSettings(fresh_place=12, fresh_every=12)
