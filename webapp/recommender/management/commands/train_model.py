"""``manage.py train_model``: the admin's retraining pipeline, in the foreground, with a progress bar."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from webapp.recommender import registry
from webapp.recommender.models import TrainingRun
from webapp.recommender.runs import lifecycle
from webapp.recommender.runs.execution import execute_training_run


class Command(BaseCommand):
    help = (
        "Train a model version from the database, evaluate it, store it, and promote it if it "
        "passes the gate. Holds the same lock as admin-triggered runs."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--epochs", type=int, help="override the configured number of epochs")
        parser.add_argument("--mode", choices=sorted(lifecycle.MODES), default="local")
        parser.add_argument(
            "--promote",
            choices=lifecycle.PROMOTION_CHOICES,
            default="gate",
            help="gate: promote if nDCG@10 is not worse than the active version's (default)",
        )
        parser.add_argument(
            "--if-none-active",
            action="store_true",
            help="do nothing when a version is already active (for scripts that want one model)",
        )

    def handle(self, *args, epochs, mode, promote, if_none_active, **options) -> None:
        if if_none_active and (active := registry.active_version()) is not None:
            self.stdout.write(f"Model version {active.name} is active; not training.")
            return
        try:
            run = lifecycle.open_run(
                lifecycle.TrainingOptions(epochs=epochs, mode=mode, promotion=promote),
                trigger=TrainingRun.Trigger.COMMAND,
            )
        except (ValueError, lifecycle.TrainingAlreadyRunning) as exc:
            raise CommandError(str(exc)) from exc

        with tqdm(
            total=100, desc="Training", unit="%", bar_format="{l_bar}{bar}| {postfix}"
        ) as bar:

            def show(event) -> None:
                bar.n = round(100 * event.fraction)
                bits = [str(event.stage)]
                if event.epoch:
                    bits.append(f"epoch {event.epoch}/{event.total_epochs}")
                if event.loss is not None:
                    bits.append(f"loss {event.loss:.4f}")
                if event.metric_value is not None:
                    bits.append(f"{event.metric_name} {event.metric_value:.4f}")
                bar.set_postfix_str(", ".join(bits))

            try:
                finished = execute_training_run(run.pk, listener=show)
            except Exception as exc:
                raise CommandError(f"Training failed: {exc}") from exc
        self.stdout.write(self.style.SUCCESS(finished.message))
