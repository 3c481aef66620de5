"""Today's picks: the short list of movies the home page recommends to one person, and the
further pages of that ranking ("More picks", optionally within one genre).

The served model ranks movies when one is active; until then (or when it fails) the picks are the
most popular movies in the person's favourite genres, and the page says so. Each pick carries a
one-line reason. Movies the person rated, put on their watchlist or dismissed ("not
interested") are never picked; dismissals also reach the model as evidence against their
neighbours. Computing picks costs a model call, so they are cached per person under a key
that changes whenever their taste changes (a rating added, changed or removed; the watchlist or
the dismissals changed; new favourite genres; profile edits) or another model version starts
serving, and that differs per page and genre: the cache can never show stale picks for those
reasons, and otherwise expires after a few minutes so popularity stays current.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, replace

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.cache import cache
from django.db import connection
from django.db.models import Exists, OuterRef

from recsys.constants import LIKED_STARS
from webapp.accounts.models import Profile
from webapp.catalog.models import Genre, Movie, NotInterested, Rating, WatchlistEntry
from webapp.recommender.serving import ServedModel, model_server

logger = logging.getLogger(__name__)

DEFAULT_PICKS = 12
# "More picks" goes this many pages deep (of DEFAULT_PICKS each); past it the ranking is noise.
MAX_PICK_PAGES = 10
PERSONAL_TTL_SECONDS = 15 * 60
POPULAR_TTL_SECONDS = 5 * 60

FALLBACK_NOTICE_GENRES = (
    "No trained model is serving yet, so these are the most popular movies in your favourite "
    "genres. Personal recommendations appear as soon as a model is active."
)
FALLBACK_NOTICE_ANY = (
    "No trained model is serving yet, so these are the most popular movies overall. "
    "Pick favourite genres in your preferences to narrow them down."
)
ANONYMOUS_NOTICE = "Log in or sign up to get picks chosen for you."


@dataclass(frozen=True)
class PickWindow:
    """Which part of a person's ranking to pick from: a page of it, optionally one genre only."""

    page: int = 1
    genre: str | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.page <= MAX_PICK_PAGES:
            raise ValueError(f"pick pages go from 1 to {MAX_PICK_PAGES}, not {self.page}")

    def offset(self, k: int) -> int:
        return k * (self.page - 1)

    @property
    def genres(self) -> tuple[str, ...]:
        return (self.genre,) if self.genre else ()


FIRST_PAGE = PickWindow()


@dataclass(frozen=True)
class Pick:
    movie: Movie
    reason: str
    # The predicted "NN% match" (percent), when the serving model is calibrated.
    match: int | None = None


@dataclass(frozen=True)
class PickPlan:
    """Which movies to pick and why, by id: small, cacheable, and enough to render later."""

    rows: tuple[tuple[int, str], ...]
    personalised: bool
    model_name: str | None
    notice: str | None
    # Changes whenever what the plan depends on changes; pages may key their own caches on it.
    key: str = ""
    # (movie id, predicted match percent) for the picks the model could judge.
    matches: tuple[tuple[int, int], ...] = ()
    # How many movies could be picked at all (unrated, not kept out, in the genre), for the pages.
    available: int = 0

    @property
    def movie_ids(self) -> list[int]:
        return [movie_id for movie_id, _ in self.rows]


@dataclass(frozen=True)
class Picks:
    rows: list[Pick]
    personalised: bool
    model_name: str | None
    notice: str | None
    key: str = ""


@dataclass(frozen=True)
class Taste:
    """What the picks depend on, read in one query on every page view."""

    user_id: int
    joined: float
    rating_count: int
    # The newest rating time exactly as the database returned it: only compared, never computed.
    last_rated: str
    age: int | None
    gender: str
    occupation: str
    zip_code: str
    favourite_genres: tuple[str, ...]
    # Signed up here and has not finished (or skipped) onboarding yet.
    onboarding_due: bool = False
    # Count and newest date of the watchlist and of the dismissals: any add or removal changes
    # one of them, so a dismissed or watchlisted pick leaves the picks at once.
    watchlist_stamp: str = ""
    dismissed_stamp: str = ""

    def cache_key(self, served: ServedModel | None, k: int, window: PickWindow = FIRST_PAGE) -> str:
        # The item count changes when an upload is embedded, so it can reach picks at once.
        served_part = f"m{served.version_id}.{served.recommender.n_items}" if served else "pop"
        raw = (
            f"{self.user_id}|{self.joined}|{self.rating_count}|{self.last_rated}|{self.age}|"
            f"{self.gender}|{self.occupation}|{self.zip_code}|{','.join(self.favourite_genres)}|"
            f"{self.watchlist_stamp}|{self.dismissed_stamp}|"
            f"{served_part}|{k}|{window.page}|{window.genre or ''}"
        )
        return "picks:v3:" + hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()


def todays_picks(user: AbstractBaseUser | AnonymousUser, k: int = DEFAULT_PICKS) -> Picks:
    """The picks to show this person now, with their movies loaded."""
    return materialise(plan_picks(user, k))


def plan_picks(
    user: AbstractBaseUser | AnonymousUser,
    k: int = DEFAULT_PICKS,
    taste: Taste | None = None,
    window: PickWindow = FIRST_PAGE,
) -> PickPlan:
    """The picks by id, from the cache when nothing they depend on has changed.

    ``taste`` may be passed when the caller has already read it (the home page needs it too).
    ``window`` picks a later page of the ranking, or one genre only ("More picks").
    """
    if not user.is_authenticated:
        # One indexed query, so not cached; the key covers what a card shows, so anything caching
        # on it (the rendered cards) changes as soon as a title, poster or average does.
        movies = Movie.objects.popular()
        if window.genre:
            movies = movies.filter(genres__name=window.genre)
        start = window.offset(k)
        top = list(
            movies.values_list("pk", "title", "year", "poster", "rating_count", "rating_mean")[
                start : start + k
            ]
        )
        digest = hashlib.blake2b(repr((top, window)).encode(), digest_size=16).hexdigest()
        return PickPlan(
            rows=tuple((row[0], "Popular on SpikeLens") for row in top),
            personalised=False,
            model_name=None,
            notice=ANONYMOUS_NOTICE,
            key=f"picks:v1:anonymous:{digest}",
        )

    taste = taste or read_taste(user)
    served = model_server.current()
    key = taste.cache_key(served, k, window)
    plan = cache.get(key)
    if plan is None:
        plan = replace(
            _compute(user, taste, served, k, window),
            key=key,
            available=_available(user, window),
        )
        ttl = PERSONAL_TTL_SECONDS if plan.personalised else POPULAR_TTL_SECONDS
        cache.set(key, plan, ttl)
    return plan


def materialise(plan: PickPlan) -> Picks:
    """Load the planned movies (two queries), skipping any deleted since the plan was made."""
    movies = Movie.objects.with_card_data().in_bulk(plan.movie_ids)
    matches = dict(plan.matches)
    return Picks(
        rows=[
            Pick(movies[movie_id], reason, matches.get(movie_id))
            for movie_id, reason in plan.rows
            if movie_id in movies
        ],
        personalised=plan.personalised,
        model_name=plan.model_name,
        notice=plan.notice,
        key=plan.key,
    )


def read_taste(user: AbstractBaseUser) -> Taste:
    """Profile, favourite genres and a stamp of the person's ratings, watchlist and dismissals,
    in one query.

    Plain SQL because this runs on every home page view and the equivalent ORM query (two
    correlated subqueries and two joins) costs more to build than to run.
    """
    rating = Rating._meta.db_table
    watchlist = WatchlistEntry._meta.db_table
    dismissed = NotInterested._meta.db_table
    profile = Profile._meta.db_table
    favourites = Profile.favourite_genres.through._meta.db_table
    genre = Genre._meta.db_table
    people = user._meta.db_table
    sql = f"""
        SELECT
            (SELECT COUNT(*) FROM {rating} r WHERE r.user_id = u.id),
            (SELECT MAX(r.rated_at) FROM {rating} r WHERE r.user_id = u.id),
            (SELECT COUNT(*) FROM {watchlist} w WHERE w.user_id = u.id),
            (SELECT MAX(w.added_at) FROM {watchlist} w WHERE w.user_id = u.id),
            (SELECT COUNT(*) FROM {dismissed} n WHERE n.user_id = u.id),
            (SELECT MAX(n.created_at) FROM {dismissed} n WHERE n.user_id = u.id),
            p.age, p.gender, p.occupation, p.zip_code, p.onboarded, p.movielens_id, g.name
        FROM {people} u
        LEFT JOIN {profile} p ON p.user_id = u.id
        LEFT JOIN {favourites} f ON f.profile_id = p.id
        LEFT JOIN {genre} g ON g.id = f.genre_id
        WHERE u.id = %s
    """  # table names come from the models; the only parameter is bound
    with connection.cursor() as cursor:
        cursor.execute(sql, [user.pk])
        rows = cursor.fetchall()
    first = rows[0] if rows else (0, None, 0, None, 0, None, None, "", "", "", True, None, None)
    count, last, watch_count, watch_last, dismissed_count, dismissed_last = first[:6]
    age, gender, occupation, zip_code, onboarded, movielens_id = first[6:12]
    return Taste(
        user_id=user.pk,
        joined=user.date_joined.timestamp() if getattr(user, "date_joined", None) else 0.0,
        rating_count=count or 0,
        last_rated=str(last or ""),
        age=age,
        gender=gender or "",
        occupation=occupation or "",
        zip_code=zip_code or "",
        favourite_genres=tuple(sorted({row[-1] for row in rows if row[-1]})),
        onboarding_due=onboarded is not None and not onboarded and movielens_id is None,
        watchlist_stamp=f"{watch_count or 0}@{watch_last or ''}",
        dismissed_stamp=f"{dismissed_count or 0}@{dismissed_last or ''}",
    )


# ---------------------------------------------------------------------------- computing
def _compute(
    user: AbstractBaseUser,
    taste: Taste,
    served: ServedModel | None,
    k: int,
    window: PickWindow = FIRST_PAGE,
) -> PickPlan:
    if served is not None:
        try:
            return _from_model(user, taste, served, k, window)
        except Exception:  # a broken model must not take the home page down
            logger.exception("Model %s failed to recommend; using popularity", served.name)
    return _from_popularity(user, taste, k, window)


def user_query(user: AbstractBaseUser, taste: Taste):
    """The person as the model reads them: profile, favourite genres, current ratings and
    dismissed movies (one query each)."""
    from recsys.serving import UserQuery

    return UserQuery(
        user_id=user.pk,
        age=taste.age,
        gender=taste.gender or None,
        occupation=taste.occupation or None,
        zip_code=taste.zip_code or None,
        favourite_genres=taste.favourite_genres,
        ratings=dict(Rating.objects.filter(user=user).values_list("movie_id", "score")),
        not_interested=frozenset(
            NotInterested.objects.filter(user=user).values_list("movie_id", flat=True)
        ),
    )


def _kept_out(user: AbstractBaseUser, ratings: dict[int, int]) -> set[int]:
    """Movies never picked besides dismissed ones: those rated, and those on the watchlist
    (the person already means to watch them)."""
    watchlisted = WatchlistEntry.objects.filter(user=user).values_list("movie_id", flat=True)
    return {*ratings, *watchlisted}


def _from_model(
    user: AbstractBaseUser,
    taste: Taste,
    served: ServedModel,
    k: int,
    window: PickWindow = FIRST_PAGE,
) -> PickPlan:
    query = user_query(user, taste)
    ratings = query.ratings
    recommender = served.recommender
    # Ask for a few extra in case some recommended ids were deleted from the catalogue since.
    scored = recommender.recommend(
        query,
        k=k + 8,
        exclude=_kept_out(user, ratings),
        offset=window.offset(k),
        genres=window.genres,
    )
    wanted = [int(item.movie_id) for item in scored]
    placed_by = {int(item.movie_id): item.placed_by for item in scored}
    existing = set(Movie.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    chosen = [movie_id for movie_id in wanted if movie_id in existing and movie_id not in ratings][
        :k
    ]

    reasons = pick_reasons(recommender, query, chosen, taste, placed_by)
    rows = list(zip(chosen, reasons, strict=True))
    matches = match_percents(recommender, query, chosen)
    return PickPlan(
        rows=tuple(rows),
        personalised=True,
        model_name=served.name,
        notice=None,
        matches=tuple(matches.items()),
    )


def _from_popularity(
    user: AbstractBaseUser, taste: Taste, k: int, window: PickWindow = FIRST_PAGE
) -> PickPlan:
    """Unrated movies in the favourite genres by popularity, then the most popular of the rest;
    never one on the watchlist or dismissed, and only the window's genre when it names one."""
    in_favourites = Exists(
        Movie.genres.through.objects.filter(
            movie_id=OuterRef("pk"), genre__name__in=taste.favourite_genres
        )
    )
    start = window.offset(k)
    candidates = (
        _candidates(user, window)
        .annotate(in_favourites=in_favourites)
        .order_by("-in_favourites", "-rating_count", "-rating_mean", "title", "pk")
        .prefetch_related("genres")[start : start + k]
    )
    rows: list[tuple[int, str]] = []
    for movie in candidates:
        names = set(movie.genre_names)
        genre = next((g for g in taste.favourite_genres if g in names), window.genre)
        rows.append((movie.pk, f"Popular in {genre}" if genre else "Popular on SpikeLens"))
    notice = FALLBACK_NOTICE_GENRES if taste.favourite_genres else FALLBACK_NOTICE_ANY
    return PickPlan(rows=tuple(rows), personalised=False, model_name=None, notice=notice)


def pick_reasons(
    recommender, query, chosen: list[int], taste: Taste, placed_by: dict[int, str] | None = None
) -> list[str]:
    """One true reason per pick, most specific first (docs/recsys.md, *Reasons*):

    0. a place led by the favourite genres (``placed_by`` "genre") says so: "For fans of G";
       a place kept for new movies ("fresh") starts with "New on SpikeLens";
    1. "Because you liked X": X a liked movie like the pick whose term in the pick's score is
       positive and the largest (:meth:`~recsys.serving.Recommender.because_of`);
    2. "For fans of G": G a favourite genre the movie has;
    3. "You rate G highly": G the genre the movie shares with most of the person's liked movies;
    4. "Popular with people like you": the towers' part of the score, which reads the profile.
    """
    placed_by = placed_by or {}
    because = recommender.because_of(query, chosen)
    titles = dict(Movie.objects.filter(pk__in=set(because.values())).values_list("pk", "title"))
    shared = _favourites_of(chosen, taste.favourite_genres)
    liked_genres = _liked_genre_counts(query.ratings)
    genres_of = _genres_of(chosen) if liked_genres else {}
    reasons = []
    for movie_id in chosen:
        liked_id = because.get(movie_id)
        liked_here = sorted(
            (g for g in genres_of.get(movie_id, ()) if liked_genres.get(g)),
            key=lambda g: (-liked_genres[g], g),
        )
        place = placed_by.get(movie_id, "score")
        if place == "genre" and shared.get(movie_id):
            reason = f"For fans of {', '.join(shared[movie_id][:2])}"
        elif liked_id in titles:
            reason = f"Because you liked {titles[liked_id]}"
        elif shared.get(movie_id):
            reason = f"For fans of {', '.join(shared[movie_id][:2])}"
        elif liked_here:
            reason = f"You rate {liked_here[0]} highly"
        else:
            reason = "Popular with people like you"
        reasons.append(f"New on SpikeLens · {reason}" if place == "fresh" else reason)
    return reasons


def _liked_genre_counts(ratings: dict[int, float]) -> dict[str, int]:
    """How many of the person's liked movies have each genre (one query; none unrated)."""
    liked = [movie_id for movie_id, score in ratings.items() if score >= LIKED_STARS]
    counts: dict[str, int] = {}
    for name in Movie.genres.through.objects.filter(movie_id__in=liked).values_list(
        "genre__name", flat=True
    ):
        counts[name] = counts.get(name, 0) + 1
    return counts


def _genres_of(movie_ids: list[int]) -> dict[int, list[str]]:
    genres: dict[int, list[str]] = {}
    for movie_id, name in Movie.genres.through.objects.filter(movie_id__in=movie_ids).values_list(
        "movie_id", "genre__name"
    ):
        genres.setdefault(movie_id, []).append(name)
    return genres


def _candidates(user: AbstractBaseUser, window: PickWindow):
    """Every movie that may be picked for the person in this window (a queryset, unordered)."""
    movies = (
        Movie.objects.exclude(pk__in=Rating.objects.filter(user=user).values("movie_id"))
        .exclude(pk__in=WatchlistEntry.objects.filter(user=user).values("movie_id"))
        .exclude(pk__in=NotInterested.objects.filter(user=user).values("movie_id"))
    )
    if window.genre:
        movies = movies.filter(genres__name=window.genre)
    return movies


def _available(user: AbstractBaseUser, window: PickWindow) -> int:
    """How many movies the pages of picks could show (one count; computed with the plan)."""
    return _candidates(user, window).count()


def match_percents(recommender, query, movie_ids) -> dict[int, int]:
    """{movie id: the shown "NN% match"}; empty when the model has no calibration."""
    from recsys.serving.calibration import match_percent

    probabilities = recommender.match_probabilities(query, movie_ids)
    return {movie_id: match_percent(p) for movie_id, p in probabilities.items()}


def _favourites_of(movie_ids: list[int], favourites: tuple[str, ...]) -> dict[int, list[str]]:
    """The person's favourite genres each movie has (in their order), so a "for fans of"
    reason only names genres the movie really has. One query; none without favourites."""
    if not favourites or not movie_ids:
        return {}
    shared: dict[int, set[str]] = {}
    for movie_id, name in Movie.genres.through.objects.filter(
        movie_id__in=movie_ids, genre__name__in=favourites
    ).values_list("movie_id", "genre__name"):
        shared.setdefault(movie_id, set()).add(name)
    return {movie_id: [g for g in favourites if g in names] for movie_id, names in shared.items()}
