"""Fault drills: the database goes away, a worker goes quiet, an artifact is damaged.

Outages are real, not mocked: the connection is pointed at a port where nothing listens (or a
folder that does not exist, for SQLite), or it runs through a TCP proxy that the test cuts and
restores — what a PostgreSQL restart looks like from Django.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.webapp.catalog_data import make_catalogue
from tests.webapp.live_http import gunicorn, request
from tests.webapp.tcp_proxy import TcpProxy
from webapp.local_server import free_port
from webapp.recommender.models import TrainingRun
from webapp.recommender.runs import dispatch, lifecycle

on_postgresql = pytest.mark.skipif(
    "sqlite" in connection.settings_dict["ENGINE"],
    reason="needs a database reached over the network (CI's PostgreSQL run); SQLite has none",
)


@contextmanager
def database_unreachable():
    """This thread's connection points at a database that cannot be reached, then is restored."""
    original = connection.settings_dict
    connection.close()
    if "sqlite" in original["ENGINE"]:
        connection.settings_dict = {**original, "NAME": "/nonexistent-spikelens/db.sqlite3"}
    else:
        connection.settings_dict = {**original, "HOST": "127.0.0.1", "PORT": str(free_port())}
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict = original


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["/", "/movies/", "/movies/1/"])
def test_database_outage_is_a_503_page_with_retry_after(path):
    make_catalogue(n_movies=3, n_raters=2, per_rater=2)
    visitor = Client()
    visitor.cookies["sessionid"] = "a-session-the-database-would-have-to-look-up"
    with database_unreachable():
        response = visitor.get(path)
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assert "back in a moment" in response.content.decode()
    assert visitor.get(path).status_code in (200, 404)  # and straight back once it returns


@pytest.mark.django_db(transaction=True)
def test_logged_in_pages_during_an_outage_are_503_too():
    make_catalogue(n_movies=3, n_raters=2, per_rater=2)
    visitor = Client()
    visitor.force_login(User.objects.create_user("regular", password="pw-long-enough"))
    with database_unreachable():
        assert visitor.get("/").status_code == 503
        assert visitor.post("/movies/1/rate/", {"score": "4"}).status_code == 503


@pytest.fixture
def postgres_proxy():
    db = connection.settings_dict
    proxy = TcpProxy(db.get("HOST") or "127.0.0.1", int(db.get("PORT") or 5432))
    yield proxy
    proxy.close()


def through_proxy_url(proxy: TcpProxy) -> str:
    """The test database's URL, reached through ``proxy``."""
    from urllib.parse import quote

    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    user = quote(db.get("USER") or "", safe="")
    return f"postgres://{user}{password}@127.0.0.1:{proxy.port}/{db['NAME']}"


@on_postgresql
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_postgresql_restart_while_serving_gives_503s_then_recovers(tmp_path, postgres_proxy):
    make_catalogue(n_movies=20, n_raters=4, per_rater=5)
    url = through_proxy_url(postgres_proxy)
    with gunicorn(tmp_path, {"DATABASE_URL": url, "DATABASE_CONN_MAX_AGE": "60"}) as server:
        assert request(server.url, "GET", "/")[0] == 200
        postgres_proxy.cut()
        during = [request(server.url, "GET", path)[:2] for path in ["/", "/movies/"] * 5]
        postgres_proxy.restore()
        after = [request(server.url, "GET", "/")[0] for _ in range(5)]
    assert {status for status, _ in during} == {503}, server.log()
    assert all(headers.get("Retry-After") == "10" for _, headers in during)
    assert after == [200] * 5
    assert "Traceback" not in server.log()


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_progress_and_heartbeat_writes_ride_out_a_database_blip(postgres_proxy):
    run = TrainingRun.objects.create(state=TrainingRun.State.RUNNING, heartbeat_at=timezone.now())
    connected, cut = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def worker() -> None:
        """A training worker whose connection runs through the proxy."""
        try:
            connection.settings_dict = {
                **connection.settings_dict,
                "HOST": "127.0.0.1",
                "PORT": str(postgres_proxy.port),
            }
            lifecycle.record_progress(run.pk, stage="epoch 1", progress=0.2)
            connected.set()
            cut.wait(10)
            started = time.monotonic()
            lifecycle.record_progress(run.pk, stage="epoch 2", progress=0.5)
            lifecycle.touch_heartbeat(run.pk)
            outcome["waited"] = time.monotonic() - started
        except Exception as exc:
            outcome["error"] = exc
        finally:
            connected.set()
            connection.close()

    thread = threading.Thread(target=worker)
    thread.start()
    assert connected.wait(20)
    postgres_proxy.cut()  # the server "restarts": connections drop, new ones are refused
    cut.set()
    time.sleep(3)
    postgres_proxy.restore()
    thread.join(60)
    assert "error" not in outcome, outcome
    assert outcome["waited"] >= 2.5  # it waited the outage out instead of failing the run
    run.refresh_from_db()
    assert run.state == TrainingRun.State.RUNNING and run.stage == "epoch 2"
    assert run.progress == 0.5


@pytest.mark.django_db
def test_admin_says_a_silent_run_is_waiting_for_its_heartbeat(client, settings):
    settings.SPIKELENS_TRAINING_STALE_SECONDS = 300
    client.force_login(User.objects.create_superuser("ops", "o@example.com", "pw-long-enough"))
    quiet_since = timezone.now() - dt.timedelta(minutes=2, seconds=10)
    run = TrainingRun.objects.create(
        state=TrainingRun.State.RUNNING, heartbeat_at=quiet_since, stage="training"
    )
    page = client.get(reverse("admin:recommender_trainingrun_changelist")).content.decode()
    assert "No heartbeat for 2 min" in page and "declared failed after 5 min" in page
    progress = client.get(reverse("admin:recommender_trainingrun_progress"), {"id": run.pk})
    assert progress.json()["runs"][0]["warning"].startswith("No heartbeat for 2 min")
    # A run that beat recently shows no warning.
    TrainingRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now())
    page = client.get(reverse("admin:recommender_trainingrun_changelist")).content.decode()
    assert "No heartbeat" not in page


# ----------------------------------------------------------------------------- broken artifacts
@pytest.fixture
def two_versions(db, settings, tmp_path):
    """Two real small models, the second one active."""
    from tests.factories.site_data import populate_site
    from webapp.recommender.runs.execution import execute_training_run
    from webapp.recommender.runs.lifecycle import TrainingOptions

    settings.SPIKELENS_TRAINING_PRESET = "small"
    settings.SPIKELENS_ARTIFACTS_DIR = tmp_path / "artifacts"
    populate_site()
    versions = []
    for _ in range(2):
        run = lifecycle.open_run(TrainingOptions(promotion="always"))
        versions.append(execute_training_run(run.pk).model_version)
    return versions


def damage(artifact: Path, how: str) -> None:
    files = sorted(p for p in artifact.rglob("*") if p.is_file())
    assert files
    for path in files:
        if how == "truncate":
            path.write_bytes(path.read_bytes()[: path.stat().st_size // 3])
        else:
            path.unlink()


@pytest.mark.slow
@pytest.mark.parametrize("how", ["truncate", "delete"])
def test_a_restart_with_a_broken_active_artifact_serves_the_newest_good_version(
    two_versions, how, client
):
    from webapp.recommender import registry
    from webapp.recommender.serving import ModelServer

    older, active = two_versions
    damage(Path(active.artifact_path), how)
    restarted = ModelServer(check_seconds=0)  # a web process starting after the damage
    served = restarted.refresh()
    assert served is not None and served.version_id == older.pk
    assert served.standing_in_for == active.name
    active.refresh_from_db()
    assert active.broken_at is not None and active.broken_reason
    # The admin shows it, and refuses to promote it again.
    client.force_login(User.objects.create_superuser("ops", "o@example.com", "pw-long-enough"))
    page = client.get(reverse("admin:recommender_modelversion_changelist")).content.decode()
    assert "Broken since" in page
    registry.promote(older)
    with pytest.raises(registry.PromotionError, match="never promoted again"):
        registry.promote(active)
    assert registry.active_version() == older
    # Re-verifying it in the admin does not clear the flag while the artifact is damaged.
    response = client.post(
        reverse("admin:recommender_modelversion_reverify"),
        {"ids": str(active.pk), "post": "yes"},
        follow=True,
    )
    assert "is still broken" in response.content.decode()
    active.refresh_from_db()
    assert active.broken_at is not None


@on_postgresql
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_postgresql_restart_during_training_does_not_kill_the_run(
    tmp_path, settings, postgres_proxy
):
    """The worker reaches PostgreSQL through the proxy, which is cut for 10 s mid-run."""
    from tests.factories.site_data import populate_site
    from tests.webapp.worker import WorkerProcess
    from webapp.recommender.models import ModelVersion
    from webapp.recommender.runs.lifecycle import TrainingOptions

    populate_site()
    worker = WorkerProcess(
        tmp_path / "worker.log",
        extra_env={
            "DATABASE_URL": through_proxy_url(postgres_proxy),
            "SPIKELENS_TRAINING_PRESET": "small",
            "SPIKELENS_HEARTBEAT_SECONDS": "0.5",
            "SPIKELENS_ARTIFACTS_DIR": str(tmp_path / "artifacts"),
        },
    )
    settings.SPIKELENS_TRAINING_QUEUE = worker.queue
    try:
        worker.wait_ready()
        run = dispatch.request_training(TrainingOptions(epochs=150, promotion="always"))
        deadline = time.monotonic() + 120
        while not TrainingRun.objects.filter(pk=run.pk, epoch__gte=2).exists():
            assert time.monotonic() < deadline, worker.log()
            time.sleep(0.2)
        postgres_proxy.cut()
        time.sleep(10)
        postgres_proxy.restore()
        deadline = time.monotonic() + 300
        while TrainingRun.objects.filter(pk=run.pk, state__in=TrainingRun.ACTIVE_STATES).exists():
            assert time.monotonic() < deadline, worker.log()
            time.sleep(0.5)
        run.refresh_from_db()
        assert run.state == TrainingRun.State.SUCCEEDED, (run.message, worker.log())
        assert ModelVersion.objects.count() == 1
        assert "retrying" in worker.log()  # it did meet the outage, and waited it out
    finally:
        worker.stop()
