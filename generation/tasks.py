"""GPU tasks: thin, take ids, idempotent, retried with backoff on outside errors.

The work itself is in generation.pipeline.jobs, imported inside the task bodies so that
importing this module, as the web process does to send tasks, stays light (no torch).
"""

import logging
import random

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError, InterfaceError

from .services import watchdog
from .services.checks import JobCancelled
from .services.jobs import (
    MAX_ATTEMPTS,
    job_begin,
    job_cancelled,
    job_enqueue,
    job_fail_and_refund,
    job_requeue_after_error,
)

logger = logging.getLogger(__name__)

MAX_RETRIES = MAX_ATTEMPTS - 1


def is_outside_error(exc: BaseException) -> bool:
    """Errors from outside the code (memory, storage, network, database): worth a retry."""
    if isinstance(exc, (OSError, MemoryError, ConnectionError, DatabaseError, InterfaceError)):
        return not isinstance(exc, (FileNotFoundError, IsADirectoryError))
    if isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower():
        return True
    try:
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:  # pragma: no cover - S3 support not installed
        return False
    return isinstance(exc, (BotoCoreError, ClientError))


def _run(task, job_id: int, body, *, follows: bool = False):
    """Claim the job, run `body(job)` and settle its outcome; returns what the body returned.

    `follows`: the job was queued by the job this task ran before it (generation after
    training, in the same worker). Its retry is then a message of its own, not this task's."""
    job = job_begin(job_id=job_id, worker=task.request.hostname or "")
    if job is None:
        return None
    try:
        return body(job)
    except JobCancelled as exc:
        logger.info("job %s stopped: %s", job_id, exc)
        job_cancelled(job_id=job_id, reason=str(exc))
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        retries = 0 if follows else task.request.retries
        if is_outside_error(exc) and retries < task.max_retries:
            countdown = settings.PICTUREUS_RETRY_BACKOFF_SECONDS * 2**retries
            countdown += random.uniform(0, countdown / 4)
            logger.warning("job %s: %s; retry in %.0fs", job_id, error, countdown)
            job_requeue_after_error(job_id=job_id, error=error, retry_in=countdown)
            if follows:
                job_enqueue(job=job, countdown=countdown)
                return None
            raise task.retry(exc=exc, countdown=countdown) from exc
        logger.exception("job %s failed for good", job_id)
        job_fail_and_refund(job_id=job_id, error=error)
    return None


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)
def train_lora(self, job_id: int) -> None:
    """Train the session's LoRA, resuming from its last checkpoint if there is one; then, in
    this worker while its base model is loaded, generate the portraits."""
    from .pipeline import jobs

    generation = _run(self, job_id, jobs.train)
    if generation is not None and settings.PICTUREUS_GENERATE_AFTER_TRAINING:
        # Its own task message is queued too: whichever comes first runs it, the other finds
        # it running or done and does nothing.
        _run(self, generation.pk, jobs.generate, follows=True)


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)
def generate(self, job_id: int) -> None:
    """Generate the session's portraits (or one style again) with its own LoRA."""
    from .pipeline import jobs

    _run(self, job_id, jobs.generate)


# Named outside "generation.tasks.*" so it runs on the default queue, not behind GPU work.
@shared_task(name="generation.maintenance.jobs_stale_check")
def jobs_stale_check(
    stale_after_seconds: int | None = None, lost_after_seconds: int | None = None
) -> dict:
    """Requeue running jobs whose worker stopped reporting, or fail them at the limit; send
    queued jobs whose message was lost again."""
    from datetime import timedelta

    def seconds(value):
        return None if value is None else timedelta(seconds=value)

    return watchdog.jobs_stale_check(
        stale_after=seconds(stale_after_seconds), lost_after=seconds(lost_after_seconds)
    )
