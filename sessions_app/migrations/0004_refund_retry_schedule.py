"""Seed the periodic retry of automatic refunds the payment service refused or did not answer."""

from django.db import migrations

TASK = "sessions_app.maintenance.refunds_failed_retry"


def seed(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every, _ = IntervalSchedule.objects.get_or_create(every=10, period="minutes")
    PeriodicTask.objects.get_or_create(
        name="Payments: retry automatic refunds that did not go through",
        defaults={"task": TASK, "interval": every, "queue": "default", "enabled": True},
    )


def unseed(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(task=TASK).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("sessions_app", "0003_transition_state_labels"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
