"""How a visitor's signals combine into the ranking the site serves.

The model is trained on implicit feedback: any rating is a spike, "watched". A visitor means more
by their stars, so serving reads each signal as follows (docs/recsys.md, *How the signals
combine*; every number chosen on the validation split, ``python -m training.recsys taste``):

* **Ratings** are input spikes to the co-rating readout with a *signed amplitude* by stars
  (:attr:`TasteSettings.spikes_by_stars`): a 5 or a 4 excites the readout neurons of the movies
  co-rated with it, a 3 barely, a 2 or a 1 inhibits them, so a low rating pushes its neighbours
  down instead of up. The user tower reads the movies rated 3 or more (its bag means "watched
  and did not dislike").
* **"Not interested"** is a spike of :attr:`TasteSettings.dismissed_spike`, like a 2-star
  rating, and the movie is never shown again.
* **Favourite genres** are a prior. They lead a share of the picks,
  ``h / (h + evidence)`` (:func:`genre_share`), where the evidence is the summed size of the
  rating spikes (a 5 counts 1, a 3 a quarter): all of them before any rating, and fewer as the
  ratings speak, sooner for strong opinions than for lukewarm ones. A genre-led place takes the
  best-scored movie of the next chosen genre in turn (:func:`genre_led_ranking`), so Horror +
  Sci-Fi yields both, not the larger genre's twelve. ``h`` was chosen on simulated visitors
  (docs/recsys.md): with two ratings a small genre share still helped, with ten none did.
* **Movies with little evidence** (uploads, and movies with fewer than
  :attr:`TasteSettings.borrow_below` training ratings) borrow their score from their nearest
  well-rated movies by content: the similarity-weighted mean of those movies' scores for this
  person. A *fresh* movie (added since training, or an upload nobody has rated) that scores half
  a standard deviation above the person's mean or more also gets one place in every twelve
  (:func:`with_fresh_places`): a new movie reaches the people whose taste its content matches,
  and nobody else.

Scores are standardised per person (mean 0, sd 1 over the catalogue); the predicted match is a
calibrated map of this score plus the person's resemblance to the movie
(:attr:`TasteSettings.match_similarity_weight`, :mod:`recsys.serving.calibration`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields

import numpy as np


@dataclass(frozen=True)
class TasteSettings:
    #: Spike amplitude of a movie rated 1, 2, 3, 4, 5 stars (interpolated between).
    spikes_by_stars: tuple[float, float, float, float, float] = (-1.0, -0.5, 0.25, 1.0, 1.0)
    #: Spike amplitude of a movie the person marked "not interested".
    dismissed_spike: float = -0.5
    #: Movies rated at least this many stars enter the user tower's bag.
    bag_min_stars: float = 3.0
    #: The predicted match reads the ranking score plus this weight (in standard deviations)
    #: of the person's *resemblance* to each movie: every rated movie's spike reaching every
    #: movie through the cosine of their item embeddings (centred on the catalogue's mean
    #: cosine), averaged over the rated movies. A 1-star rating then lowers the match of the
    #: movies that resemble it even where nobody co-rated them. Ranking by it lowered
    #: liked-nDCG on validation, so the order does not use it; the match does, as it raised
    #: how well the match separates liked from disliked ratings.
    match_similarity_weight: float = 2.0
    #: Evidence (Σ |spike|) at which the favourite genres lead half of the picks.
    genre_half_evidence: float = 0.1
    #: Training movies with fewer ratings than this borrow from their content neighbours too,
    #: in proportion ``borrow_below / (borrow_below + ratings)``.
    borrow_below: int = 10
    #: One place in every ``fresh_every`` of the ranking (the ``fresh_place``-th, from 0) goes
    #: to the best *fresh* movie (added since training, or marked fresh by the site: uploads
    #: nobody has rated yet) whose score for this person is at least ``fresh_min_score``
    #: standard deviations above their mean: a new movie reaches the people whose taste its
    #: content matches (a product rule: no offline data has uploads to tune it on).
    fresh_every: int = 12
    fresh_place: int = 3
    fresh_min_score: float = 0.5

    def __post_init__(self) -> None:
        if len(self.spikes_by_stars) != 5:
            raise ValueError("spikes_by_stars needs one amplitude per star, 1 to 5")
        if self.genre_half_evidence <= 0:
            raise ValueError("genre_half_evidence must be > 0")
        if self.borrow_below < 0:
            raise ValueError("borrow_below must be >= 0")
        if not 0 <= self.fresh_place < self.fresh_every:
            raise ValueError("fresh_place must lie in [0, fresh_every)")


DEFAULT_TASTE = TasteSettings()


def taste_to_dict(settings: TasteSettings) -> dict:
    return asdict(settings)


def taste_from_dict(data: dict) -> TasteSettings:
    """Settings stored with an artifact (its match was calibrated under them); today's
    defaults for whatever an older artifact does not name."""
    known = {f.name for f in fields(TasteSettings)}
    values = {k: v for k, v in data.items() if k in known}
    if "spikes_by_stars" in values:
        values["spikes_by_stars"] = tuple(float(x) for x in values["spikes_by_stars"])
    return TasteSettings(**values)


def rating_spikes(
    ratings: Mapping[int, float], dismissed: Iterable[int], settings: TasteSettings
) -> tuple[np.ndarray, np.ndarray]:
    """(movie ids, spike amplitudes): every rated movie by its stars, then every dismissed
    movie the person has not rated."""
    ids = [int(m) for m in ratings]
    stars = np.array([float(ratings[m]) for m in ratings], dtype=np.float64)
    amplitudes = list(np.interp(stars, np.arange(1, 6), settings.spikes_by_stars))
    for movie_id in sorted({int(m) for m in dismissed} - set(ids)):
        ids.append(movie_id)
        amplitudes.append(settings.dismissed_spike)
    return np.asarray(ids, dtype=np.int64), np.asarray(amplitudes, dtype=np.float32)


def genre_share(evidence: float, settings: TasteSettings) -> float:
    """The share of the picks the favourite genres lead after ``evidence`` (Σ |spike|) worth
    of ratings: all of them with none, half at ``genre_half_evidence``."""
    half = settings.genre_half_evidence
    return half / (half + max(0.0, float(evidence)))


def standardise(scores: np.ndarray, reference: int | None = None) -> np.ndarray:
    """Scores in standard deviations from this person's mean over the first ``reference``
    movies (all by default; serving passes the training catalogue, so an upload never shifts
    anyone's scores of the movies already there)."""
    scores = np.asarray(scores, dtype=np.float64)
    base = scores[:reference] if reference else scores
    if len(base) == 0:
        return scores
    spread = base.std()
    return (scores - base.mean()) / (spread if spread > 0 else 1.0)


def genre_led_ranking(
    scores: np.ndarray,
    in_genres: np.ndarray,
    share: float,
    excluded: np.ndarray,
    n: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The ``n`` best positions, best first, when a ``share`` of the places are led by the
    favourite genres (``in_genres``: the (movies, favourite genres) boolean matrix), and
    whether each place was genre-led (its reason is the genre, not the score).

    Place ``j`` is genre-led when ``floor((j + 1)·share)`` passes a whole number (so the led
    places are spread evenly: every place at share 1, every other at 0.5); a led place takes
    the best-scored movie not yet placed of the next favourite genre in turn (round-robin, so
    each chosen genre gets its turns, whatever the sizes of the genres), the other places the
    best-scored movie overall. A longer ranking always starts with the shorter one, so pages
    are slices of one list.
    """
    scores = np.asarray(scores, dtype=np.float64)
    available = np.ones(len(scores), dtype=bool)
    available[np.asarray(excluded, dtype=np.int64)] = False
    n = min(n, int(available.sum()))
    # Each stream gives at most n places and skips at most n taken by the others, so its best
    # 2n movies are all it can need (no full sort of a large catalogue).
    candidates = np.flatnonzero(available)
    streams = [_best(candidates, scores, 2 * n)] + [
        _best(candidates[in_genres[candidates, g]], scores, 2 * n)
        for g in range(in_genres.shape[1])
    ]
    cursors = [0] * len(streams)
    picks: list[int] = []
    led_by_genre: list[bool] = []
    turn = 0
    for place in range(n):
        led = in_genres.shape[1] > 0 and int((place + 1) * share) > int(place * share)
        candidates = [1 + (turn + g) % (len(streams) - 1) for g in range(len(streams) - 1)]
        if led:
            turn += 1
        for stream in (candidates if led else []) + [0]:
            position = _next_available(streams[stream], cursors, stream, available)
            if position >= 0:
                break
        picks.append(position)
        led_by_genre.append(stream != 0)
        available[position] = False
    return np.asarray(picks, dtype=np.int64), np.asarray(led_by_genre, dtype=bool)


def with_fresh_places(
    ranked: np.ndarray, fresh: np.ndarray, settings: TasteSettings, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """The first ``n`` places: the fresh place of each block of ``fresh_every`` goes to the
    best ``fresh`` movie not placed yet (while there is one), every other place to the next
    movie of ``ranked`` not placed yet; and which places were fresh ones. A fresh movie that
    ranks high on its own keeps its own place. ``ranked`` must hold at least
    ``n + n // fresh_every + 1`` movies (or all there are); the process is sequential, so a
    longer list starts with the shorter one and pages stay slices of one list."""
    placed: set[int] = set()
    out, is_fresh = [], []
    fresh_left, ranked_left = list(fresh.tolist()), iter(ranked.tolist())
    for place in range(n):
        movie = None
        if place % settings.fresh_every == settings.fresh_place:
            while fresh_left and fresh_left[0] in placed:
                fresh_left.pop(0)
            movie = fresh_left.pop(0) if fresh_left else None
        took_fresh = movie is not None
        while movie is None:
            candidate = next(ranked_left, None)
            if candidate is None:
                break
            movie = None if candidate in placed else candidate
        if movie is None:
            break
        placed.add(movie)
        out.append(movie)
        is_fresh.append(took_fresh)
    return np.asarray(out, dtype=np.int64), np.asarray(is_fresh, dtype=bool)


def _best(positions: np.ndarray, scores: np.ndarray, m: int) -> np.ndarray:
    """The ``m`` best-scored of ``positions``, best first, ties to the lower position (so a
    larger ``m`` gives a list that starts with the smaller one's)."""
    if len(positions) > m > 0:
        values = scores[positions]
        kth = np.partition(-values, m - 1)[m - 1]
        positions = positions[-values <= kth]  # every movie tied with the m-th stays in
    order = np.lexsort((positions, -scores[positions]))
    return positions[order][:m] if m > 0 else positions[:0]


def _next_available(
    stream: np.ndarray, cursors: list[int], which: int, available: np.ndarray
) -> int:
    """The stream's first movie not placed yet (advancing its cursor), or -1 when spent."""
    cursor = cursors[which]
    while cursor < len(stream) and not available[stream[cursor]]:
        cursor += 1
    cursors[which] = cursor
    return int(stream[cursor]) if cursor < len(stream) else -1
