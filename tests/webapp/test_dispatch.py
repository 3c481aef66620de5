"""Training runs reach the task queue only once the transaction that opened them commits."""

from __future__ import annotations

import pytest
from django.db import transaction

from webapp.celery import app
from webapp.recommender.models import TrainingRun
from webapp.recommender.runs import dispatch
from webapp.recommender.runs.lifecycle import TrainingOptions


@pytest.mark.django_db(transaction=True)
def test_a_run_is_sent_after_commit_and_remembers_its_task(sent, settings):
    with transaction.atomic():
        run = dispatch.request_training(TrainingOptions())
        assert sent == []  # not committed yet: a worker could not find the run
    assert sent == [(dispatch.EXECUTE_RUN_TASK, [run.pk], settings.SPIKELENS_TRAINING_QUEUE)]
    run.refresh_from_db()
    assert run.state == TrainingRun.State.QUEUED and run.celery_task_id == "task-1"


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_request_sends_nothing_and_leaves_no_run(sent):
    with pytest.raises(RuntimeError), transaction.atomic():
        dispatch.request_training(TrainingOptions())
        raise RuntimeError("the request failed after opening the run")
    assert sent == [] and not TrainingRun.objects.exists()


def test_the_task_dispatch_sends_to_is_registered_with_the_worker_app():
    app.loader.import_default_modules()
    assert dispatch.EXECUTE_RUN_TASK in app.tasks
