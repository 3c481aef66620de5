"""The command behind ``python -m bench.search``: how long a title search takes, typos included.

Times ``search_titles`` plus fetching the first page of results (what the browse view asks of the
database) for typos, plain words and queries that match nothing, on the catalogue the environment
configures (SQLite by default, PostgreSQL with DATABASE_URL). On SQLite it also times building the
Python trigram index, for this catalogue and for a synthetic one of ``MAX_INDEXED_TITLES`` titles
(the bound), so the cost of the fallback is known for a catalogue far larger than MovieLens.
"""

from __future__ import annotations

import random
import statistics
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from webapp.catalog import search
from webapp.catalog.models import Movie
from webapp.catalog.views import BROWSE_PAGE_SIZE

QUERIES = {
    "typo": ["godfater", "shawshenk", "casblanca", "star wors", "jurasic park", "terminater"],
    "exact words": ["star", "love", "the", "man"],
    "common words only": ["the of and a in"],
    "no match": ["xqzvw", "🎬🎬🎬"],
}


def first_page(query: str) -> list[int]:
    found = search.search_titles(Movie.objects.all(), query)
    ordering = found.relevance() if found.widened else ("-rating_count", "pk")
    return list(found.movies.order_by(*ordering).values_list("pk", flat=True)[:BROWSE_PAGE_SIZE])


def timed_ms(action, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return times


class Command(BaseCommand):
    help = "Benchmark typo-tolerant title search on the configured database."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--repeats", type=int, default=50, help="runs per query (50)")

    def handle(self, *args, **options) -> None:
        count = Movie.objects.count()
        if count == 0:
            raise CommandError("The catalogue is empty: run manage.py import_movielens first.")
        repeats = options["repeats"]
        self.stdout.write(f"{connection.vendor}, {count} movies, {repeats} runs per query\n")
        self.stdout.write("| queries | examples | p50 ms | p95 ms | max ms |")
        self.stdout.write("|---|---|---|---|---|")
        for group, queries in QUERIES.items():
            for query in queries:
                first_page(query)  # warm: connection, and the SQLite index
            times = [
                t for query in queries for t in timed_ms(lambda q=query: first_page(q), repeats)
            ]
            ranked = sorted(times)
            self.stdout.write(
                f"| {group} | {', '.join(queries[:3])} | {statistics.median(times):.2f} "
                f"| {ranked[int(0.95 * (len(ranked) - 1))]:.2f} | {ranked[-1]:.2f} |"
            )
        if connection.vendor != "postgresql":
            self._index_costs(repeats)

    def _index_costs(self, repeats: int) -> None:
        def rebuild() -> None:
            search.forget_title_index()
            search._title_index(connection.alias)

        build = statistics.median(timed_ms(rebuild, max(3, repeats // 10)))
        self.stdout.write(f"\nSQLite index of this catalogue: built in {build:.1f} ms (median)")
        rng = random.Random(0)
        words = [title.split()[0] for title in Movie.objects.values_list("title", flat=True)]
        size = search.MAX_INDEXED_TITLES
        rows = [(i, " ".join(rng.choices(words, k=rng.randint(1, 5)))) for i in range(size)]
        started = time.perf_counter()
        index = search._TitleIndex.build(("synthetic",), rows)
        build_ms = (time.perf_counter() - started) * 1000
        typo = statistics.median(timed_ms(lambda: index.close("godfater", 48), repeats))
        common = statistics.median(timed_ms(lambda: index.close("the of and a in", 48), repeats))
        self.stdout.write(
            f"Synthetic {size} titles (words of this catalogue): built in {build_ms:.0f} ms; "
            f"close titles for a typo in {typo:.1f} ms, for common words in {common:.1f} ms "
            "(median)"
        )
