"""A generation job's life: started for a session, claimed by a worker, progressing, cancelled,
retried after an outside error, failed and refunded; training finished."""

import logging
import uuid
from datetime import timedelta
from functools import partial

from celery import current_app
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.models import User
from generation.models import GenerationJob, Portrait, TrainingArtifact
from privacy import services as privacy_services
from sessions_app import services as sessions_services
from sessions_app.models import PhotoSession

from .addon_refunds import addon_settle
from .checks import consent_problem, job_check_may_continue
from .erasure import Reason, artifact_receipt_category, portrait_erase, session_artifacts_delete
from .notify import email_customer
from .plans import candidates_per_style, training_steps_for

logger = logging.getLogger(__name__)
State = PhotoSession.State


# Why a job moved its session, kept in English in the session's history with the job's number
# ("job failed #12") and shown in the reader's language in the back office.
JOB_STARTED: dict[str, str] = {
    GenerationJob.Kind.TRAINING: gettext_noop("training started"),
    GenerationJob.Kind.GENERATION: gettext_noop("generation started"),
}


JOB_FAILED = gettext_noop("job failed")


# A running job that reports no progress for this long is treated as lost (worker killed).
STALE_AFTER = timedelta(minutes=15)


MAX_ATTEMPTS = 3

# The session states in which a job of each kind may start; in any other the job does nothing.
RUNS_WHEN_SESSION_IS: dict[str, tuple[str, ...]] = {
    GenerationJob.Kind.TRAINING: (State.QUEUED, State.TRAINING),
    GenerationJob.Kind.GENERATION: (State.TRAINING, State.GENERATING),
    GenerationJob.Kind.REGENERATION: (State.DELIVERED,),
    GenerationJob.Kind.ADDON: (State.DELIVERED, State.ORIGINALS_DELETED),
}

# The state a session shows while its job runs (add-ons and regenerations leave it delivered).
SESSION_STATE_WHILE_RUNNING: dict[str, str] = {
    GenerationJob.Kind.TRAINING: State.TRAINING,
    GenerationJob.Kind.GENERATION: State.GENERATING,
}


@transaction.atomic
def session_submit(*, photo_session: PhotoSession, actor: User | None = None) -> PhotoSession:
    """The customer sends a session with enough photos: it is queued and its training starts,
    both or neither."""
    queued = sessions_services.session_queue(photo_session=photo_session, actor=actor)
    session_start(photo_session=queued)
    photo_session.state = queued.state
    return queued


@transaction.atomic
def session_start(*, photo_session: PhotoSession) -> GenerationJob | None:
    """Queue the LoRA training of a session that has just entered `queued`.

    Idempotent: a session with a training job already waiting or running gets no second one.
    The task is sent only after the surrounding transaction commits.
    """
    photo_session = PhotoSession.objects.select_for_update().get(pk=photo_session.pk)
    if photo_session.state != State.QUEUED:
        logger.warning(
            "session %s is %s, not queued: training not started",
            photo_session.pk,
            photo_session.state,
        )
        return None
    existing = photo_session.generation_jobs.filter(
        kind=GenerationJob.Kind.TRAINING, state__in=GenerationJob.ACTIVE_STATES
    ).first()
    if existing:
        return existing
    job = GenerationJob.objects.create(
        photo_session=photo_session,
        kind=GenerationJob.Kind.TRAINING,
        progress_total=training_steps_for(photo_session.plan),
    )
    job_enqueue(job=job)
    return job


@transaction.atomic
def session_jobs_cancel(*, photo_session: PhotoSession, reason: str) -> int:
    """Stop every waiting or running job of a session; returns how many were stopped.

    Waiting jobs are cancelled at once; a running one sees the flag between two steps and
    stops itself (it also deletes whatever it wrote after this call).
    """
    jobs = list(
        GenerationJob.objects.select_for_update().filter(
            photo_session=photo_session, state__in=GenerationJob.ACTIVE_STATES
        )
    )
    now = timezone.now()
    for job in jobs:
        job.cancel_requested = True
        job.error = reason
        if job.state == GenerationJob.State.QUEUED:
            job.state = GenerationJob.State.CANCELLED
            job.finished_at = now
            addon_settle(job, reason=reason)
        job.save(update_fields=["cancel_requested", "error", "state", "finished_at"])
        if job.celery_task_id:
            task_id = job.celery_task_id
            # Revoking only drops a message still waiting in the queue; the flag does the rest.
            transaction.on_commit(partial(_revoke, task_id))
    # With its jobs stopped the session cannot go on; it waits for the customer again.
    _session_back_to_photos(photo_session, reason=reason)
    if jobs:
        privacy_services.audit_log(
            action="generation.jobs_cancelled",
            subject=photo_session.user,
            obj=photo_session,
            detail={"jobs": [job.pk for job in jobs], "reason": reason},
        )
    return len(jobs)


def job_enqueue(*, job: GenerationJob, countdown: float | None = None) -> None:
    """Send the job's task once the transaction that created or reset it commits (to run in
    `countdown` seconds, when given)."""
    task_id = uuid.uuid4().hex
    # When a retry is due, not when it was sent: what the queue wait counts from.
    now = timezone.now() + timedelta(seconds=countdown or 0)
    GenerationJob.objects.filter(pk=job.pk).update(celery_task_id=task_id, enqueued_at=now)
    job.celery_task_id, job.enqueued_at = task_id, now
    session_touch(job.photo_session_id)

    # By name: tasks import the services, never the reverse (the route sends both to `gpu`).
    name = "train_lora" if job.kind == GenerationJob.Kind.TRAINING else "generate"
    transaction.on_commit(
        lambda: current_app.send_task(
            f"generation.tasks.{name}", args=[job.pk], task_id=task_id, countdown=countdown
        )
    )


def session_touch(photo_session_id: int) -> None:
    # The customer's state label follows the session's job (waiting or running): pages cached
    # on the session's last change, such as "My sessions", are then rendered afresh.
    PhotoSession.objects.filter(pk=photo_session_id).update(updated_at=timezone.now())


def _revoke(task_id: str) -> None:
    try:
        from pictureus.celery import app

        app.control.revoke(task_id)
    except Exception:  # noqa: BLE001 - the cancel flag stops the job even if the broker is away
        logger.warning("could not revoke task %s", task_id, exc_info=True)


@transaction.atomic
def job_begin(*, job_id: int, worker: str) -> GenerationJob | None:
    """Claim a job for this worker; None (with the reason logged) when it must not run."""
    job = (
        GenerationJob.objects.select_for_update()
        .select_related("photo_session__user", "photo_session__plan")
        .filter(pk=job_id)
        .first()
    )
    if job is None:
        logger.warning("job %s does not exist (deleted): nothing to do", job_id)
        return None
    if not job.is_active:
        logger.info("job %s is %s: nothing to do", job.pk, job.state)
        return None
    recent = job.heartbeat_at and job.heartbeat_at > timezone.now() - STALE_AFTER
    if job.state == GenerationJob.State.RUNNING and recent:
        # A duplicate delivery while another worker is on it: that worker keeps the job.
        logger.warning("job %s is running on %s: this copy does nothing", job.pk, job.worker)
        return None
    photo_session = PhotoSession.objects.select_for_update().get(pk=job.photo_session_id)
    expected = RUNS_WHEN_SESSION_IS[job.kind]
    if photo_session.state not in expected:
        logger.warning(
            "job %s: session %s is %s, not %s; the job does nothing",
            job.pk,
            photo_session.pk,
            photo_session.state,
            "/".join(expected),
        )
        job_finish(job=job, state=GenerationJob.State.CANCELLED, error="session in wrong state")
        return None
    if job.cancel_requested:
        job_finish(job=job, state=GenerationJob.State.CANCELLED, error=job.error or "cancelled")
        return None
    problem = consent_problem(photo_session)
    if problem:
        # Refuse before reading a single photo (P02, P16).
        _job_stop_for_privacy(job=job, photo_session=photo_session, problem=problem)
        return None
    target = SESSION_STATE_WHILE_RUNNING.get(job.kind)
    if target and photo_session.state != target:
        session_move(photo_session, target, cause=f"{JOB_STARTED[job.kind]} #{job.pk}")
    elif target:
        session_touch(photo_session.pk)
    now = timezone.now()
    job.state = GenerationJob.State.RUNNING
    job.attempts += 1
    job.worker = worker[:200]
    job.started_at = job.started_at or now
    job.heartbeat_at = now
    job.error = ""
    job.save()
    job.photo_session = photo_session
    return job


def job_progress(
    *, job: GenerationJob, done: int, total: int, seconds_per_unit: float | None = None
) -> None:
    """Record progress; raise JobCancelled when the job must stop (checked between steps)."""
    values = {"progress_done": done, "progress_total": total, "heartbeat_at": timezone.now()}
    if seconds_per_unit is not None:
        values["seconds_per_unit"] = seconds_per_unit
    GenerationJob.objects.filter(pk=job.pk).update(**values)
    job_check_may_continue(job=job)


def job_resumed(*, job: GenerationJob, step: int) -> None:
    """Note the checkpoint step this attempt continues from (shown in admin)."""
    GenerationJob.objects.filter(pk=job.pk).update(
        resumed_from=step, progress_done=step, heartbeat_at=timezone.now()
    )


@transaction.atomic
def job_cancelled(*, job_id: int, reason: str) -> None:
    """A running job stopped itself: erase what it made and close the session (P03)."""
    job = GenerationJob.objects.select_for_update().get(pk=job_id)
    photo_session = PhotoSession.objects.select_for_update().get(pk=job.photo_session_id)
    # Files written after session_artifacts_delete ran (a last checkpoint) are erased too.
    problem = consent_problem(photo_session)
    why = Reason.WITHDRAWAL if problem else Reason.RETENTION
    session_artifacts_delete(photo_session=photo_session, reason=why)
    for portrait in Portrait.objects.filter(job=job):
        portrait_erase(portrait=portrait, reason=why)
    if job.state != GenerationJob.State.FAILED:
        job_finish(job=job, state=GenerationJob.State.CANCELLED, error=job.error or reason)
    if problem:
        _session_back_to_photos(photo_session, reason=problem)


def _job_stop_for_privacy(*, job: GenerationJob, photo_session: PhotoSession, problem: str) -> None:
    job_finish(job=job, state=GenerationJob.State.CANCELLED, error=problem)
    _session_back_to_photos(photo_session, reason=problem)


def _session_back_to_photos(photo_session: PhotoSession, *, reason: str) -> None:
    """Without consent the session waits for the customer again instead of sitting in a queue."""
    photo_session.refresh_from_db(fields=["state"])
    if photo_session.state in (State.QUEUED, State.TRAINING, State.GENERATING):
        session_move(photo_session, State.COLLECTING_PHOTOS, cause=reason[:200])


def job_finish(*, job: GenerationJob, state: str, error: str = "") -> None:
    job.state = state
    job.finished_at = timezone.now()
    if error:
        job.error = error
    job.save(update_fields=["state", "finished_at", "error"])
    if state in (GenerationJob.State.CANCELLED, GenerationJob.State.FAILED):
        # However it ended without its portraits, an add-on job's order is paid back.
        addon_settle(job, reason=job.error)


def session_move(
    photo_session: PhotoSession, to_state: str, *, cause: str, actor: User | None = None
) -> PhotoSession:
    return sessions_services.session_transition(
        photo_session=photo_session, to_state=to_state, cause=cause, actor=actor
    )


@transaction.atomic
def job_requeue_after_error(*, job_id: int, error: str, retry_in: float = 0) -> None:
    """An outside error (storage, memory, a lost connection): the job waits for its retry,
    whose message is due in `retry_in` seconds."""
    requeued = GenerationJob.objects.filter(pk=job_id, state=GenerationJob.State.RUNNING).update(
        state=GenerationJob.State.QUEUED,
        error=error[:2000],
        enqueued_at=timezone.now() + timedelta(seconds=retry_in),
    )
    if requeued:
        session_touch(
            GenerationJob.objects.values_list("photo_session_id", flat=True).get(pk=job_id)
        )


@transaction.atomic
def job_fail_and_refund(*, job_id: int, error: str, actor: User | None = None) -> GenerationJob:
    """After the last retry (or by an operator): the job and session fail, refund once, email.

    Idempotent: a session already failed or refunded is not refunded or emailed again.
    """
    job = GenerationJob.objects.select_for_update().get(pk=job_id)
    photo_session = PhotoSession.objects.select_for_update().get(pk=job.photo_session_id)
    if job.state != GenerationJob.State.FAILED:
        job_finish(job=job, state=GenerationJob.State.FAILED, error=error)
    if job.kind == GenerationJob.Kind.REGENERATION:
        # The gallery is already delivered: a failed regeneration leaves it as it was.
        return job
    if job.kind == GenerationJob.Kind.ADDON:
        # The gallery stays as it was; the extra styles' own payment went back (job_finish).
        return job
    if photo_session.state in (State.REFUNDED, State.FAILED):
        return job
    session_move(photo_session, State.FAILED, cause=f"{JOB_FAILED} #{job.pk}", actor=actor)
    photo_session.failure_reason = error[:2000]
    photo_session.save(update_fields=["failure_reason"])
    try:
        with transaction.atomic():
            sessions_services.session_refund(
                photo_session=photo_session,
                reason=f"generation failed: {error[:150]}",
                actor=actor,
            )
    except sessions_services.RefundError:
        # The session stays failed with its reason in admin; an operator settles the payment.
        logger.exception("automatic refund of session %s failed", photo_session.pk)
    transaction.on_commit(lambda: email_customer(photo_session.pk, "failed"))
    return job


@transaction.atomic
def job_retry(*, job_id: int, actor: User | None = None) -> GenerationJob:
    """Operator action: run a stopped or stuck job again (it resumes from its checkpoint)."""
    job = GenerationJob.objects.select_for_update().get(pk=job_id)
    job.state = GenerationJob.State.QUEUED
    job.cancel_requested = False
    job.finished_at = None
    job.error = ""
    job.save()
    job_enqueue(job=job)
    privacy_services.audit_log(
        action="generation.job_retried", actor=actor, obj=job, detail={"kind": job.kind}
    )
    return job


@transaction.atomic
def training_finish(*, job_id: int) -> GenerationJob | None:
    """Training done: keep the LoRA, drop the checkpoints, queue the generation job."""
    job = GenerationJob.objects.select_for_update().get(pk=job_id)
    photo_session = PhotoSession.objects.select_for_update().get(pk=job.photo_session_id)
    if job.state != GenerationJob.State.RUNNING:
        return None
    if not photo_session.training_artifacts.filter(kind=TrainingArtifact.Kind.LORA).exists():
        raise RuntimeError("training finished without LoRA weights")
    for checkpoint in photo_session.training_artifacts.filter(
        kind=TrainingArtifact.Kind.CHECKPOINT
    ):
        privacy_services.file_erase(
            fieldfile=checkpoint.file,
            subject=photo_session.user,
            reason=Reason.SUPERSEDED,
            category=artifact_receipt_category(checkpoint),
        )
        checkpoint.delete()
    job.progress_done = job.progress_total
    job_finish(job=job, state=GenerationJob.State.SUCCEEDED)
    plan = photo_session.plan
    generation = GenerationJob.objects.create(
        photo_session=photo_session,
        kind=GenerationJob.Kind.GENERATION,
        progress_total=photo_session.styles.count() * candidates_per_style(plan),
    )
    job_enqueue(job=generation)
    return generation
