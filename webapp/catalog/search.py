"""Title search that forgives typos: exact words first, close titles when nothing matches.

A query matches a title *exactly* when every word of it appears in the title (case-blind), so
"star wars" and "wars star" both find Star Wars. When no title matches exactly, the search widens
to titles that are *close* to the query by trigram word similarity (how well the query's
three-letter pieces match the best stretch of the title, as PostgreSQL's ``pg_trgm`` defines
it), so "godfater" finds The Godfather, and the closest title yields a corrected query to offer
as "Did you mean …". Close titles are not added beside exact matches: then every word of the
query is spelled as in some title, and the close ones are mostly titles sharing one common word
("toy story" would bring "The Philadelphia Story").

PostgreSQL computes the similarity itself (``django.contrib.postgres``; the ``pg_trgm`` extension
and a GIN trigram index on the title come from migration 0003). SQLite has no trigram support, so
there the same measure runs in Python over an in-process inverted index of the titles, built once
per catalogue change and bounded to the ``MAX_INDEXED_TITLES`` most-rated ones.
"""

from __future__ import annotations

import heapq
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import reduce
from operator import and_

from django.db import connections, transaction
from django.db.models import Case, Count, F, IntegerField, Max, Q, QuerySet, Value, When

from webapp.catalog.models import Movie

# pg_trgm's default ``word_similarity_threshold``: the GIN index answers ``%>`` at this level,
# and the SQLite fallback uses the same cut.
WORD_SIMILARITY_THRESHOLD = 0.6
# Close titles shown at most; they come after the exact matches, best first.
MAX_CLOSE_MATCHES = 48
# The SQLite fallback indexes at most this many titles (most rated first), so memory and the time
# to build the index stay bounded for a large catalogue; PostgreSQL has no such limit.
MAX_INDEXED_TITLES = 20_000
# Titles measured exactly per query at most (those sharing the most trigrams first), so a query
# of common words cannot make the fallback measure the whole catalogue.
MAX_CANDIDATES = 400
# How long the SQLite index is trusted without asking whether the catalogue changed; a title
# edited in the admin (which keeps the count and the newest id) is picked up after this.
INDEX_TTL_SECONDS = 5 * 60
# A query word is only replaced by a title word at least this alike (difflib's ratio: 2 × the
# matching characters over both lengths; "wors" and "wars" score 0.75, "godfater" 0.94).
MIN_CORRECTION_RATIO = 0.6

# pg_trgm's notion of a word: a run of letters and digits (in any script).
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class TitleSearch:
    """The outcome of a title search, ready for a list page.

    ``movies`` is the filtered queryset (not ordered). When nothing matched exactly it holds the
    close titles instead, ``close_ids`` ranks them closest first and ``relevance`` orders by that.
    """

    movies: QuerySet
    close_ids: list[int] = field(default_factory=list)
    suggestion: str | None = None

    @property
    def widened(self) -> bool:
        """True when the results are close titles rather than exact matches."""
        return bool(self.close_ids)

    def relevance(self) -> tuple:
        """``order_by`` arguments: closest titles first, then the most popular."""
        keys: list = []
        if self.close_ids:
            ranks = [When(pk=pk, then=Value(rank)) for rank, pk in enumerate(self.close_ids)]
            keys.append(Case(*ranks, default=Value(len(ranks)), output_field=IntegerField()))
        return (*keys, "-rating_count", "-rating_mean", "title", "pk")


def search_titles(movies: QuerySet, query: str) -> TitleSearch:
    """Narrow ``movies`` to titles matching ``query``, or to close titles if none match."""
    words = query.split()
    if not words:
        return TitleSearch(movies=movies)
    exact = movies.filter(reduce(and_, (Q(title__icontains=word) for word in words)))
    if exact.exists() or not trigrams(query):
        # Found, or nothing to compare (only symbols or emoji): no title can be close.
        return TitleSearch(movies=exact)

    if connections[movies.db].vendor == "postgresql":
        close = _close_titles_postgres(movies, query)
    else:
        close = _close_titles_in_python(movies, query)
    close_ids = [pk for pk, _ in close]
    suggestion = next(
        (fix for _, title in close if (fix := correct_query(query, title)) is not None), None
    )
    return TitleSearch(
        movies=movies.filter(pk__in=close_ids), close_ids=close_ids, suggestion=suggestion
    )


# ------------------------------------------------------------------------------ trigrams
def _trigram_sequence(text: str) -> list[str]:
    """pg_trgm's trigrams in reading order: each lower-cased word padded "  word "."""
    sequence: list[str] = []
    for word in _WORD.findall(text.lower()):
        padded = f"  {word} "
        sequence.extend(padded[i : i + 3] for i in range(len(padded) - 2))
    return sequence


def trigrams(text: str) -> frozenset[str]:
    """The set of pg_trgm's trigrams of ``text``."""
    return frozenset(_trigram_sequence(text))


def word_similarity(query: str, title: str) -> float:
    """pg_trgm's ``word_similarity``: how well the query matches the best stretch of the title.

    The greatest trigram similarity (shared over all distinct trigrams) between the query and
    any continuous run of the title's trigrams, so a long title is not penalised for the words
    around the match. The best run starts and ends on a shared trigram, so only those are tried.
    """
    wanted = trigrams(query)
    if not wanted:
        return 0.0
    sequence = _trigram_sequence(title)
    best = 0.0
    for start, first in enumerate(sequence):
        if first not in wanted:
            continue
        seen: set[str] = set()
        shared = 0
        for gram in sequence[start:]:
            if gram not in seen:
                seen.add(gram)
                shared += gram in wanted
            if gram in wanted:
                best = max(best, shared / (len(wanted) + len(seen) - shared))
    return best


def similarity(a: str, b: str) -> float:
    """Shared trigrams over all trigrams of the two (pg_trgm's ``similarity``)."""
    left, right = trigrams(a), trigrams(b)
    union = left | right
    return len(left & right) / len(union) if union else 0.0


def correct_query(query: str, title: str) -> str | None:
    """The query with each word missing from ``title`` replaced by the title's most alike word.

    "godfater" against "The Godfather" gives "godfather"; words already found in the title stay as
    typed. Words are compared letter by letter (difflib) rather than by trigrams, which say little
    about words as short as "wors". None when nothing would change, so a suggestion is never the
    query itself.
    """
    title_words = [word.lower() for word in _WORD.findall(title)]
    if not title_words:
        return None
    corrected = []
    for word in query.split():
        bare = word.lower()
        if any(bare in candidate for candidate in title_words):
            corrected.append(word)
            continue
        best, ratio = max(
            (
                (candidate, SequenceMatcher(None, bare, candidate).ratio())
                for candidate in title_words
            ),
            key=lambda pair: pair[1],
        )
        corrected.append(best if ratio >= MIN_CORRECTION_RATIO else word)
    suggestion = " ".join(corrected)
    return None if suggestion.lower() == " ".join(query.split()).lower() else suggestion


# ------------------------------------------------------------------------------ PostgreSQL
def _close_titles_postgres(movies: QuerySet, query: str) -> list[tuple[int, str]]:
    """Close titles by pg_trgm, best first, found through the GIN trigram index.

    PostgreSQL's planner prices ``word_similarity`` like a cheap operator and so prefers reading
    the whole table (16.7 ms on MovieLens-100K's 1,682 titles) to the index (2.4 ms; both
    EXPLAIN ANALYZE, see docs/benchmarks.md). Sequential scans are therefore discouraged for this
    one query only: ``SET LOCAL`` inside its own transaction, put back before it ends.
    """
    from django.contrib.postgres.lookups import TrigramWordSimilar
    from django.contrib.postgres.search import TrigramWordSimilarity

    rows = (
        movies.filter(TrigramWordSimilar(F("title"), Value(query)))
        .annotate(closeness=TrigramWordSimilarity(query, "title"))
        .order_by("-closeness", "-rating_count", "pk")
        .values_list("pk", "title")[:MAX_CLOSE_MATCHES]
    )
    with transaction.atomic(using=movies.db), connections[movies.db].cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        try:
            return list(rows)
        finally:
            cursor.execute("SET LOCAL enable_seqscan TO DEFAULT")


# ------------------------------------------------------------------------------ SQLite fallback
@dataclass(frozen=True)
class _TitleIndex:
    """Titles and, for each trigram, the positions of the titles that contain it."""

    signature: tuple
    built_at: float
    ids: list[int]
    titles: list[str]
    postings: dict[str, list[int]]

    @classmethod
    def build(cls, signature: tuple, rows: list[tuple[int, str]]) -> _TitleIndex:
        postings: dict[str, list[int]] = {}
        for position, (_, title) in enumerate(rows):
            for gram in trigrams(title):
                postings.setdefault(gram, []).append(position)
        return cls(
            signature=signature,
            built_at=time.monotonic(),
            ids=[pk for pk, _ in rows],
            titles=[title for _, title in rows],
            postings=postings,
        )

    def close(self, query: str, limit: int) -> list[tuple[int, str, float]]:
        """Titles whose word similarity to the query reaches the threshold, best first.

        The share of the query's trigrams a title holds anywhere bounds its word similarity from
        above, so the inverted index picks the few candidates and only those are measured.
        """
        wanted = trigrams(query)
        if not wanted:
            return []
        hits: Counter[int] = Counter()
        for gram in wanted:
            hits.update(self.postings.get(gram, ()))
        needed = WORD_SIMILARITY_THRESHOLD * len(wanted)
        candidates = heapq.nsmallest(
            MAX_CANDIDATES,
            (position for position, shared in hits.items() if shared >= needed),
            key=lambda position: (-hits[position], position),
        )
        scored = [
            (closeness, position)
            for position in candidates
            if (closeness := word_similarity(query, self.titles[position]))
            >= WORD_SIMILARITY_THRESHOLD
        ]
        # Positions follow popularity, so among equally close titles the most rated come first.
        scored.sort(key=lambda pair: (-pair[0], pair[1]))
        return [
            (self.ids[position], self.titles[position], closeness)
            for closeness, position in scored[:limit]
        ]


_index: _TitleIndex | None = None


def _title_index(using: str) -> _TitleIndex:
    """The index of the current catalogue, rebuilt when movies were added or removed.

    Two requests that find it stale at once both rebuild it; the last one stored wins, which is
    harmless, so no lock is held while the titles are read.
    """
    global _index
    signature = _signature(using)
    current = _index
    if (
        current is not None
        and current.signature == signature
        and time.monotonic() - current.built_at < INDEX_TTL_SECONDS
    ):
        return current
    rows = list(
        Movie.objects.using(using)
        .order_by("-rating_count", "pk")
        .values_list("pk", "title")[:MAX_INDEXED_TITLES]
    )
    _index = _TitleIndex.build(signature, rows)
    return _index


def _signature(using: str) -> tuple:
    """What changes whenever a movie is added or removed: one cheap aggregate."""
    totals = Movie.objects.using(using).aggregate(
        count=Count("pk"), last=Max("pk"), newest=Max("created_at")
    )
    return (using, totals["count"], totals["last"], totals["newest"])


def _close_titles_in_python(movies: QuerySet, query: str) -> list[tuple[int, str]]:
    """Close titles from the in-process index, kept only where ``movies``' filters allow."""
    ranked = _title_index(movies.db).close(query, limit=4 * MAX_CLOSE_MATCHES)
    if not ranked:
        return []
    allowed = set(movies.filter(pk__in=[pk for pk, _, _ in ranked]).values_list("pk", flat=True))
    return [(pk, title) for pk, title, _ in ranked if pk in allowed][:MAX_CLOSE_MATCHES]


def forget_title_index() -> None:
    """Drop the SQLite fallback's index (tests that rebuild the catalogue call this)."""
    global _index
    _index = None
