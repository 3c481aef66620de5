"""Visitors' journeys on a trained MovieLens-100K model, measured as a visitor would see them.

``python -m training.recsys visitors --artifact DIR`` prints, for the served recommender, what
the offline metrics cannot see (issue "picks that listen"; docs/recsys.md, *How the signals
combine*):

* a visitor who chose Horror + Sci-Fi, then rated seven animated classics 5 stars: how many of
  the top 12 are animated or children's movies;
* the genre-only Horror + Sci-Fi newcomer: how many of each genre in the top 12;
* "because you liked X" reasons: the share naming a movie rated ≥ 4 whose term in the pick's
  score is positive and that shares a genre with the pick;
* a visitor who rated the seven animated classics 5 and five horror classics 1 star: the mean
  match of their top 12 against the match shown on Scream's page;
* an uploaded horror movie: how many of its 6 similar movies share a genre with it, and whether
  it is in the top 12 of a visitor who chose Horror and rated five horror classics 5 stars.

Movies are named by title and year, so the same journeys run on the site's database (whose
movie ids are its own) as on the MovieLens tables.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from recsys.features.schema import ItemContent, UserQuery
from recsys.serving.calibration import match_percent
from recsys.serving.recommender import Recommender

ANIMATED_CLASSICS = (
    ("Toy Story", 1995),
    ("Aladdin", 1992),
    ("The Lion King", 1994),
    ("Beauty and the Beast", 1991),
    ("Snow White and the Seven Dwarfs", 1937),
    ("Cinderella", 1950),
    ("Pinocchio", 1940),
)
HORROR_CLASSICS = (
    ("The Shining", 1980),
    ("Psycho", 1960),
    ("A Nightmare on Elm Street", 1984),
    ("Night of the Living Dead", 1968),
    ("The Birds", 1963),
)
SLASHER = ("Scream", 1996)
KIDS_GENRES = frozenset({"Animation", "Children's"})
UPLOADED_HORROR = ItemContent(
    title="The Haunting of Hollow Lane",
    year=1998,
    genres=("Horror",),
    description="A family moves into an old house where something stalks them every night.",
)
TOP = 12

#: (title, year) → movie id; raises KeyError for a movie the catalogue lacks.
FindMovie = Callable[[str, int], int]
#: movie id → its genres.
GenresOf = Callable[[int], Sequence[str]]


@dataclass(frozen=True)
class Journeys:
    animated_after_genres: int  # of the top 12
    genre_only_horror: int
    genre_only_scifi: int
    reasons_true: float  # share of "because you liked X" reasons that are true
    reasons_named: int
    top_match: float  # mean match % of the top 12 of the animated-lover who hated horror
    slasher_match: float  # match % on Scream's page for that visitor
    upload_similar_sharing_genre: int  # of 6
    upload_in_horror_fans_top: bool

    def lines(self) -> list[str]:
        return [
            f"genres Horror+Sci-Fi, then 7 animated classics at 5 stars: "
            f"{self.animated_after_genres} of {TOP} animated/children's (target >= 8)",
            f"genre-only Horror+Sci-Fi: {self.genre_only_horror} Horror, "
            f"{self.genre_only_scifi} Sci-Fi of {TOP} (target >= 4 each)",
            f"'because you liked X' reasons true: {self.reasons_true:.1%} of "
            f"{self.reasons_named} (target >= 90%)",
            f"animated 5 + horror 1: top-{TOP} match {self.top_match:.1f}% vs Scream "
            f"{self.slasher_match:.1f}% (gap {self.top_match - self.slasher_match:.1f}, target >= 20)",
            f"uploaded horror movie: {self.upload_similar_sharing_genre} of 6 similar share a genre "
            f"(target >= 5); in a horror fan's top {TOP}: {self.upload_in_horror_fans_top}",
        ]


def run_journeys(
    recommender: Recommender,
    find: FindMovie,
    genres_of: GenresOf,
    reason_people: Sequence[UserQuery] = (),
    upload_id: int = 10**9,
) -> Journeys:
    """Every journey above on ``recommender`` (an upload is added to it: pass a copy you may
    change). ``reason_people`` are extra visitors whose picks' reasons are checked too."""
    animated = {find(t, y): 5.0 for t, y in ANIMATED_CLASSICS}
    horror = [find(t, y) for t, y in HORROR_CLASSICS]
    slasher = find(*SLASHER)

    def kids(movie_id: int) -> bool:
        return bool(KIDS_GENRES & set(genres_of(movie_id)))

    after = UserQuery(favourite_genres=("Horror", "Sci-Fi"), ratings=animated)
    after_top = recommender.recommend(after, k=TOP)
    newcomer_top = recommender.recommend(UserQuery(favourite_genres=("Horror", "Sci-Fi")), k=TOP)

    checked = named = 0
    for person in (after, *reason_people):
        picks = [s.movie_id for s in recommender.recommend(person, k=TOP)]
        for pick, liked in recommender.because_of(person, picks).items():
            named += 1
            checked += reason_is_true(recommender, person, pick, liked, genres_of)

    mixed = UserQuery(ratings={**animated, **{m: 1.0 for m in horror}})
    mixed_top = [s.movie_id for s in recommender.recommend(mixed, k=TOP)]
    matches = recommender.match_probabilities(mixed, [*mixed_top, slasher])
    top_match = float(np.mean([match_percent(matches[m]) for m in mixed_top])) if matches else 0
    slasher_match = float(match_percent(matches[slasher])) if matches else 0

    recommender.add_items([(upload_id, UPLOADED_HORROR)])
    similar = recommender.similar_items(upload_id, k=6)
    sharing = sum(bool(set(UPLOADED_HORROR.genres) & set(genres_of(s.movie_id))) for s in similar)
    fan = UserQuery(favourite_genres=("Horror",), ratings={m: 5.0 for m in horror})
    fan_top = [s.movie_id for s in recommender.recommend(fan, k=TOP)]
    return Journeys(
        animated_after_genres=sum(kids(s.movie_id) for s in after_top),
        genre_only_horror=sum("Horror" in genres_of(s.movie_id) for s in newcomer_top),
        genre_only_scifi=sum("Sci-Fi" in genres_of(s.movie_id) for s in newcomer_top),
        reasons_true=checked / named if named else 1.0,
        reasons_named=named,
        top_match=top_match,
        slasher_match=slasher_match,
        upload_similar_sharing_genre=sharing,
        upload_in_horror_fans_top=upload_id in fan_top,
    )


def reason_is_true(
    recommender: Recommender, person: UserQuery, pick: int, liked: int, genres_of: GenresOf
) -> bool:
    """The reason's definition, checked from outside: X rated ≥ 4, X's term in the pick's
    readout positive, and X sharing a genre with the pick."""
    from recsys.constants import LIKED_STARS

    rated_high = person.ratings.get(liked, 0) >= LIKED_STARS
    shares_genre = bool(set(genres_of(pick)) & set(genres_of(liked)))
    term = recommender.readout_term(person, liked, pick)
    return rated_high and shares_genre and term > 0
