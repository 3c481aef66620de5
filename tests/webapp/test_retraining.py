"""Retraining: lock, gate, promotion, rollback, hot swap, and workers that die mid-run.

Training is real (the pipeline's small preset on a small planted dataset); workers are real
processes talking through the configured broker (a folder on disk, or Redis in CI's second run).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from recsys.metrics import names
from tests.factories.site_data import populate_site
from tests.webapp.worker import WorkerProcess
from webapp.catalog.models import Movie, Rating
from webapp.recommender import registry
from webapp.recommender.models import ModelVersion, TrainingRun
from webapp.recommender.runs import dispatch, lifecycle
from webapp.recommender.runs.lifecycle import TrainingAlreadyRunning, TrainingOptions
from webapp.recommender.serving import model_server

pytestmark = pytest.mark.slow

RETRAIN_URL = "admin:recommender_trainingrun_retrain"


@pytest.fixture(autouse=True)
def small_models(settings, tmp_path):
    settings.SPIKELENS_TRAINING_PRESET = "small"
    settings.SPIKELENS_ARTIFACTS_DIR = tmp_path / "artifacts"
    model_server.reset()
    yield
    model_server.reset()


@pytest.fixture
def site(db):
    return populate_site()


@pytest.fixture
def staff(db):
    return User.objects.create_superuser("admin", "admin@example.com", "a-long-password")


def train(**options) -> TrainingRun:
    """Train in this process, the way ``manage.py train_model`` does."""
    run = lifecycle.open_run(TrainingOptions(**options))
    from webapp.recommender.runs.execution import execute_training_run

    return execute_training_run(run.pk)


def scored_picks_for(user, k: int = 5) -> list[tuple[int, float]]:
    """What the served model recommends to ``user`` given their current ratings."""
    served = model_server.refresh()
    assert served is not None
    from recsys.serving import UserQuery

    ratings = dict(Rating.objects.filter(user=user).values_list("movie_id", "score"))
    query = UserQuery(user_id=user.pk, ratings=ratings)
    return [
        (s.movie_id, round(float(s.score), 5)) for s in served.recommender.recommend(query, k=k)
    ]


def picks_for(user, k: int = 5) -> list[int]:
    return [movie for movie, _ in scored_picks_for(user, k)]


def wait_for(predicate, timeout: float = 180, interval: float = 0.5, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


# --------------------------------------------------------------------------- in-process


def test_first_training_is_promoted_and_served(site):
    run = train()
    assert run.state == TrainingRun.State.SUCCEEDED and run.promoted
    version = registry.active_version()
    assert version == run.model_version
    assert Path(version.artifact_path).is_dir() and version.size_bytes > 0
    assert 0 <= version.metrics["ndcg@10"] <= 1
    assert not list(Path(version.artifact_path).parent.glob(".incoming-*"))
    served = model_server.refresh()
    assert served.version_id == version.pk


def test_served_model_recommends_a_fans_genre(site):
    train()
    horror_fan = next(u for u in site.users if site.taste_of[u.pk] == "Horror")
    picks = picks_for(horror_fan)
    horror = sum(site.genre_of[m] == "Horror" for m in picks)
    assert horror >= 4, f"only {horror}/5 Horror picks for a Horror fan"
    rated = set(Rating.objects.filter(user=horror_fan).values_list("movie_id", flat=True))
    assert not rated & set(picks)


def test_gate_refuses_a_clearly_worse_version(site, settings):
    first = train().model_version
    ModelVersion.objects.filter(pk=first.pk).update(metrics={**first.metrics, "ndcg@10": 0.99})
    second = train()
    assert second.state == TrainingRun.State.SUCCEEDED and not second.promoted
    assert "Not promoted" in second.message and "ndcg@10" in second.message
    assert registry.active_version().pk == first.pk


def test_gate_arithmetic():
    active = ModelVersion(name="a", artifact_path="/x", metrics={"ndcg@10": 0.45})
    assert registry.gate({"ndcg@10": 0.445}, active, tolerance=0.01).passed
    assert not registry.gate({"ndcg@10": 0.43}, active, tolerance=0.01).passed
    assert registry.gate({"ndcg@10": 0.1}, None).passed
    assert not registry.gate({}, active).passed


def test_promotion_never_leaves_the_active_version(site):
    first = train().model_version
    second = train(promotion="never")
    assert not second.promoted and registry.active_version() == first


def test_corrupt_artifact_is_refused_at_promotion(site, staff, client):
    first = train().model_version
    second = train(promotion="never").model_version
    for path in Path(second.artifact_path).iterdir():
        if path.is_file():
            path.write_bytes(b"\x00garbage")
    with pytest.raises(registry.PromotionError):
        registry.promote(second)
    client.force_login(staff)
    response = client.post(
        reverse("admin:recommender_modelversion_changelist"),
        {"action": "promote_selected", "_selected_action": [second.pk], "post": "yes"},
        follow=True,
    )
    assert "Refused" in response.content.decode()
    assert registry.active_version() == first


def test_missing_artifact_never_takes_the_site_down(site, client):
    first = train().model_version
    assert model_server.refresh().version_id == first.pk
    broken = ModelVersion.objects.create(name="broken", artifact_path="/nonexistent/artifact")
    registry.promote(broken, validate=False)  # as if the files vanished after promotion
    served = model_server.refresh()
    assert served is not None and served.version_id == first.pk
    assert client.get(reverse("home")).status_code == 200


def test_rollback_restores_the_previous_recommendations(site, staff, client):
    first = train().model_version
    fan = site.users[0]

    # New taste data arrives: everyone now also loves a few of the other genre's movies.
    other = [m for m in site.movies if site.genre_of[m.pk] != site.taste_of[fan.pk]][:6]
    for user in site.users:
        for movie in other:
            Rating.objects.update_or_create(user=user, movie=movie, defaults={"score": 5})
    with_first = scored_picks_for(fan, k=10)  # the first model, on the fan's current ratings
    second = train(promotion="always").model_version
    assert registry.active_version() == second
    assert scored_picks_for(fan, k=10) != with_first

    client.force_login(staff)
    changelist = reverse("admin:recommender_modelversion_changelist")
    chosen = {"action": "rollback_to_selected", "_selected_action": [first.pk]}
    confirm = client.post(changelist, chosen)
    assert confirm.status_code == 200 and "Roll back" in confirm.content.decode()
    assert registry.active_version() == second  # nothing happens before confirmation
    client.post(changelist, {**chosen, "post": "yes"})
    assert registry.active_version() == first
    assert scored_picks_for(fan, k=10) == with_first


def test_train_model_command_shows_the_result(site, capsys):
    call_command("train_model", "--epochs", "2")
    assert "Promoted" in capsys.readouterr().out
    call_command("train_model", "--if-none-active")
    assert "is active; not training" in capsys.readouterr().out
    assert ModelVersion.objects.count() == 1


# --------------------------------------------------------------------------- the lock


def test_a_second_request_while_one_runs_is_refused(site):
    first = lifecycle.open_run(TrainingOptions())
    with pytest.raises(TrainingAlreadyRunning, match=f"#{first.pk}"):
        lifecycle.open_run(TrainingOptions())
    assert TrainingRun.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_admin_triggers_give_one_run(staff, settings):
    settings.SPIKELENS_TRAINING_QUEUE = "nobody-listens"
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def trigger() -> None:
        from django.test import Client

        client = Client()
        client.force_login(staff)
        barrier.wait()
        response = client.post(
            reverse(RETRAIN_URL), {"mode": "local", "promotion": "gate"}, follow=True
        )
        statuses.append(response.status_code)
        connection.close()

    threads = [threading.Thread(target=trigger) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200, 200]
    assert TrainingRun.objects.count() == 1


def test_run_queued_with_no_worker_is_failed_after_the_timeout(site, settings):
    run = lifecycle.open_run(TrainingOptions())
    settings.SPIKELENS_TRAINING_STALE_SECONDS = 0
    time.sleep(0.05)
    assert lifecycle.expire_stale_runs() == 1
    run.refresh_from_db()
    assert run.state == TrainingRun.State.FAILED and "No worker" in run.message
    lifecycle.open_run(TrainingOptions())  # the lock is free again


def test_redelivered_message_does_not_train_twice(site):
    run = lifecycle.open_run(TrainingOptions())
    from webapp.recommender.runs.execution import execute_training_run

    assert execute_training_run(run.pk).state == TrainingRun.State.SUCCEEDED
    assert execute_training_run(run.pk) is None
    assert ModelVersion.objects.count() == 1


# --------------------------------------------------------------------------- permissions


def test_non_staff_get_403_and_anonymous_are_sent_to_log_in(site, client):
    someone = User.objects.create_user("someone", password="a-long-password")
    client.force_login(someone)
    assert client.get(reverse(RETRAIN_URL)).status_code == 403
    assert (
        client.post(reverse(RETRAIN_URL), {"mode": "local", "promotion": "gate"}).status_code == 403
    )
    assert client.get(reverse("admin:recommender_trainingrun_progress")).status_code == 403

    staff_without_permission = User.objects.create_user(
        "clerk", password="a-long-password", is_staff=True
    )
    client.force_login(staff_without_permission)
    assert (
        client.post(reverse(RETRAIN_URL), {"mode": "local", "promotion": "gate"}).status_code == 403
    )

    client.logout()
    response = client.post(reverse(RETRAIN_URL), {"mode": "local", "promotion": "gate"})
    assert response.status_code == 302 and "login" in response["Location"]
    assert not TrainingRun.objects.exists()


def test_staff_with_the_permission_may_retrain(site, client, settings):
    settings.SPIKELENS_TRAINING_QUEUE = "nobody-listens"
    trainer = User.objects.create_user("trainer", password="a-long-password", is_staff=True)
    trainer.user_permissions.add(Permission.objects.get(codename="add_trainingrun"))
    client.force_login(trainer)
    assert client.get(reverse(RETRAIN_URL)).status_code == 200
    response = client.post(
        reverse(RETRAIN_URL), {"epochs": "3", "mode": "bptt", "promotion": "never"}, follow=True
    )
    assert "is queued" in response.content.decode()
    run = TrainingRun.objects.get()
    assert run.options == {"epochs": 3, "mode": "bptt", "promotion": "never"}


@pytest.mark.parametrize("epochs", ["0", "-4", "1000", "many"])
def test_bad_retrain_options_are_refused_with_a_message(site, staff, client, epochs):
    client.force_login(staff)
    response = client.post(
        reverse(RETRAIN_URL), {"epochs": epochs, "mode": "local", "promotion": "gate"}
    )
    assert response.status_code == 200 and b"errorlist" in response.content
    assert not TrainingRun.objects.exists()


def test_admin_pages_show_runs_versions_and_progress(site, staff, client):
    run = train()
    client.force_login(staff)
    runs_page = client.get(reverse("admin:recommender_trainingrun_changelist")).content.decode()
    assert (
        "Retrain now" in runs_page
        and "<progress" in runs_page
        and run.model_version.name[:5] in runs_page
    )
    detail = client.get(
        reverse("admin:recommender_trainingrun_change", args=[run.pk])
    ).content.decode()
    assert "<svg" in detail  # the training curve
    versions = client.get(reverse("admin:recommender_modelversion_changelist")).content.decode()
    assert run.model_version.name in versions
    version_page = client.get(
        reverse("admin:recommender_modelversion_change", args=[run.model_version.pk])
    ).content.decode()
    energy_uj = run.model_version.metrics[names.ENERGY_NJ] / 1000
    assert "Energy per recommendation" in version_page and f"{energy_uj:.2f} µJ" in version_page
    progress = client.get(reverse("admin:recommender_trainingrun_progress"), {"id": run.pk}).json()
    assert progress["runs"][0]["state"] == "succeeded" and progress["runs"][0]["progress"] == 1.0


# --------------------------------------------------------------------------- real workers


@pytest.fixture
def worker_env():
    return {"SPIKELENS_TRAINING_PRESET": "small", "SPIKELENS_HEARTBEAT_SECONDS": "0.5"}


@pytest.mark.django_db(transaction=True)
def test_admin_trigger_trains_in_a_worker_and_the_site_swaps_models(
    staff, client, settings, tmp_path, worker_env
):
    site = populate_site()
    first = train().model_version
    fan = site.users[0]
    picks_before = picks_for(fan, k=10)
    # The fan's taste changes: they now rate the other genre highly and their own poorly.
    for movie in site.movies:
        if site.genre_of[movie.pk] != site.taste_of[fan.pk]:
            Rating.objects.update_or_create(user=fan, movie=movie, defaults={"score": 5})

    worker = WorkerProcess(
        tmp_path / "worker.log",
        extra_env={**worker_env, "SPIKELENS_ARTIFACTS_DIR": str(settings.SPIKELENS_ARTIFACTS_DIR)},
    )
    settings.SPIKELENS_TRAINING_QUEUE = worker.queue
    try:
        worker.wait_ready()
        client.force_login(staff)
        response = client.post(
            reverse(RETRAIN_URL), {"mode": "local", "promotion": "always"}, follow=True
        )
        assert "is queued" in response.content.decode()
        run = TrainingRun.objects.get(state__in=TrainingRun.ACTIVE_STATES)
        wait_for(
            lambda: TrainingRun.objects.get(pk=run.pk).state == TrainingRun.State.SUCCEEDED,
            what=f"run {run.pk} to succeed\n{worker.log()}",
        )
    finally:
        worker.stop()

    second = registry.active_version()
    assert second != first and second.pk == TrainingRun.objects.get(pk=run.pk).model_version_id
    assert model_server.refresh().version_id == second.pk
    assert picks_for(fan, k=10) != picks_before
    assert client.get(reverse("home")).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_killing_the_worker_mid_run_keeps_the_old_model_and_fails_the_run(
    staff, client, settings, tmp_path, worker_env
):
    populate_site()
    first = train().model_version
    worker = WorkerProcess(
        tmp_path / "worker.log",
        extra_env={**worker_env, "SPIKELENS_ARTIFACTS_DIR": str(settings.SPIKELENS_ARTIFACTS_DIR)},
    )
    settings.SPIKELENS_TRAINING_QUEUE = worker.queue
    try:
        worker.wait_ready()
        run = dispatch.request_training(TrainingOptions(epochs=400, promotion="always"))
        wait_for(
            lambda: TrainingRun.objects.filter(pk=run.pk, state="running", epoch__gte=1).exists(),
            what=f"run {run.pk} to be training\n{worker.log()}",
        )
        worker.kill()
    finally:
        worker.stop()

    run.refresh_from_db()
    assert run.state == TrainingRun.State.RUNNING  # nobody has noticed yet
    settings.SPIKELENS_TRAINING_STALE_SECONDS = 2
    time.sleep(2.5)
    client.force_login(staff)
    page = client.get(reverse("admin:recommender_trainingrun_changelist"))  # looking is enough
    assert page.status_code == 200
    run.refresh_from_db()
    assert run.state == TrainingRun.State.FAILED and "stopped reporting" in run.message
    assert registry.active_version() == first
    assert ModelVersion.objects.count() == 1
    assert model_server.refresh().version_id == first.pk
    assert not lifecycle.staging_dir(run.pk).exists()
    assert Movie.objects.exists() and client.get(reverse("home")).status_code == 200


@pytest.mark.parametrize(("mode", "model"), [("local", "snn-local"), ("bptt", "snn-bptt")])
def test_retraining_options_become_the_one_run_configuration(settings, mode, model):
    """The admin's choices land in the pipeline's TrainConfig on top of the site's preset."""
    from recsys.models.config import TrainConfig
    from webapp.recommender.runs.execution import training_config

    config = training_config(TrainingOptions(epochs=3, mode=mode))
    assert config == TrainConfig.small().with_settings(model=model, epochs=3)
    assert config.fit.mode == mode and config.fit.epochs == 3
    settings.SPIKELENS_TRAINING_PRESET = "full"
    assert training_config(TrainingOptions()) == TrainConfig()
