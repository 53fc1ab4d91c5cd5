from celery import shared_task

from . import services


@shared_task(name="sessions_app.maintenance.refunds_failed_retry")
def refunds_failed_retry() -> dict:
    """Scheduled: try again the automatic refunds that did not go through."""
    return services.refunds_failed_retry()
