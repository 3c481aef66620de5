"""What the long-running benchmarks need in the database before the stack starts: the
catalogue, model versions to promote, and visitors with sessions and a rating history."""

from __future__ import annotations

import contextlib
import random
import threading
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction

from bench.http import Visitor, request, visitor_for
from recsys.serving.artifact import MANIFEST, SERVING_DIR
from webapp.accounts.models import Profile
from webapp.catalog.models import Genre, Movie, Rating
from webapp.catalog.stats import refresh_movie_stats
from webapp.recommender.models import ModelVersion
from webapp.recommender.runs import lifecycle
from webapp.recommender.runs.lifecycle import TrainingOptions


def ensure_catalogue(stdout) -> None:
    """Migrate, and import MovieLens-100K when the catalogue is empty."""
    call_command("migrate", interactive=False, verbosity=0)
    if not Movie.objects.exists():
        call_command("import_movielens", stdout=stdout)


def is_mapped(version: ModelVersion) -> bool:
    """Whether the version's artifact carries its serving matrices (written by this code), so a
    web process maps it: how the benchmarks see which version a worker holds."""
    manifest = Path(version.artifact_path) / MANIFEST
    return manifest.is_file() and f'"{SERVING_DIR}/' in manifest.read_text()


def train_version(epochs: int | None, promotion: str = "never") -> ModelVersion:
    """Train one version in this process, as ``manage.py train_model`` does."""
    from webapp.recommender.runs.execution import execute_training_run

    run = lifecycle.open_run(TrainingOptions(epochs=epochs, promotion=promotion))
    done = execute_training_run(run.pk)
    if done is None or done.model_version is None:
        raise RuntimeError(f"training run {run.pk} made no version: {done and done.message}")
    return done.model_version


def two_versions(epochs: int | None, stdout) -> tuple[ModelVersion, ModelVersion]:
    """The two newest versions that load mapped and are not flagged broken, trained now when
    there are fewer."""
    usable = [
        v
        for v in ModelVersion.objects.filter(broken_at=None).order_by("-created_at", "-pk")[:20]
        if is_mapped(v)
    ][:2]
    while len(usable) < 2:
        stdout.write(f"   training a version to promote ({epochs or 'preset'} epochs)…")
        usable.append(train_version(epochs))
    return usable[0], usable[1]


def make_visitors(count: int, prefix: str, n_ratings: int = 20, seed: int = 0) -> list:
    """``count`` onboarded people named ``prefix-<i>``, each with ``n_ratings`` ratings of
    popular movies (their picks are personal), and a session each: [(user, Visitor)]."""
    User = get_user_model()
    rng = random.Random(seed)
    popular = list(Movie.objects.popular().values_list("pk", flat=True)[:300])
    genres = list(Genre.objects.order_by("name"))
    people = []
    for index in range(count):
        with transaction.atomic():
            user, _ = User.objects.get_or_create(username=f"{prefix}-{index}")
            profile, _ = Profile.objects.get_or_create(user=user)
            profile.onboarded = True
            profile.save()
            profile.favourite_genres.set(rng.sample(genres, k=min(2, len(genres))))
            if not Rating.objects.filter(user=user).exists():
                chosen = rng.sample(popular, k=min(n_ratings, len(popular)))
                Rating.objects.bulk_create(
                    Rating(user=user, movie_id=pk, score=rng.randint(1, 5)) for pk in chosen
                )
                refresh_movie_stats(chosen)
        people.append((user, visitor_for(user)))
    return people


def poker(base_url: str, visitors: list[Visitor], at_once: int = 4):
    """A ``poke()`` that asks for the home page as ``at_once`` visitors together: logged-in
    requests are what make a web worker check which version is active, and several at once
    reach every worker."""

    def one(visitor: Visitor) -> None:
        with contextlib.suppress(OSError):  # a poke that fails is just not a poke
            request(base_url, "GET", "/", headers=visitor.headers(), timeout=60)

    def poke() -> None:
        threads = [
            threading.Thread(target=one, args=(visitors[i % len(visitors)],))
            for i in range(at_once)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    return poke
