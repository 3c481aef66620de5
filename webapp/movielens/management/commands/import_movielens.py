"""``manage.py import_movielens [--path DIR]``: load MovieLens-100K into the database."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from recsys.data.movielens import MovieLensDataError
from webapp.movielens.importer import ImportConflictError, import_movielens

EXPECTED_ROWS = {"users": 943, "movies": 1682, "ratings": 100_000}


class Command(BaseCommand):
    help = (
        "Import MovieLens-100K (users, movies, ratings). Safe to run again: rows already "
        "present are skipped. Without --path the data is taken from data/raw, the official "
        "download, or the RecBole wheel on PyPI, in that order."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--path",
            type=Path,
            help="an ml-100k folder (official or RecBole layout), ml-100k.zip, or a RecBole wheel",
        )

    def handle(self, *args, path: Path | None = None, **options) -> None:
        bars: dict[str, tqdm] = {}

        def progress(stage: str, rows: int) -> None:
            if stage not in bars:
                # One bar at a time: the stage before is finished, so its bar closes first.
                for bar in bars.values():
                    bar.close()
                bars[stage] = tqdm(
                    total=EXPECTED_ROWS.get(stage),
                    desc=f"Importing {stage}",
                    unit=" rows",
                    # A bar redraws in place on a terminal; in a log file, a line every 10 s.
                    mininterval=0.1 if sys.stderr.isatty() else 10,
                )
            bars[stage].update(rows)

        try:
            summary = import_movielens(path, progress=progress)
        except (MovieLensDataError, ImportConflictError) as exc:
            raise CommandError(f"{exc}\nNothing was imported.") from exc
        finally:
            for bar in bars.values():
                bar.close()
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {summary.users_created} users, {summary.movies_created} movies and "
                f"{summary.ratings_created} ratings from {summary.source}."
            )
        )
