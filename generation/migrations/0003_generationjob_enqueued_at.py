"""When a job's task message was last sent, so that a queued job whose message was lost is found."""

from django.db import migrations, models


def jobs_waiting_were_sent_when_created(apps, schema_editor):
    # The best estimate for jobs already waiting: their message went out when they were made.
    GenerationJob = apps.get_model("generation", "GenerationJob")
    GenerationJob.objects.filter(state="queued", enqueued_at__isnull=True).update(
        enqueued_at=models.F("created_at")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("generation", "0002_stale_job_check_schedule"),
    ]

    operations = [
        migrations.AddField(
            model_name="generationjob",
            name="enqueued_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="sent to the queue at"),
        ),
        migrations.RunPython(jobs_waiting_were_sent_when_created, migrations.RunPython.noop),
    ]
