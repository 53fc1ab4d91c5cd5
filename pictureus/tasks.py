"""The project's own periodic tasks (django-celery-beat, seeded by a migration)."""

from celery import shared_task

from pictureus.backoffice.alerts import operator_alerts_send as alerts_send


@shared_task(name="pictureus.tasks.operator_alerts_send")
def operator_alerts_send() -> list[str]:
    """Email the operators about what needs them, each occurrence once."""
    return alerts_send()
