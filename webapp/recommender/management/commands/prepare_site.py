"""``manage.py prepare_site``: make a fresh database ready to serve (used by ``make run``)."""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand

from webapp.catalog.models import Movie
from webapp.celery import declare_task_queues


class Command(BaseCommand):
    help = (
        "Import MovieLens-100K when the catalogue is empty and train the first model when no "
        "version is active. Safe to run on every start."
    )

    def handle(self, *args, **options) -> None:
        queues = declare_task_queues()
        self.stdout.write(f"Task queues ready on the broker: {', '.join(queues)}.")
        if Movie.objects.exists():
            self.stdout.write("Catalogue already holds movies; skipping the MovieLens import.")
        else:
            call_command("import_movielens", stdout=self.stdout, stderr=self.stderr)
        call_command("train_model", if_none_active=True, stdout=self.stdout, stderr=self.stderr)
