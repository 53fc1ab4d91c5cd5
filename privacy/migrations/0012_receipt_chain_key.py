"""Key the deletion-receipt chain (P10) and anchor its head outside the database daily.

Receipts written so far keep the plain SHA-256 they were made with (`hash_scheme` "sha256");
every later one is an HMAC with settings.RECEIPT_CHAIN_KEY. The daily `receipts_anchor` task
signs a checkpoint of the chain's head, emails it to the privacy contact and logs it.
"""

from django.db import migrations, models

SCHEME_CHOICES = [
    ("sha256", "SHA-256 (before the chain was keyed)"),
    ("hmac-sha256", "HMAC-SHA256 with the chain key"),
]
TASK_NAME = "Deletion receipts anchor"


def schedule_anchor(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_day, _ = IntervalSchedule.objects.get_or_create(every=1, period="days")
    PeriodicTask.objects.get_or_create(
        name=TASK_NAME,
        defaults={
            "task": "privacy.tasks.receipts_anchor",
            "interval": every_day,
            "queue": "default",
            "description": (
                "Signs a checkpoint of the deletion-receipt chain's head and emails it to the "
                "privacy contact, so that a truncated or rewritten chain shows (P10)."
            ),
        },
    )


def unschedule_anchor(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("privacy", "0010_retention_for_every_session"),
        # Another 0011 follows 0010 too; depending on it keeps one line of migrations.
        ("privacy", "0011_staff_group_permissions"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        # The rows already there were hashed without the key.
        migrations.AddField(
            model_name="deletionreceipt",
            name="hash_scheme",
            field=models.CharField(
                choices=SCHEME_CHOICES, default="sha256", max_length=16, verbose_name="hash scheme"
            ),
        ),
        migrations.AlterField(
            model_name="deletionreceipt",
            name="hash_scheme",
            field=models.CharField(
                choices=SCHEME_CHOICES,
                default="hmac-sha256",
                max_length=16,
                verbose_name="hash scheme",
            ),
        ),
        migrations.RunPython(schedule_anchor, unschedule_anchor),
    ]
