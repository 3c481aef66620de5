"""Finding an imported title in the catalogue: the site's own title search, then the year.

Candidates come from two places, both the catalogue's: titles equal to the imported one (case
aside, and in either article form, "The Usual Suspects" or "Usual Suspects, The"), read for all
rows in a few queries; and, for the rest, ``webapp.catalog.search.search_titles``, the browse
page's search: every word of the title, else titles close by pg_trgm's word similarity
(PostgreSQL), or the same measure in Python (SQLite). No second fuzzy matcher is written here.

Each candidate's *closeness* is pg_trgm's trigram ``similarity`` of the two titles with leading
articles dropped (``webapp.catalog.search.similarity``), so "Godfater" is closer to "The
Godfather" (0.58) than to "The Godfather: Part II" (0.35), and "Toy Story" is 1.0 to itself but
0.82 to "Toy Story 2". Then the year decides:

- **matched**: one candidate of the file's year (or, when none is, of the year before or after)
  is at least ``MATCH_THRESHOLD`` close and ``CLEAR_LEAD`` closer than any other of those years.
  Without a year in the file it must also be at least ``SURE_WITHOUT_YEAR`` close.
- **ambiguous**: several candidates of those years are about as close (two films of one title
  and year, or no year to tell a remake from the original), or the title is found but only from
  other years, or a title of another year is clearly closer than the best of the file's year
  ("Toy Story" dated 1999, when "Toy Story 2" is the 1999 film). The person chooses among the
  closest (``MAX_CHOICES``) or skips the row.
- **unmatched**: nothing in the catalogue is ``MATCH_THRESHOLD`` close.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models.functions import Lower

from recsys.data.movielens import clean_title
from webapp.catalog.models import Movie
from webapp.catalog.search import search_titles, similarity

MATCH_THRESHOLD = 0.5
CLEAR_LEAD = 0.15
SURE_WITHOUT_YEAR = 0.75
MAX_CHOICES = 5
# Candidates read per title from the search (the closest, or the most rated exact-word matches)
# and again among those within a year of the file's year.
CANDIDATES_PER_TITLE = 20
# Titles looked up at once in the equality query.
LOOKUP_BATCH = 400

MATCHED = "matched"
AMBIGUOUS = "ambiguous"
UNMATCHED = "unmatched"

_LEADING_ARTICLE = re.compile(r"^(?:(?:the|a|an|les|la|le|il|el|das|die)\s+|l')", re.IGNORECASE)


@dataclass(frozen=True)
class Candidate:
    movie_id: int
    title: str
    year: int | None
    closeness: float

    def as_json(self) -> dict:
        return {"id": self.movie_id, "title": self.title, "year": self.year}


@dataclass(frozen=True)
class Match:
    status: str
    candidates: list[Candidate] = field(default_factory=list)
    reason: str = ""


def comparable(title: str) -> str:
    """A title as compared: article at the front ("Godfather, The" → "The Godfather"), then
    without it, lower case."""
    normal, _ = clean_title(title)
    return _LEADING_ARTICLE.sub("", (normal or title).strip(), count=1).lower()


def library_form(title: str) -> str:
    """ "The Godfather" → "Godfather, The": how MovieLens (and some uploads) file titles."""
    match = re.match(r"^(The|A|An|Les|La|Le|Il|El|Das|Die) (.+)$", title)
    return f"{match.group(2)}, {match.group(1)}" if match else title


def match_titles(wanted: Iterable[tuple[str, int | None]]) -> dict[tuple[str, int | None], Match]:
    """Match each (title, year) to the catalogue; each distinct pair is looked up once."""
    keys = list(dict.fromkeys(wanted))
    equal = _equal_titles({title for title, _ in keys})
    results: dict[tuple[str, int | None], Match] = {}
    for title, year in keys:
        candidates = _score(title, equal.get(title.lower(), []))
        match = classify(title, year, candidates)
        if match.status != MATCHED:
            # Not settled by equal titles: add what the site's title search finds.
            found = _score(title, _searched(title, year))
            merged = {c.movie_id: c for c in found}
            merged.update({c.movie_id: c for c in candidates})
            match = classify(title, year, list(merged.values()))
        results[(title, year)] = match
    return results


def classify(title: str, year: int | None, candidates: list[Candidate]) -> Match:
    """Matched, ambiguous or unmatched, by closeness and year (see the module's docstring)."""
    good = [c for c in candidates if c.closeness >= MATCH_THRESHOLD]
    if not good:
        return Match(UNMATCHED, reason="No movie in the catalogue has a title close to this one.")
    if year is None:
        pool = good
    else:
        pool = [c for c in good if c.year == year] or [
            c for c in good if c.year is not None and abs(c.year - year) == 1
        ]
        if not pool:
            others = sorted(good, key=lambda c: (-c.closeness, _distance(c, year), c.movie_id))
            years = sorted({str(c.year) for c in others[:MAX_CHOICES] if c.year})
            found_in = ", ".join(years) if years else "an unknown year"
            return Match(
                AMBIGUOUS,
                candidates=others[:MAX_CHOICES],
                reason=f"The catalogue has this title from {found_in}, not {year}.",
            )
    pool = sorted(pool, key=lambda c: (-c.closeness, _distance(c, year), c.movie_id))
    best = pool[0]
    # "Toy Story" dated 1999 is not "Toy Story 2" (1999) just for its year: a clearly closer
    # title from another year makes the row a choice.
    closer = [c for c in good if c.closeness - best.closeness >= CLEAR_LEAD]
    if closer:
        closer.sort(key=lambda c: (-c.closeness, _distance(c, year), c.movie_id))
        return Match(
            AMBIGUOUS,
            candidates=[best, *closer][:MAX_CHOICES],
            reason=f"A movie of {year} has a similar title, and one of another year the same title.",
        )
    rivals = [c for c in pool[1:] if best.closeness - c.closeness < CLEAR_LEAD]
    if rivals:
        if year is None:
            reason = "Several movies in the catalogue fit, and the file gives no year."
        else:
            reason = "Several movies in the catalogue fit this title and year."
        return Match(AMBIGUOUS, candidates=pool[:MAX_CHOICES], reason=reason)
    if year is None and best.closeness < SURE_WITHOUT_YEAR:
        return Match(
            AMBIGUOUS,
            candidates=pool[:MAX_CHOICES],
            reason="The closest title is not quite the same, and the file gives no year.",
        )
    return Match(MATCHED, candidates=[best])


def _distance(candidate: Candidate, year: int | None) -> int:
    if year is None:
        return 0
    return abs(candidate.year - year) if candidate.year is not None else 9999


def _score(title: str, rows: list[tuple[int, str, int | None]]) -> list[Candidate]:
    wanted = comparable(title)
    return [
        Candidate(
            movie_id=pk, title=name, year=year, closeness=similarity(wanted, comparable(name))
        )
        for pk, name, year in rows
    ]


def _equal_titles(titles: set[str]) -> dict[str, list[tuple[int, str, int | None]]]:
    """Catalogue movies whose title equals each wanted one (case aside, either article form)."""
    forms: dict[str, set[str]] = {}
    for title in titles:
        for form in {title.lower(), library_form(title).lower()}:
            forms.setdefault(form, set()).add(title.lower())
    found: dict[str, list[tuple[int, str, int | None]]] = {}
    names = sorted(forms)
    for start in range(0, len(names), LOOKUP_BATCH):
        rows = (
            Movie.objects.annotate(lowered=Lower("title"))
            .filter(lowered__in=names[start : start + LOOKUP_BATCH])
            .values_list("pk", "title", "year", "lowered")
        )
        for pk, name, year, lowered in rows:
            for wanted in forms.get(lowered, ()):
                found.setdefault(wanted, []).append((pk, name, year))
    return found


def _searched(title: str, year: int | None) -> list[tuple[int, str, int | None]]:
    """What the browse page's title search finds for ``title``, closest (or most rated) first,
    plus its finds within a year of ``year``."""
    search = search_titles(Movie.objects.all(), title)
    ordered = search.movies.order_by(*search.relevance())
    if search.widened:
        # Close titles: a bounded list already (at most MAX_CLOSE_MATCHES), read at once.
        return list(ordered.values_list("pk", "title", "year"))
    rows = list(ordered.values_list("pk", "title", "year")[:CANDIDATES_PER_TITLE])
    if year is not None:
        near = ordered.filter(year__gte=year - 1, year__lte=year + 1)
        rows += list(near.values_list("pk", "title", "year")[:CANDIDATES_PER_TITLE])
    return rows
