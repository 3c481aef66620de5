"""Catalogue pages: browse and search, the movie page, rating and uploading, and the visitor's
own lists (my ratings, watchlist, "not interested").

Views stay thin: they read input through forms, call the domain functions in
``webapp.catalog.services`` and pick a response. Every refusal is a page (or JSON for scripts)
that says what was wrong; nothing here lets bad input reach the database.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from webapp.catalog.descriptions import describe
from webapp.catalog.forms import BrowseForm, MovieUploadForm, MyRatingsForm, RatingForm
from webapp.catalog.generated_posters import poster_etag, poster_svg
from webapp.catalog.match import predicted_matches
from webapp.catalog.models import Movie, NotInterested, Rating, WatchlistEntry
from webapp.catalog.paging import paginate
from webapp.catalog.recommendable import can_be_recommended
from webapp.catalog.search import search_titles
from webapp.catalog.services import (
    DuplicateMovieError,
    add_to_watchlist,
    clear_not_interested,
    find_duplicate,
    mark_not_interested,
    rate_movie,
    remove_from_watchlist,
    remove_rating,
    restore_rating,
    upload_movie,
)
from webapp.catalog.similar import similar_movies
from webapp.catalog.undo import (
    UNDO_WINDOW,
    RemovedRating,
    offer_dismissal_undo,
    pending_removal,
    pending_removals,
    remember_removal,
    take_removal,
)
from webapp.catalog.visitor import user_scores, user_watchlist

BROWSE_PAGE_SIZE = 24
MY_RATINGS_PAGE_SIZE = 24
WATCHLIST_PAGE_SIZE = 24
# Dismissed movies listed under "My ratings" (the newest; "Show all again" clears every one).
DISMISSED_SHOWN = 24
RECENT_REVIEWS = 10
# Browsers reuse a generated poster this long, then revalidate it by ETag (a 304 without a body).
GENERATED_POSTER_MAX_AGE_SECONDS = 24 * 60 * 60


@require_safe
def browse(request: HttpRequest) -> HttpResponse:
    form = BrowseForm(request.GET or None)
    movies = Movie.objects.all()
    search = None
    status = 200
    if form.is_bound and not form.is_valid():
        # Unfiltered results under an error would look like an answer to the bad query.
        movies = Movie.objects.none()
        status = 400
    elif form.is_bound:
        movies = _filter(movies, form.cleaned_data)
        if form.cleaned_data.get("q"):
            search = search_titles(movies, form.cleaned_data["q"])
            movies = search.movies
    ordering = form.ordering()
    if search is not None and search.widened and not form.cleaned_data.get("sort"):
        # Close titles are guesses: without a chosen sort, the best guesses come first.
        ordering = search.relevance()
    movies = movies.order_by(*ordering).with_card_data()

    pages = paginate(request, movies, BROWSE_PAGE_SIZE)
    if pages.error:
        status = 404
    query = request.GET.copy()
    query.pop("page", None)
    movies_on_page = pages.items
    context = {
        "form": form,
        "search": search,
        "suggestion_query": _with_query(query, search.suggestion) if search else "",
        # The header's search box repeats the query; the base template never reads request.GET.
        "nav_query": request.GET.get("q", ""),
        **pages.context(),
        "movies": movies_on_page,
        "my_scores": user_scores(request, movies_on_page),
        "my_watchlist": user_watchlist(request, movies_on_page),
    }
    return render(request, "catalog/browse.html", context, status=status)


def _filter(movies, cleaned: dict):
    """Genre and year filters; the title is matched by ``search_titles`` afterwards."""
    if cleaned.get("genre"):
        movies = movies.filter(genres=cleaned["genre"])
    if cleaned.get("year_from") is not None:
        movies = movies.filter(year__gte=cleaned["year_from"])
    if cleaned.get("year_to") is not None:
        movies = movies.filter(year__lte=cleaned["year_to"])
    return movies


def _with_query(query: QueryDict, title_query: str | None) -> str:
    """The same filters with another title query: the link behind "Did you mean …"."""
    if not title_query:
        return ""
    changed = query.copy()
    changed["q"] = title_query
    return changed.urlencode()


@require_safe
def movie_detail(request: HttpRequest, pk: int) -> HttpResponse:
    movie = get_object_or_404(Movie.objects.with_card_data(), pk=pk)
    return _render_movie(request, movie)


@require_safe
def generated_poster(request: HttpRequest, pk: int) -> HttpResponse:
    """The SVG poster drawn from the movie's title, year and genres (for movies without one)."""
    movie = get_object_or_404(Movie.objects.with_card_data(), pk=pk)
    svg = poster_svg(movie.title, movie.year, movie.genre_names)
    etag = poster_etag(svg)
    response = get_conditional_response(request, etag=etag) or HttpResponse(
        svg, content_type="image/svg+xml"
    )
    response["ETag"] = etag
    patch_cache_control(response, public=True, max_age=GENERATED_POSTER_MAX_AGE_SECONDS)
    return response


def _render_movie(
    request: HttpRequest, movie: Movie, rating_form: RatingForm | None = None, status: int = 200
) -> HttpResponse:
    own = undo = None
    if request.user.is_authenticated:
        own = Rating.objects.filter(user=request.user, movie=movie).first()
        if own is None:
            undo = pending_removal(request.session, movie.pk)
    if rating_form is None:
        initial = {"score": own.score, "review": own.review} if own else None
        rating_form = RatingForm(initial=initial)
    reviews = list(
        Rating.objects.filter(movie=movie)
        .exclude(review="")
        .select_related("user")
        .order_by("-rated_at", "-pk")[:RECENT_REVIEWS]
    )
    similar = similar_movies(movie)
    matches = predicted_matches(request.user, [movie.pk, *(other.pk for other in similar)])
    watchlisted = user_watchlist(request, [movie, *similar])
    return render(
        request,
        "catalog/movie_detail.html",
        {
            "movie": movie,
            "movie_match": matches.get(movie.pk),
            "matches": matches,
            "own_rating": own,
            "undo": undo,
            "undo_summary": undo.summary(movie.title) if undo else "",
            "rating_form": rating_form,
            "reviews": reviews,
            "similar": similar,
            "story": describe(movie),
            "my_scores": user_scores(request, similar),
            "on_watchlist": movie.pk in watchlisted,
            "my_watchlist": watchlisted,
        },
        status=status,
    )


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _login_first(request: HttpRequest, message: str, come_back_to: str) -> HttpResponse:
    """An anonymous POST: nothing is stored; the visitor is asked to log in and sent back."""
    if _wants_json(request):
        return JsonResponse({"ok": False, "error": message}, status=401)
    messages.info(request, message)
    return redirect_to_login(come_back_to)


@require_POST
def rate(request: HttpRequest, pk: int) -> HttpResponse:
    movie = get_object_or_404(Movie.objects.with_card_data(), pk=pk)
    if not request.user.is_authenticated:
        return _login_first(request, "Please log in to rate movies.", movie.get_absolute_url())
    form = RatingForm(request.POST)
    if not form.is_valid():
        if _wants_json(request):
            return JsonResponse({"ok": False, "errors": form.errors.get_json_data()}, status=400)
        messages.error(request, "Your rating was not saved: " + _first_error(form))
        return _render_movie(request, movie, rating_form=form, status=400)

    score = form.cleaned_data["score"]
    # A star-only rating from a list keeps the review written earlier on the movie page.
    review = form.cleaned_data["review"]
    if "review" not in request.POST:
        existing = Rating.objects.filter(user=request.user, movie=movie).first()
        review = existing.review if existing else ""
    outcome = rate_movie(request.user, movie, score, review)
    stars = f"{score} star{'s' if score != 1 else ''}"
    if _wants_json(request):
        return JsonResponse(
            {
                "ok": True,
                "score": score,
                "created": outcome.created,
                "rating_count": movie.rating_count,
                "rating_mean": round(movie.rating_mean, 2),
                "message": f"Saved: {stars} for {movie.title}.",
            }
        )
    verb = "rated" if outcome.created else "updated your rating of"
    messages.success(request, f"You {verb} {movie.title}: {stars}.")
    return redirect(_safe_next(request, movie.get_absolute_url()))


@require_POST
def unrate(request: HttpRequest, pk: int) -> HttpResponse:
    movie = get_object_or_404(Movie, pk=pk)
    if not request.user.is_authenticated:
        return _login_first(
            request, "Please log in to manage your ratings.", movie.get_absolute_url()
        )
    removed = remove_rating(request.user, movie)
    if removed is None:
        messages.info(request, f"You had not rated {movie.title}.")
        return redirect(_safe_next(request, movie.get_absolute_url()))
    pending = remember_removal(request.session, removed)
    target = _safe_next(request, movie.get_absolute_url())
    if not _offers_undo(target, movie):
        # The movie page and "My ratings" show the removal with its Undo button; elsewhere a
        # message says where to find it.
        messages.success(request, f"{pending.summary(movie.title)} Undo it on the movie page.")
    return redirect(target)


def _offers_undo(target: str, movie: Movie) -> bool:
    """Whether the page at ``target`` shows a removed rating with its Undo button."""
    path = target.split("?", 1)[0]
    return path in (movie.get_absolute_url(), reverse("mine:ratings"))


@require_POST
def restore(request: HttpRequest, pk: int) -> HttpResponse:
    """Undo: put back the rating removed last from this movie, exactly as it was."""
    movie = get_object_or_404(Movie.objects.with_card_data(), pk=pk)
    if not request.user.is_authenticated:
        return _login_first(
            request, "Please log in to manage your ratings.", movie.get_absolute_url()
        )
    removed = take_removal(request.session, movie.pk, request.POST.get("undo", ""))
    if removed is None:
        messages.error(
            request,
            f"There is nothing to undo for {movie.title}: a removed rating can be put back "
            f"within {int(UNDO_WINDOW.total_seconds() // 60)} minutes, once.",
        )
        return _render_movie(request, movie, status=400)
    # Back where the Undo button was: the movie page, or "My ratings".
    target = _safe_next(request, movie.get_absolute_url())
    if not restore_rating(request.user, movie, removed.score, removed.review, removed.rated_at):
        messages.info(request, f"You have rated {movie.title} again since, so that rating is kept.")
        return redirect(target)
    stars = f"{removed.score} star{'s' if removed.score != 1 else ''}"
    extra = " and your review" if removed.review else ""
    messages.success(request, f"Your rating of {movie.title} is back: {stars}{extra}.")
    return redirect(target)


# ---------------------------------------------------------------------------- my ratings
@login_required
@require_safe
def my_ratings(request: HttpRequest) -> HttpResponse:
    """The movies the visitor rated, with stars and review, each editable and removable here."""
    form = MyRatingsForm(request.GET or None)
    status = 200
    if form.is_bound and not form.is_valid():
        status = 400  # the list still shows, in the default order, under the form's message
    ratings = (
        Rating.objects.filter(user=request.user).select_related("movie").order_by(*form.ordering())
    )
    pages = paginate(request, ratings, MY_RATINGS_PAGE_SIZE, what="your ratings have")
    rows = [(rating, _rating_form_for(rating)) for rating in pages.items]
    dismissed = (
        NotInterested.objects.filter(user=request.user)
        .select_related("movie")
        .order_by("-created_at", "-pk")
    )
    return render(
        request,
        "catalog/my_ratings.html",
        {
            "form": form,
            **pages.context(),
            "rows": rows,
            "removed": _undoable_removals(request),
            "dismissed": list(dismissed[:DISMISSED_SHOWN]),
            "dismissed_count": dismissed.count(),
            "here": request.get_full_path(),
            "nav_current": "ratings",
        },
        status=max(status, pages.status),
    )


def _undoable_removals(request: HttpRequest) -> list[tuple[RemovedRating, str, str]]:
    """(removal, "Your 4-star rating … was removed.", title) for each removal that Undo can
    still put back: not expired, and the movie not rated again since (as on the movie page)."""
    pending = pending_removals(request.session)
    if not pending:
        return []
    titles = dict(
        Movie.objects.filter(pk__in=[entry.movie_id for entry in pending])
        .exclude(ratings__user=request.user)
        .values_list("pk", "title")
    )
    return [
        (entry, entry.summary(titles[entry.movie_id]), titles[entry.movie_id])
        for entry in pending
        if entry.movie_id in titles
    ]


def _rating_form_for(rating: Rating) -> RatingForm:
    """The movie page's rating form, filled in, with ids unique to this row of the list."""
    return RatingForm(
        initial={"score": rating.score, "review": rating.review},
        auto_id=f"id_%s_{rating.movie_id}",
    )


# ---------------------------------------------------------------------------- watchlist
@login_required
@require_safe
def watchlist(request: HttpRequest) -> HttpResponse:
    """The visitor's watchlist, newest first."""
    entries = WatchlistEntry.objects.filter(user=request.user).order_by("-added_at", "-pk")
    pages = paginate(request, entries, WATCHLIST_PAGE_SIZE, what="your watchlist has")
    movies = Movie.objects.with_card_data().in_bulk([e.movie_id for e in pages.items])
    on_page = [movies[e.movie_id] for e in pages.items if e.movie_id in movies]
    return render(
        request,
        "catalog/watchlist.html",
        {
            **pages.context(),
            "movies": on_page,
            "my_scores": user_scores(request, on_page),
            "my_watchlist": frozenset(movie.pk for movie in on_page),
            "nav_current": "watchlist",
        },
        status=pages.status,
    )


@require_POST
def watchlist_add(request: HttpRequest, pk: int) -> HttpResponse:
    movie = get_object_or_404(Movie, pk=pk)
    if not request.user.is_authenticated:
        return _login_first(request, "Please log in to keep a watchlist.", movie.get_absolute_url())
    if add_to_watchlist(request.user, movie):
        messages.success(request, f"Added {movie.title} to your watchlist.")
    else:
        messages.info(request, f"{movie.title} is already on your watchlist.")
    return redirect(_safe_next(request, movie.get_absolute_url()))


@require_POST
def watchlist_remove(request: HttpRequest, pk: int) -> HttpResponse:
    movie = get_object_or_404(Movie, pk=pk)
    if not request.user.is_authenticated:
        return _login_first(request, "Please log in to keep a watchlist.", movie.get_absolute_url())
    if remove_from_watchlist(request.user, movie):
        messages.success(request, f"Removed {movie.title} from your watchlist.")
    else:
        messages.info(request, f"{movie.title} was not on your watchlist.")
    return redirect(_safe_next(request, movie.get_absolute_url()))


# ---------------------------------------------------------------------------- not interested
@require_POST
def not_interested(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Not interested" on a pick: hidden from the picks at once; the next page offers Undo."""
    movie = get_object_or_404(Movie, pk=pk)
    if not request.user.is_authenticated:
        return _login_first(request, "Please log in to tune your picks.", reverse("home"))
    mark_not_interested(request.user, movie)
    offer_dismissal_undo(request.session, movie.pk)
    return redirect(_safe_next(request, reverse("home")))


@require_POST
def not_interested_undo(request: HttpRequest, pk: int) -> HttpResponse:
    """Undo a dismissal (or "Show again" from the list): the movie may be picked again."""
    movie = get_object_or_404(Movie, pk=pk)
    if not request.user.is_authenticated:
        return _login_first(request, "Please log in to tune your picks.", reverse("home"))
    if clear_not_interested(request.user, [movie.pk]):
        messages.success(request, f"{movie.title} can be picked for you again.")
    else:
        messages.info(request, f"{movie.title} was not hidden from your picks.")
    return redirect(_safe_next(request, reverse("mine:ratings")))


@require_POST
def not_interested_clear(request: HttpRequest) -> HttpResponse:
    """Take back every dismissal at once."""
    if not request.user.is_authenticated:
        return _login_first(request, "Please log in to tune your picks.", reverse("home"))
    cleared = clear_not_interested(request.user)
    if cleared:
        messages.success(
            request,
            f"{cleared} movie{'s' if cleared != 1 else ''} can be picked for you again.",
        )
    else:
        messages.info(request, "You had not hidden any movie from your picks.")
    return redirect(_safe_next(request, reverse("mine:ratings")))


def upload(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        if request.method == "POST":
            return _login_first(
                request, "Please log in to upload a movie.", reverse("catalog:upload")
            )
        return redirect_to_login(request.get_full_path())
    if request.method not in ("GET", "POST"):
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    if request.method == "GET":
        return render(request, "catalog/upload.html", {"form": MovieUploadForm()})

    # A body over the limit never gets here: RequestBodyLimitMiddleware answers 413 unread.
    form = MovieUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        duplicate = None
        if "title" in form.cleaned_data and "year" in form.cleaned_data:
            duplicate = find_duplicate(form.cleaned_data["title"], form.cleaned_data["year"])
        return render(
            request, "catalog/upload.html", {"form": form, "duplicate": duplicate}, status=400
        )
    data = form.cleaned_data
    try:
        movie = upload_movie(
            request.user,
            title=data["title"],
            year=data["year"],
            genres=data["genres"],
            description=data["description"],
            poster=data["poster"],
        )
    except DuplicateMovieError as duplicate:
        return render(
            request,
            "catalog/upload.html",
            {"form": form, "duplicate": duplicate.existing},
            status=409,
        )
    if can_be_recommended(movie.pk):
        message = f"Thank you! {movie} is in the catalogue and can be recommended right away."
    else:
        message = (
            f"Thank you! {movie} is in the catalogue. It will be recommended as soon as a "
            "trained model is serving."
        )
    messages.success(request, message)
    return redirect(movie.get_absolute_url())


def _first_error(form) -> str:
    for errors in form.errors.values():
        for error in errors:
            return str(error)
    return "please check the form."
