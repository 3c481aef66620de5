"""The per-process model server: background loading, hot swap, and uploads embedded on the fly."""

from __future__ import annotations

import gc
import time
import weakref
from pathlib import Path

import pytest

from recsys.serving import UserQuery
from tests.factories.site_data import populate_site
from webapp.catalog.models import Genre, Movie
from webapp.recommender import registry
from webapp.recommender.runs import lifecycle
from webapp.recommender.runs.execution import execute_training_run
from webapp.recommender.runs.lifecycle import TrainingOptions
from webapp.recommender.serving import ModelServer

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def small_models(settings, tmp_path):
    settings.SPIKELENS_TRAINING_PRESET = "small"
    settings.SPIKELENS_ARTIFACTS_DIR = tmp_path / "artifacts"


def train(promotion: str = "gate"):
    run = lifecycle.open_run(TrainingOptions(promotion=promotion))
    return execute_training_run(run.pk).model_version


def wait_for_version(server: ModelServer, version_id: int, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        served = server.current()
        if served is not None and served.version_id == version_id:
            return served
        time.sleep(0.05)
    raise AssertionError(f"version {version_id} was not served within {timeout}s")


@pytest.mark.django_db(transaction=True)
def test_background_refresh_never_blocks_a_request_and_swaps_when_ready(settings):
    settings.SPIKELENS_BACKGROUND_MODEL_REFRESH = True
    populate_site()
    first = train()
    server = ModelServer(check_seconds=0)
    assert server.current() is None  # the first request does not wait for the load
    wait_for_version(server, first.pk)

    second = train(promotion="always")
    assert registry.active_version() == second
    served = server.current()
    assert served is not None  # a model is always there while the new one loads
    assert wait_for_version(server, second.pk).name == second.name


@pytest.mark.django_db
def test_check_interval_limits_database_checks(django_assert_num_queries):
    populate_site()
    first = train()
    server = ModelServer(check_seconds=3600)
    assert server.current().version_id == first.pk  # first call checks (synchronously in tests)
    with django_assert_num_queries(0):
        for _ in range(20):
            assert server.current().version_id == first.pk


@pytest.mark.django_db
def test_movie_uploaded_after_training_becomes_recommendable(settings):
    site = populate_site()
    train()
    server = ModelServer(check_seconds=0)
    served = server.current()
    fresh = Movie.objects.create(
        title="Brand New Horror", year=2026, description="A haunted house."
    )
    fresh.genres.add(Genre.objects.get(name="Horror"))
    assert not served.recommender.has_item(fresh.pk)

    served = server.current()
    assert served.recommender.has_item(fresh.pk)
    horror_fan = next(u for u in site.users if site.taste_of[u.pk] == "Horror")
    everything = served.recommender.recommend(UserQuery(user_id=horror_fan.pk), k=1000)
    assert fresh.pk in {item.movie_id for item in everything}
    assert served.recommender.similar_items(fresh.pk, k=3)


def _maps_of(folder: Path) -> list[str]:
    """Lines of /proc/self/maps that map one of ``folder``'s files."""
    with open("/proc/self/maps") as maps:
        return [line for line in maps if f"{folder}/" in line]


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs Linux /proc")
@pytest.mark.django_db
def test_a_swap_maps_the_new_version_and_frees_every_object_of_the_old_one():
    """Reference counting alone frees the old version (no cycle waits for the collector),
    and its files are unmapped: nothing of it stays in the process after the swap."""
    populate_site()
    first = train()
    second = train(promotion="never")
    server = ModelServer(check_seconds=0)
    old = server.refresh()
    assert old.version_id == first.pk and _maps_of(Path(first.artifact_path))
    recommender = old.recommender
    recommender.recommend(UserQuery(ratings={Movie.objects.first().pk: 5}), k=5)
    alive = [weakref.ref(o) for o in (old, recommender, recommender.model, recommender._index)]
    alive += [weakref.ref(recommender.builder), weakref.ref(recommender._integrate)]
    alive += [weakref.ref(p) for p in recommender.model.parameters()]
    del old, recommender
    gc.collect()
    gc.disable()
    try:
        registry.promote(second)
        served = server.refresh()
        assert served.version_id == second.pk
        assert _maps_of(Path(second.artifact_path))
        assert [ref() for ref in alive] == [None] * len(alive)
        assert not _maps_of(Path(first.artifact_path))
    finally:
        gc.enable()
