"""Committee members trained in parallel: a Celery chord over real worker processes.

The chord's bookkeeping lives in a Redis result backend, so every test here runs a redis-server
of its own (tests/webapp/test_broker_outage.py's PrivateRedis; the machine's shared Redis is
never restarted) and real workers that share one queue, against the test database (PostgreSQL
in CI's second run). Training is the small preset with a committee of two members.
"""

from __future__ import annotations

import shutil
import signal
import time
from contextlib import ExitStack

import numpy as np
import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from recsys.serving import UserQuery, load_recommender
from tests.factories.site_data import populate_site
from tests.rank_processes import member_ranks_mentioning
from tests.webapp.test_broker_outage import PrivateRedis, broker_at
from tests.webapp.worker import WorkerProcess
from webapp.catalog.models import Rating
from webapp.recommender import registry
from webapp.recommender.models import ModelVersion, TrainingMember, TrainingRun
from webapp.recommender.runs import dispatch, lifecycle
from webapp.recommender.runs.lifecycle import TrainingOptions
from webapp.recommender.serving import model_server

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server"),
]

MEMBERS = 2


@pytest.fixture(autouse=True)
def small_models(settings, tmp_path):
    settings.SPIKELENS_TRAINING_PRESET = "small"
    settings.SPIKELENS_TRAINING_MEMBERS = MEMBERS
    settings.SPIKELENS_ARTIFACTS_DIR = tmp_path / "artifacts"
    model_server.reset()
    yield
    model_server.reset()


@pytest.fixture
def redis(tmp_path):
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


class Workers:
    """``count`` workers on one shared queue, each with its own node name."""

    def __init__(self, tmp_path, redis, settings, count: int, **extra_env: str) -> None:
        env = {
            "CELERY_BROKER_URL": redis.url,
            "CELERY_RESULT_BACKEND": redis.url,
            "SPIKELENS_PARALLEL_MEMBERS": "1",
            "SPIKELENS_TRAINING_PRESET": "small",
            "SPIKELENS_TRAINING_MEMBERS": str(MEMBERS),
            "SPIKELENS_HEARTBEAT_SECONDS": "0.5",
            "SPIKELENS_ARTIFACTS_DIR": str(settings.SPIKELENS_ARTIFACTS_DIR),
            **extra_env,
        }
        tmp_path.mkdir(parents=True, exist_ok=True)
        first = WorkerProcess(tmp_path / "worker-0.log", env, name="w0-" + tmp_path.name[-6:])
        self.all = [first] + [
            WorkerProcess(tmp_path / f"worker-{i}.log", env, queue=first.queue, name=f"w{i}-q")
            for i in range(1, count)
        ]
        settings.SPIKELENS_TRAINING_QUEUE = first.queue

    def __enter__(self) -> Workers:
        for worker in self.all:
            worker.wait_ready()
        return self

    def __exit__(self, *exc) -> None:
        for worker in self.all:
            worker.stop()

    def logs(self) -> str:
        return "\n".join(worker.log() for worker in self.all)


def wait_for(predicate, what: str, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.3)


def retrain(redis, options: TrainingOptions) -> TrainingRun:
    with broker_at(redis.url):
        return dispatch.request_training(options)


def wait_until_over(run: TrainingRun, workers: Workers) -> TrainingRun:
    wait_for(
        lambda: (
            not TrainingRun.objects.filter(pk=run.pk, state__in=TrainingRun.ACTIVE_STATES).exists()
        ),
        f"run {run.pk} to end\n{workers.logs()}",
        timeout=600,  # a committee of two on a loaded two-core machine
    )
    run.refresh_from_db()
    return run


def scores_of(version: ModelVersion, site) -> np.ndarray:
    """Every site user's top-10 scores from a version's artifact, as the site computes them."""
    recommender = load_recommender(version.artifact_path)
    rows = []
    for user in site.users:
        ratings = dict(Rating.objects.filter(user=user).values_list("movie_id", "score"))
        query = UserQuery(user_id=user.pk, ratings=ratings)
        rows.append([float(s.score) for s in recommender.recommend(query, k=10)])
    return np.array(rows)


@pytest.mark.django_db(transaction=True)
def test_two_workers_share_the_members_and_give_one_workers_model(
    tmp_path, redis, settings, client
):
    site = populate_site()
    options = TrainingOptions(epochs=12, promotion="always")
    with Workers(tmp_path / "one", redis, settings, count=1) as workers:
        alone = wait_until_over(retrain(redis, options), workers)
    assert alone.state == TrainingRun.State.SUCCEEDED, (alone.message, workers.logs())
    with Workers(tmp_path / "two", redis, settings, count=2) as workers:
        paired = wait_until_over(retrain(redis, options), workers)
    assert paired.state == TrainingRun.State.SUCCEEDED, (paired.message, workers.logs())

    # One worker trained the members one after the other; with two, each trained one. Whether
    # the two overlapped in time is a matter of scheduling on a loaded machine, so the time
    # saved is shown by the benchmark (python -m bench.retrain_workers), not asserted here.
    first = list(alone.members.order_by("index"))
    assert len({m.worker for m in first}) == 1 and len(first) == MEMBERS
    assert first[0].finished_at <= first[1].started_at
    second = list(paired.members.order_by("index"))
    assert len({m.worker for m in second}) == MEMBERS
    for member in first + second:
        assert member.state == TrainingMember.State.DONE and member.epoch == 12

    # The same model: same seeds, same data, the same scores for every user.
    np.testing.assert_array_equal(
        scores_of(paired.model_version, site), scores_of(alone.model_version, site)
    )
    assert paired.model_version.ndcg == alone.model_version.ndcg
    assert registry.active_version() == paired.model_version
    assert paired.history[-1]["epoch"] == 12 and paired.history[-1]["metric"] is not None
    assert not lifecycle.staging_dir(paired.pk).exists()

    # The run's page shows each member, the worker that trained it and its last epoch.
    client.force_login(User.objects.create_superuser("boss", "b@example.com", "pw-long-enough"))
    page = client.get(reverse("admin:recommender_trainingrun_change", args=[paired.pk]))
    text = page.content.decode()
    assert page.status_code == 200 and "committee member" in text.lower()
    assert all(member.worker in text for member in second)


@pytest.mark.django_db(transaction=True)
def test_killing_a_members_worker_fails_the_run_and_keeps_the_old_model(tmp_path, redis, settings):
    populate_site()
    settings.SPIKELENS_TRAINING_MEMBERS = 1
    first = _train_in_process()
    settings.SPIKELENS_TRAINING_MEMBERS = MEMBERS
    with Workers(tmp_path, redis, settings, count=2) as workers:
        run = retrain(redis, TrainingOptions(epochs=400, promotion="always"))
        wait_for(
            lambda: TrainingMember.objects.filter(run=run, epoch__gte=1).count() == MEMBERS,
            f"both members to train\n{workers.logs()}",
        )
        victim = TrainingMember.objects.get(run=run, index=0).worker
        killed = next(w for w in workers.all if victim.startswith(f"{w.name}@"))
        survivor = next(w for w in workers.all if w is not killed)
        killed.kill()
        settings.SPIKELENS_TRAINING_STALE_SECONDS = 2
        time.sleep(2.5)
        # Member 1 still trains (its heartbeat keeps the run's fresh): member 0's silence alone
        # fails the run.
        assert TrainingMember.objects.get(run=run, index=1).state == TrainingMember.State.RUNNING
        assert lifecycle.expire_stale_runs() == 1
        run.refresh_from_db()
        assert run.state == TrainingRun.State.FAILED and "member" in run.message
        assert lifecycle.current_run() is None  # the lock is free
        # The surviving member notices at its next epoch and stops; its worker lives on.
        wait_for(
            lambda: (
                TrainingMember.objects.get(run=run, index=1).state == TrainingMember.State.FAILED
            ),
            f"member 1 to stop\n{workers.logs()}",
            timeout=60,
        )
        assert survivor.process.poll() is None
    assert registry.active_version() == first
    assert ModelVersion.objects.count() == 1
    assert model_server.refresh().version_id == first.pk
    assert not lifecycle.staging_dir(run.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_a_redis_restart_while_members_train_frees_the_lock_and_keeps_the_old_model(
    tmp_path, redis, settings
):
    """Redis restarts empty (no persistence) mid-run: the chord's count of finished members is
    gone with it, so the callback never comes. The run must not hold the lock: once no member
    trains its heartbeat stops and it fails after the stale timeout; the old model serves."""
    populate_site()
    settings.SPIKELENS_TRAINING_MEMBERS = 1
    first = _train_in_process()
    settings.SPIKELENS_TRAINING_MEMBERS = MEMBERS
    with ExitStack() as stack:
        workers = stack.enter_context(Workers(tmp_path, redis, settings, count=2))
        run = retrain(redis, TrainingOptions(epochs=60, promotion="always"))
        wait_for(
            lambda: TrainingMember.objects.filter(run=run, epoch__gte=2).exists(),
            f"a member to train\n{workers.logs()}",
        )
        redis.stop()
        time.sleep(10)
        redis.start()
        wait_for(
            lambda: (
                not TrainingMember.objects.filter(
                    run=run, state=TrainingMember.State.RUNNING
                ).exists()
            ),
            f"the members to end\n{workers.logs()}",
            timeout=480,
        )
        settings.SPIKELENS_TRAINING_STALE_SECONDS = 2
        time.sleep(3)
        lifecycle.expire_stale_runs()
        run.refresh_from_db()
        assert run.state in (TrainingRun.State.FAILED, TrainingRun.State.SUCCEEDED), run.state
        assert lifecycle.current_run() is None
        assert all(worker.process.poll() is None for worker in workers.all)
        if run.state == TrainingRun.State.FAILED:
            assert registry.active_version() == first
            assert ModelVersion.objects.count() == 1
            assert not lifecycle.staging_dir(run.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_a_solo_worker_trains_each_member_over_two_ranks(tmp_path, redis, settings):
    """SPIKELENS_MEMBER_RANKS=2: the member task starts two data-parallel ranks from its solo
    worker; the run ends as any run does (the member itself is one process's member up to
    float sums: tests/training/test_member_ranks.py)."""
    populate_site()
    options = TrainingOptions(epochs=3, promotion="always")
    with Workers(tmp_path, redis, settings, count=1, SPIKELENS_MEMBER_RANKS="2") as workers:
        run = wait_until_over(retrain(redis, options), workers)
        assert run.state == TrainingRun.State.SUCCEEDED, (run.message, workers.logs())
        assert member_ranks_mentioning(settings.SPIKELENS_ARTIFACTS_DIR) == []
        log = workers.logs()
    for member in run.members.order_by("index"):
        assert member.state == TrainingMember.State.DONE and member.epoch == 3
        assert f"Training run {run.pk}, member {member.index}: epoch 3/3, loss" in log
    assert registry.active_version() == run.model_version
    assert run.history[-1]["metric"] is not None
    assert not lifecycle.staging_dir(run.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_stopping_a_worker_ends_its_members_ranks(tmp_path, redis, settings):
    """SIGTERM (Celery's warm shutdown) reaches the worker, not the ranks' launcher: the member
    stops at its next epoch, its ranks are ended, the run fails as stopped, the worker exits."""
    from webapp.recommender.runs.execution import STOPPED_MESSAGE

    populate_site()
    with Workers(tmp_path, redis, settings, count=1, SPIKELENS_MEMBER_RANKS="2") as workers:
        run = retrain(redis, TrainingOptions(epochs=400, promotion="always"))
        wait_for(
            lambda: TrainingMember.objects.filter(run=run, epoch__gte=1).exists(),
            f"a member to train\n{workers.logs()}",
        )
        assert len(member_ranks_mentioning(settings.SPIKELENS_ARTIFACTS_DIR)) == 2
        worker = workers.all[0]
        worker.process.send_signal(signal.SIGTERM)
        worker.process.wait(timeout=30)
    run.refresh_from_db()
    assert run.state == TrainingRun.State.FAILED and run.message == STOPPED_MESSAGE
    assert member_ranks_mentioning(settings.SPIKELENS_ARTIFACTS_DIR) == []
    assert lifecycle.current_run() is None


def _train_in_process() -> ModelVersion:
    """The first model, trained in this process the way ``manage.py train_model`` does."""
    from webapp.recommender.runs.execution import execute_training_run

    run = lifecycle.open_run(TrainingOptions(promotion="always"))
    version = execute_training_run(run.pk).model_version
    assert registry.active_version() == version
    return version
