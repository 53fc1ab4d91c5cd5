"""Jobs whose worker went silent, or whose task message the broker lost: sent again, requeued
or failed."""

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from generation.models import GenerationJob
from sessions_app.models import PhotoSession

from .jobs import MAX_ATTEMPTS, STALE_AFTER, job_enqueue, job_fail_and_refund, job_retry

logger = logging.getLogger(__name__)
State = PhotoSession.State


# A queued job sent this long ago that the workers have passed over lost its task message.
LOST_AFTER = timedelta(minutes=15)


def jobs_lost_in_queue(*, sent_before: datetime, busy_since: datetime) -> list[int]:
    """Queued jobs whose task message, sent before `sent_before`, is gone (a flushed broker).

    The broker hands messages to the GPU workers in the order they were sent. So a job lost its
    message when a job sent after it has been taken by a worker since, or when no worker has
    reported progress on any job since `busy_since`; a job merely waiting behind others on busy
    workers is neither.
    """
    waiting = GenerationJob.objects.filter(
        state=GenerationJob.State.QUEUED, enqueued_at__lte=sent_before
    )
    busy = GenerationJob.objects.filter(
        state=GenerationJob.State.RUNNING, heartbeat_at__gt=busy_since
    ).exists()
    if busy:
        taken_later = GenerationJob.objects.filter(
            enqueued_at__gt=OuterRef("enqueued_at"), heartbeat_at__gte=F("enqueued_at")
        )
        waiting = waiting.filter(Exists(taken_later))
    return list(waiting.order_by("enqueued_at", "id").values_list("pk", flat=True))


@transaction.atomic
def job_resend(*, job_id: int, sent_before: datetime) -> bool:
    """Send a queued job's task again; False when a worker took it (or it was sent) meanwhile.

    Should the old message turn up after all, job_begin lets only one of the two run the job.
    """
    job = (
        GenerationJob.objects.select_for_update()
        .filter(pk=job_id, state=GenerationJob.State.QUEUED, enqueued_at__lte=sent_before)
        .first()
    )
    if job is None:
        return False
    job_enqueue(job=job)
    return True


@transaction.atomic
def job_stale_handle(*, job_id: int, silent_since: datetime) -> str:
    """Requeue a running job silent since `silent_since`, or fail it at the limit; "" when it
    reported progress or finished meanwhile (it is alive: requeueing would stop it)."""
    job = (
        GenerationJob.objects.select_for_update()
        .filter(pk=job_id, state=GenerationJob.State.RUNNING, heartbeat_at__lte=silent_since)
        .first()
    )
    if job is None:
        return ""
    if job.attempts >= MAX_ATTEMPTS:
        job_fail_and_refund(job_id=job.pk, error="no progress: the worker was lost repeatedly")
        return "failed"
    job_retry(job_id=job.pk)
    return "requeued"


def jobs_stale_check(
    *, stale_after: timedelta | None = None, lost_after: timedelta | None = None
) -> dict[str, list[int]]:
    """Requeue running jobs that stopped reporting (a lost worker), or fail them at the limit;
    send queued jobs whose task message was lost (a flushed broker) again."""
    now = timezone.now()
    silent_since = now - (STALE_AFTER if stale_after is None else stale_after)
    sent_before = now - (LOST_AFTER if lost_after is None else lost_after)
    # Before the stale ones are requeued: those are sent now, not lost.
    lost = jobs_lost_in_queue(sent_before=sent_before, busy_since=silent_since)
    resent = [pk for pk in lost if job_resend(job_id=pk, sent_before=sent_before)]
    outcomes: dict[str, list[int]] = {"requeued": [], "failed": []}
    stale = GenerationJob.objects.filter(
        state=GenerationJob.State.RUNNING, heartbeat_at__lte=silent_since
    )
    for pk in stale.values_list("pk", flat=True):
        outcome = job_stale_handle(job_id=pk, silent_since=silent_since)
        if outcome:
            outcomes[outcome].append(pk)
    if resent or outcomes["requeued"] or outcomes["failed"]:
        logger.warning(
            "stale jobs: requeued %s, failed %s; lost messages sent again: %s",
            outcomes["requeued"],
            outcomes["failed"],
            resent,
        )
    return {**outcomes, "resent": resent}
