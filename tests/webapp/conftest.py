"""Fixtures for the web app's tests."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.webapp.worker import WorkerProcess
from webapp.celery import app


@pytest.fixture
def celery_worker_process(transactional_db, tmp_path):
    """A running worker process; tasks must be sent to ``worker.queue``."""
    worker = WorkerProcess(tmp_path / "worker.log")
    try:
        worker.wait_ready()
        yield worker
    finally:
        worker.stop()


@pytest.fixture(scope="session")
def skewed_artifact(tmp_path_factory):
    """A small model trained on popularity-skewed tables (tests/factories/skewed_tables.py)."""
    from tests.factories.skewed_tables import train_skewed_model

    return train_skewed_model(
        tmp_path_factory.mktemp("skewed-artifact") / "skewed-v1"
    ).artifact_path


@pytest.fixture
def skewed_site(skewed_artifact, db):
    """The skewed tables' movies in the database under the model's ids, the model active."""
    from django.core.management.color import no_style
    from django.db import connection

    from tests.factories.skewed_tables import skewed_tables
    from tests.webapp.catalog_data import make_genres
    from webapp.catalog.models import Movie
    from webapp.recommender.models import ModelVersion
    from webapp.recommender.serving import model_server

    tables = skewed_tables()
    genres = make_genres(("Comedy", "Drama", "Romance", "Sci-Fi", "Thriller", "Horror"))
    through = Movie.genres.through
    Movie.objects.bulk_create(
        [
            Movie(
                pk=row.movie_id,
                title=row.title,
                year=row.year,
                source=Movie.Source.MOVIELENS,
                movielens_id=row.movie_id,
            )
            for row in tables.movies.itertuples()
        ]
    )
    through.objects.bulk_create(
        [
            through(movie_id=row.movie_id, genre_id=genres[name].pk)
            for row in tables.movies.itertuples()
            for name in row.genres
        ]
    )
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), [Movie]):
            cursor.execute(statement)
    ModelVersion.objects.create(
        name="skewed-v1", artifact_path=str(skewed_artifact), is_active=True
    )
    model_server.reset()
    assert model_server.refresh() is not None
    yield tables
    model_server.reset()


@pytest.fixture
def sent(monkeypatch) -> list[tuple]:
    """Task messages the Celery app would have sent, recorded instead of reaching a broker."""
    messages: list[tuple] = []

    def send_task(name, args, queue):
        messages.append((name, args, queue))
        return SimpleNamespace(id=f"task-{len(messages)}")

    monkeypatch.setattr(app, "send_task", send_task)
    return messages
