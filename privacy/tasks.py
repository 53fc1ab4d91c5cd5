"""Privacy tasks: thin, take ids, idempotent."""

from celery import shared_task

from . import services
from .models import DataExport, DataSubjectRequest


@shared_task
def export_build(export_id: int) -> None:
    """Build a customer's export zip and email the expiring link (once)."""
    export = DataExport.objects.select_related("user", "request").filter(pk=export_id).first()
    if export is None or export.status != DataExport.Status.PENDING:
        return
    try:
        export = services.export_build(export=export)
    except Exception:
        DataExport.objects.filter(pk=export_id).update(status=DataExport.Status.FAILED)
        raise
    services.export_notify(export=export)


@shared_task
def dsr_erasure_run(request_id: int) -> None:
    """Carry out a verified erasure request; a legal hold leaves it pending until released."""
    dsr = DataSubjectRequest.objects.select_related("user").filter(pk=request_id).first()
    if dsr is None or dsr.user is None or dsr.status != DataSubjectRequest.Status.IN_PROGRESS:
        return
    # The request's own address goes with the account; the closing email still reaches it.
    requester = dsr.email
    complete = services.account_erase(user=dsr.user, reason="request")
    if complete:
        services.dsr_close(dsr=dsr, to=requester)


@shared_task
def retention_sweep() -> dict:
    """The scheduled retention sweep (django-celery-beat, seeded by a migration); its outcome
    goes to the audit log, where the back office and the operators' alerts read it."""
    return services.sweep.retention_sweep_scheduled()


def _anchor_gave_up(task, exc, task_id, args, kwargs, einfo) -> None:
    """Celery's failure hook: called once the last retry has failed (never on a retry)."""
    services.receipts.receipts_anchor_failed(exc)


@shared_task(autoretry_for=(OSError,), retry_backoff=300, max_retries=5, on_failure=_anchor_gave_up)
def receipts_anchor() -> dict:
    """Anchor the deletion-receipt chain's head outside the database (daily, django-celery-beat,
    seeded by a migration). Safe to run again: each run signs one more checkpoint."""
    return services.receipts.receipts_anchor()
