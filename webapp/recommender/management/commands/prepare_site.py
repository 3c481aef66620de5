"""``manage.py prepare_site``: make a fresh database ready to serve (used by ``make run``).

It never trains: when no model version is active it queues the first training run, which the
Celery worker carries out while the site already serves popular movies. Why: training takes
minutes (far more on a busy machine), and a visitor should not wait for it to see the site.
"""

from __future__ import annotations

import time

from django.core.management import call_command
from django.core.management.base import BaseCommand

from webapp.catalog.models import Movie
from webapp.celery import declare_task_queues
from webapp.recommender import registry
from webapp.recommender.models import TrainingRun
from webapp.recommender.runs import dispatch, lifecycle


class Command(BaseCommand):
    help = (
        "Import MovieLens-100K when the catalogue is empty and queue the first training run "
        "when no model version is active (a worker trains it). Safe to run on every start."
    )

    def handle(self, *args, **options) -> None:
        queues = declare_task_queues()
        self.stdout.write(f"Task queues ready on the broker: {', '.join(queues)}.")
        if Movie.objects.exists():
            self.stdout.write("The catalogue already holds movies; skipping the MovieLens import.")
        else:
            started = time.monotonic()
            call_command("import_movielens", stdout=self.stdout, stderr=self.stderr)
            self.stdout.write(f"MovieLens imported in {time.monotonic() - started:.0f} s.")
        self.queue_first_training()

    def queue_first_training(self) -> TrainingRun | None:
        """Queue a training run when nothing serves and nothing is training; say what is true."""
        active = registry.active_version()
        if active is not None:
            self.stdout.write(f"Model version {active.name} serves the picks.")
            return None
        lifecycle.expire_stale_runs()
        current = lifecycle.current_run()
        if current is not None:
            self.stdout.write(
                f"Training run #{current.pk} is already {current.get_state_display().lower()}; "
                "the site serves popular movies until it finishes."
            )
            return None
        try:
            run = dispatch.request_training(
                lifecycle.TrainingOptions(), trigger=TrainingRun.Trigger.COMMAND
            )
        except lifecycle.TrainingAlreadyRunning as exc:  # another process queued one just now
            self.stdout.write(str(exc))
            return None
        except dispatch.TrainingNotQueued as exc:
            self.stderr.write(self.style.WARNING(f"{exc} The site serves popular movies."))
            return None
        self.stdout.write(
            f"Queued training run #{run.pk} for the first model: the worker trains it in the "
            "background while the site serves popular movies; the home page shows its progress."
        )
        return run
