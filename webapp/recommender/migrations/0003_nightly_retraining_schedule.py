"""A nightly retraining schedule, created switched off: an admin turns it on under Periodic tasks."""

import json

from django.db import migrations

TASK_NAME = "Nightly retraining"


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="30", hour="3", day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC"
    )
    PeriodicTask.objects.get_or_create(
        name=TASK_NAME,
        defaults={
            "task": "spikelens.retrain_on_schedule",
            "crontab": crontab,
            "kwargs": json.dumps({"mode": "local"}),
            "enabled": False,
            "description": "Retrain the recommender from the site's ratings every night at 03:30 UTC "
            "and promote the new version if it passes the nDCG@10 gate.",
        },
    )
    stale_check, _ = apps.get_model("django_celery_beat", "IntervalSchedule").objects.get_or_create(
        every=1, period="minutes"
    )
    PeriodicTask.objects.get_or_create(
        name="Expire silent training runs",
        defaults={
            "task": "spikelens.expire_stale_training_runs",
            "interval": stale_check,
            "enabled": True,
            "description": "Marks a training run failed when its worker stopped reporting.",
        },
    )


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(
        name__in=[TASK_NAME, "Expire silent training runs"]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("recommender", "0002_training_run"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
