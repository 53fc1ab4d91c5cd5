"""Generation workflows: starting, progressing, finishing and cleaning up a session's GPU work.

Web-tier module: no torch or diffusers here (the tasks import `generation.pipeline` themselves).
"""

import hashlib
import heapq
import logging
import math
import secrets
import statistics
import uuid
import zipfile
from datetime import timedelta
from typing import NamedTuple

from celery import current_app
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import Exists, F, Max, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from pictureus.db import prepared_cursor
from pictureus.mail import send_templated, site_url
from pictureus.timezones import zone_for_user
from privacy import services as privacy_services
from privacy.models import DeletionReceipt, RetentionPolicy
from sessions_app import services as sessions_services
from sessions_app.models import PhotoSession, SourcePhoto, StylePack

from .models import GenerationJob, Portrait, TrainingArtifact

logger = logging.getLogger(__name__)

State = PhotoSession.State

# Why a job moved its session, kept in English in the session's history with the job's number
# ("job failed #12") and shown in the reader's language in the back office.
JOB_STARTED = {
    GenerationJob.Kind.TRAINING: gettext_noop("training started"),
    GenerationJob.Kind.GENERATION: gettext_noop("generation started"),
}
JOB_FAILED = gettext_noop("job failed")
GENERATION_DONE = gettext_noop("generation done")
# A running job that reports no progress for this long is treated as lost (worker killed).
STALE_AFTER = timedelta(minutes=15)
# A queued job sent this long ago that the workers have passed over lost its task message.
LOST_AFTER = timedelta(minutes=15)
MAX_ATTEMPTS = 3


# Deletion receipts name one of the privacy app's reasons and retention categories.
Reason = DeletionReceipt.Reason
ARTIFACTS_CATEGORY = RetentionPolicy.Category.TRAINING_ARTIFACTS
# What a deletion receipt calls each kind of training file (one retention category covers all).
RECEIPT_CATEGORIES = {
    TrainingArtifact.Kind.LATENTS: "training_cache",
    TrainingArtifact.Kind.CHECKPOINT: "training_checkpoint",
    TrainingArtifact.Kind.LORA: ARTIFACTS_CATEGORY,
}


def artifact_receipt_category(artifact: TrainingArtifact) -> str:
    return RECEIPT_CATEGORIES.get(artifact.kind, ARTIFACTS_CATEGORY)


DELIVERABLES_CATEGORY = RetentionPolicy.Category.DELIVERABLES


def _receipt_reason(reason: str) -> str:
    """A caller's reason as a receipt reason; anything else is an end of retention."""
    return reason if reason in Reason.values else Reason.RETENTION


class JobCancelled(Exception):
    """The job must stop now: cancelled, or consent withdrawn, or processing restricted."""


class PrivacyViolation(AssertionError):
    """A job was about to read something that is not its own session's (P04, P05)."""


class RegenerationRefused(ValueError):
    """The style cannot be regenerated (already done once, not in the session, not delivered)."""


# --- contracts other areas call ------------------------------------------------------------


@transaction.atomic
def session_submit(*, photo_session: PhotoSession, actor=None) -> PhotoSession:
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
        job.save(update_fields=["cancel_requested", "error", "state", "finished_at"])
        if job.celery_task_id:
            task_id = job.celery_task_id
            # Revoking only drops a message still waiting in the queue; the flag does the rest.
            transaction.on_commit(lambda task_id=task_id: _revoke(task_id))
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


@transaction.atomic
def session_artifacts_delete(*, photo_session: PhotoSession, reason: str) -> int:
    """Erase a session's cached latents, checkpoints and LoRA weights (bytes and rows)."""
    count = 0
    for artifact in TrainingArtifact.objects.select_for_update().filter(
        photo_session=photo_session
    ):
        privacy_services.file_erase(
            fieldfile=artifact.file,
            subject=photo_session.user,
            reason=_receipt_reason(reason),
            category=artifact_receipt_category(artifact),
        )
        artifact.delete()
        count += 1
    return count


# --- plan settings ---------------------------------------------------------------------------

# Sensible defaults where the plan says 0, by model family.
# Gradient checkpointing is decided by the trainer from the GPU's memory unless the plan says.
DEFAULTS = {
    "tiny": {"rank": 4, "steps": 40, "learning_rate": 1e-3, "resolution": 64, "batch_size": 1},
    "sd": {"rank": 16, "steps": 800, "learning_rate": 1e-4, "resolution": 512, "batch_size": 2},
    "sdxl": {"rank": 32, "steps": 1000, "learning_rate": 1e-4, "resolution": 1024, "batch_size": 1},
}


def model_family() -> str:
    """ "tiny", "sd" or "sdxl", from the configured base model (read without loading it)."""
    from .modelcheck import base_model_family

    return base_model_family()


def training_settings(plan) -> dict:
    """The plan's training settings with the family defaults where the plan says 0."""
    defaults = DEFAULTS[model_family()]
    return {
        "rank": plan.lora_rank or defaults["rank"],
        "steps": plan.train_steps or defaults["steps"],
        "learning_rate": plan.learning_rate or defaults["learning_rate"],
        "resolution": plan.resolution or defaults["resolution"],
        "batch_size": plan.train_batch_size or defaults["batch_size"],
        "gradient_checkpointing": plan.gradient_checkpointing,
    }


def training_steps_for(plan) -> int:
    return training_settings(plan)["steps"]


# --- jobs -------------------------------------------------------------------------------------


def job_enqueue(*, job: GenerationJob, countdown: float | None = None) -> None:
    """Send the job's task once the transaction that created or reset it commits (to run in
    `countdown` seconds, when given)."""
    task_id = uuid.uuid4().hex
    # When a retry is due, not when it was sent: what the queue wait counts from.
    now = timezone.now() + timedelta(seconds=countdown or 0)
    GenerationJob.objects.filter(pk=job.pk).update(celery_task_id=task_id, enqueued_at=now)
    job.celery_task_id, job.enqueued_at = task_id, now
    _session_touch(job.photo_session_id)

    # By name: tasks import the services, never the reverse (the route sends both to `gpu`).
    name = "train_lora" if job.kind == GenerationJob.Kind.TRAINING else "generate"
    transaction.on_commit(
        lambda: current_app.send_task(
            f"generation.tasks.{name}", args=[job.pk], task_id=task_id, countdown=countdown
        )
    )


def _session_touch(photo_session_id: int) -> None:
    # The customer's state label follows the session's job (waiting or running): pages cached
    # on the session's last change, such as "My sessions", are then rendered afresh.
    PhotoSession.objects.filter(pk=photo_session_id).update(updated_at=timezone.now())


def _revoke(task_id: str) -> None:
    try:
        from pictureus.celery import app

        app.control.revoke(task_id)
    except Exception:  # noqa: BLE001 - the cancel flag stops the job even if the broker is away
        logger.warning("could not revoke task %s", task_id, exc_info=True)


def consent_problem(photo_session: PhotoSession) -> str:
    """Why the session's photos may not be processed now, or "" when they may (P02, P16)."""
    user = photo_session.user
    if not privacy_services.consent_is_current(
        user=user, purpose="face_photos", photo_session=photo_session
    ):
        return "no current consent to process face photos"
    if privacy_services.processing_restricted(user=user):
        return "the customer restricted the processing of their data"
    return ""


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
    expected = {
        GenerationJob.Kind.TRAINING: (State.QUEUED, State.TRAINING),
        GenerationJob.Kind.GENERATION: (State.TRAINING, State.GENERATING),
        GenerationJob.Kind.REGENERATION: (State.DELIVERED,),
    }[job.kind]
    if photo_session.state not in expected:
        logger.warning(
            "job %s: session %s is %s, not %s; the job does nothing",
            job.pk,
            photo_session.pk,
            photo_session.state,
            "/".join(expected),
        )
        _job_finish(job=job, state=GenerationJob.State.CANCELLED, error="session in wrong state")
        return None
    if job.cancel_requested:
        _job_finish(job=job, state=GenerationJob.State.CANCELLED, error=job.error or "cancelled")
        return None
    problem = consent_problem(photo_session)
    if problem:
        # Refuse before reading a single photo (P02, P16).
        _job_stop_for_privacy(job=job, photo_session=photo_session, problem=problem)
        return None
    session_states = {
        GenerationJob.Kind.TRAINING: State.TRAINING,
        GenerationJob.Kind.GENERATION: State.GENERATING,
    }
    target = session_states.get(job.kind)
    if target and photo_session.state != target:
        _session_transition(photo_session, target, cause=f"{JOB_STARTED[job.kind]} #{job.pk}")
    elif target:
        _session_touch(photo_session.pk)
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


def job_progress(*, job: GenerationJob, done: int, total: int, seconds_per_unit=None) -> None:
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


def job_check_may_continue(*, job: GenerationJob) -> None:
    """Raise JobCancelled when the job was cancelled or the consent no longer holds (P03)."""
    fresh = GenerationJob.objects.filter(pk=job.pk).values("cancel_requested", "state").first()
    if fresh is None or fresh["cancel_requested"] or fresh["state"] != job.State.RUNNING:
        raise JobCancelled("cancelled")
    photo_session = PhotoSession.objects.select_related("user").get(pk=job.photo_session_id)
    problem = consent_problem(photo_session)
    if problem:
        raise JobCancelled(problem)


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
        _portrait_erase(portrait=portrait, reason=why)
    if job.state != GenerationJob.State.FAILED:
        _job_finish(job=job, state=GenerationJob.State.CANCELLED, error=job.error or reason)
    if problem:
        _session_back_to_photos(photo_session, reason=problem)


def _job_stop_for_privacy(*, job, photo_session, problem):
    _job_finish(job=job, state=GenerationJob.State.CANCELLED, error=problem)
    _session_back_to_photos(photo_session, reason=problem)


def _session_back_to_photos(photo_session, *, reason):
    """Without consent the session waits for the customer again instead of sitting in a queue."""
    photo_session.refresh_from_db(fields=["state"])
    if photo_session.state in (State.QUEUED, State.TRAINING, State.GENERATING):
        _session_transition(photo_session, State.COLLECTING_PHOTOS, cause=reason[:200])


def _job_finish(*, job, state, error=""):
    job.state = state
    job.finished_at = timezone.now()
    if error:
        job.error = error
    job.save(update_fields=["state", "finished_at", "error"])


def _session_transition(photo_session, to_state, *, cause, actor=None):
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
        _session_touch(
            GenerationJob.objects.values_list("photo_session_id", flat=True).get(pk=job_id)
        )


@transaction.atomic
def job_fail_and_refund(*, job_id: int, error: str, actor=None) -> GenerationJob:
    """After the last retry (or by an operator): the job and session fail, refund once, email.

    Idempotent: a session already failed or refunded is not refunded or emailed again.
    """
    job = GenerationJob.objects.select_for_update().get(pk=job_id)
    photo_session = PhotoSession.objects.select_for_update().get(pk=job.photo_session_id)
    if job.state != GenerationJob.State.FAILED:
        _job_finish(job=job, state=GenerationJob.State.FAILED, error=error)
    if job.kind == GenerationJob.Kind.REGENERATION:
        # The gallery is already delivered: a failed regeneration leaves it as it was.
        return job
    if photo_session.state in (State.REFUNDED, State.FAILED):
        return job
    _session_transition(photo_session, State.FAILED, cause=f"{JOB_FAILED} #{job.pk}", actor=actor)
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
    transaction.on_commit(lambda: _email_customer(photo_session.pk, "failed"))
    return job


@transaction.atomic
def job_retry(*, job_id: int, actor=None) -> GenerationJob:
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


def jobs_lost_in_queue(*, sent_before, busy_since) -> list[int]:
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
def job_resend(*, job_id: int, sent_before) -> bool:
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
def job_stale_handle(*, job_id: int, silent_since) -> str:
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
) -> dict:
    """Requeue running jobs that stopped reporting (a lost worker), or fail them at the limit;
    send queued jobs whose task message was lost (a flushed broker) again."""
    now = timezone.now()
    silent_since = now - (STALE_AFTER if stale_after is None else stale_after)
    sent_before = now - (LOST_AFTER if lost_after is None else lost_after)
    # Before the stale ones are requeued: those are sent now, not lost.
    lost = jobs_lost_in_queue(sent_before=sent_before, busy_since=silent_since)
    resent = [pk for pk in lost if job_resend(job_id=pk, sent_before=sent_before)]
    outcomes = {"requeued": [], "failed": []}
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


# --- training ---------------------------------------------------------------------------------


class TrainingPhoto(NamedTuple):
    """One photo as the trainer reads it. `sha256` is of the bytes read (SourcePhoto.sha256
    while the file is intact): with `pk` it keys the training cache to this exact photo set."""

    pk: int
    sha256: str
    data: bytes
    face_box: list


def training_photos(*, job: GenerationJob) -> list[TrainingPhoto]:
    """The accepted photos of the job's own session, in upload order (P04, P05).

    Every photo is checked, in code, to belong to this session and to its owner; anything
    else stops the job before a byte is read.
    """
    photo_session = PhotoSession.objects.get(pk=job.photo_session_id)
    photos = list(SourcePhoto.objects.filter(photo_session_id=photo_session.pk))
    result = []
    for photo in photos:
        owner_id = PhotoSession.objects.filter(pk=photo.photo_session_id).values_list(
            "user_id", flat=True
        )[0]
        if photo.photo_session_id != photo_session.pk or owner_id != photo_session.user_id:
            raise PrivacyViolation(f"photo {photo.pk} is not from session {photo_session.pk}")
        with photo.image.open("rb") as fh:
            data = fh.read()
        sha256 = hashlib.sha256(data).hexdigest()
        result.append(TrainingPhoto(photo.pk, sha256, data, photo.face_box))
    privacy_services.audit_log(
        action="generation.photos_read",
        subject=photo_session.user,
        obj=photo_session,
        detail={"job": job.pk, "photos": [photo.pk for photo in photos]},
    )
    return result


def artifact_latest(*, job: GenerationJob, kind: str) -> TrainingArtifact | None:
    """The newest artifact of a kind among the job's own session's only (P05): another
    session's cache or weights are never a candidate, whatever key they carry."""
    return (
        TrainingArtifact.objects.filter(photo_session_id=job.photo_session_id, kind=kind)
        .order_by("-step", "-created_at", "-id")
        .first()
    )


def artifact_read(*, job: GenerationJob, kind: str) -> tuple[bytes, int] | None:
    """The newest artifact of a kind for the job's own session, as (bytes, step)."""
    artifact = artifact_latest(job=job, kind=kind)
    if artifact is None:
        return None
    if artifact.photo_session_id != job.photo_session_id:
        raise PrivacyViolation("an artifact of another session")
    try:
        with artifact.file.open("rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        return None
    if hashlib.sha256(data).hexdigest() != artifact.sha256:
        logger.warning("artifact %s is damaged; ignored", artifact.pk)
        return None
    return data, artifact.step


def artifact_save(
    *, job: GenerationJob, kind: str, data: bytes, filename: str, step: int = 0
) -> TrainingArtifact:
    """Store a file made from the session's photos; older ones of the same kind are erased."""
    job_check_may_continue(job=job)
    photo_session = PhotoSession.objects.select_related("user").get(pk=job.photo_session_id)
    artifact = TrainingArtifact(
        photo_session=photo_session,
        job=job,
        kind=kind,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        step=step,
    )
    artifact.file.save(filename, ContentFile(data), save=False)
    with transaction.atomic():
        artifact.save()
        older = TrainingArtifact.objects.filter(photo_session=photo_session, kind=kind).exclude(
            pk=artifact.pk
        )
        for old in older:
            privacy_services.file_erase(
                fieldfile=old.file,
                subject=photo_session.user,
                reason=Reason.SUPERSEDED,
                category=artifact_receipt_category(old),
                # Its hash was taken as it was written: never read a large file back for it.
                content_sha256=old.sha256,
            )
            old.delete()
    return artifact


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
    _job_finish(job=job, state=GenerationJob.State.SUCCEEDED)
    plan = photo_session.plan
    generation = GenerationJob.objects.create(
        photo_session=photo_session,
        kind=GenerationJob.Kind.GENERATION,
        progress_total=photo_session.styles.count() * plan.images_per_style,
    )
    job_enqueue(job=generation)
    return generation


# --- generation -------------------------------------------------------------------------------


def generation_styles(*, job: GenerationJob) -> list[StylePack]:
    if job.kind == GenerationJob.Kind.REGENERATION:
        return [job.style]
    return list(job.photo_session.styles.order_by("order", "id"))


# A session with the natural look asks the model for the face as it is, and pushes away what
# portrait styles tend to add.
NATURAL_PROMPT = "natural unretouched skin texture, true-to-life features and proportions"
NATURAL_NEGATIVE = (
    "retouched, airbrushed, beautified, smoothed skin, heavy makeup, slimmed face, "
    "enlarged eyes, plastic skin"
)


def style_prompts(*, photo_session: PhotoSession, style) -> tuple[str, str]:
    """The prompt and the negative prompt for one style of a session."""
    prompt = style.prompt_template.format(
        token=photo_session.subject_token, class_word=photo_session.class_word
    )
    negative = style.negative_prompt
    if photo_session.natural:
        prompt = f"{prompt}, {NATURAL_PROMPT}"
        negative = f"{negative}, {NATURAL_NEGATIVE}" if negative else NATURAL_NEGATIVE
    return prompt, negative


# A portrait is delivered only when its one face looks like the customer's photos at least this
# much (dlib's same-person distance, as faces.likeness scales it).
LIKENESS_THRESHOLD = 0.5


def likeness_checked() -> bool:
    """Whether portraits are checked for likeness before delivery: not with the tiny built-in
    model, whose images are noise without a face (its gallery says they are placeholders)."""
    return bool(settings.PICTUREUS_BASE_MODEL)


def candidates_per_style(plan) -> int:
    """How many candidates a style starts with: the plan's oversampling of its portraits."""
    if not likeness_checked():
        return plan.images_per_style
    return math.ceil(plan.images_per_style * plan.oversampling - 1e-9)


def candidate_add(*, job: GenerationJob, style) -> Portrait:
    """One more candidate for a style whose candidates fell short, with a new seed."""
    taken = job.portraits.filter(style=style).aggregate(last=Max("index"))["last"]
    prompt, _negative = style_prompts(photo_session=job.photo_session, style=style)
    return Portrait.objects.create(
        job=job,
        style=style,
        photo_session=job.photo_session,
        index=(taken if taken is not None else -1) + 1,
        seed=secrets.randbelow(2**31 - 1),
        prompt=prompt,
    )


def candidates_short(*, job: GenerationJob) -> list:
    """The styles that need another candidate: fewer pass than the plan promises and the
    extra budget (as many again as the plan promises) is not spent."""
    if not likeness_checked():
        return []
    plan = job.photo_session.plan
    short = []
    for style in generation_styles(job=job):
        made = job.portraits.filter(style=style).exclude(image="")
        passing = made.filter(likeness__gte=LIKENESS_THRESHOLD).count()
        extra = made.count() - candidates_per_style(plan)
        if passing < plan.images_per_style and extra < plan.images_per_style:
            short.append(style)
    return short


def portraits_choose(*, job: GenerationJob) -> dict:
    """Keep the best candidates of each style by likeness, as many as the plan promises;
    every other candidate is deleted undelivered, and one with no face, several faces or a
    score under the threshold is never delivered. Returns the styles that fell short."""
    if not likeness_checked():
        return {}
    promised = job.photo_session.plan.images_per_style
    shortfall = {}
    for style in generation_styles(job=job):
        candidates = sorted(
            job.portraits.filter(style=style).exclude(image=""),
            key=lambda p: -(p.likeness if p.likeness is not None else -1),
        )
        keep = [
            p for p in candidates if p.likeness is not None and p.likeness >= LIKENESS_THRESHOLD
        ][:promised]
        for candidate in candidates:
            if candidate not in keep:
                _portrait_erase(portrait=candidate, reason=Reason.SUPERSEDED)
        if len(keep) < promised:
            shortfall[str(style.pk)] = [len(keep), promised]
    GenerationJob.objects.filter(pk=job.pk).update(shortfall=shortfall)
    job.shortfall = shortfall
    if shortfall:
        # Operators hear of it at once: a model that rarely looks like its customer is bad.
        transaction.on_commit(lambda: _email_operators_shortfall(job.pk), robust=True)
    return shortfall


def _email_operators_shortfall(job_id: int) -> None:
    job = GenerationJob.objects.select_related("photo_session").get(pk=job_id)
    styles = {str(s.pk): s for s in job.photo_session.styles.all()}
    send_templated(
        to=settings.OPERATORS_EMAIL,
        template_prefix="generation/email/shortfall",
        context={
            "job": job,
            "photo_session": job.photo_session,
            "rows": [
                (styles[key].name if key in styles else key, *numbers)
                for key, numbers in job.shortfall.items()
            ],
        },
        language=settings.LANGUAGE_CODE,
    )


def gallery_shortfall(*, photo_session: PhotoSession) -> dict:
    """For each style of the gallery that fell short: (delivered, promised), from the job that
    made its portraits."""
    shortfall = {}
    jobs = photo_session.generation_jobs.filter(
        state=GenerationJob.State.SUCCEEDED,
        kind__in=[GenerationJob.Kind.GENERATION, GenerationJob.Kind.REGENERATION],
    ).order_by("finished_at", "id")
    for job in jobs:
        for style_id, numbers in job.shortfall.items():
            shortfall[int(style_id)] = tuple(numbers)
        if job.kind == GenerationJob.Kind.REGENERATION and str(job.style_id) not in job.shortfall:
            # A later regeneration of the style that delivered in full clears it.
            shortfall.pop(job.style_id, None)
    return shortfall


@transaction.atomic
def portraits_plan(*, job: GenerationJob) -> list[Portrait]:
    """The portraits this job makes, each with its recorded seed (created once, reused)."""
    photo_session = job.photo_session
    plan = photo_session.plan
    portraits = []
    for style in generation_styles(job=job):
        prompt, _negative = style_prompts(photo_session=photo_session, style=style)
        for index in range(candidates_per_style(plan)):
            portrait, _ = Portrait.objects.get_or_create(
                job=job,
                style=style,
                index=index,
                defaults={
                    "photo_session": photo_session,
                    "seed": secrets.randbelow(2**31 - 1),
                    "prompt": prompt,
                },
            )
            portraits.append(portrait)
    return portraits


def portrait_store(
    *, portrait: Portrait, png: bytes, preview_webp: bytes, size, likeness: float | None = None
) -> Portrait:
    portrait.image.save(f"{portrait.pk}.png", ContentFile(png), save=False)
    portrait.preview.save(f"{portrait.pk}.webp", ContentFile(preview_webp), save=False)
    portrait.width, portrait.height = size
    portrait.sha256 = hashlib.sha256(png).hexdigest()
    portrait.likeness = likeness
    portrait.save(
        update_fields=["image", "preview", "width", "height", "sha256", "likeness", "updated_at"]
    )
    return portrait


@transaction.atomic
def generation_finish(*, job_id: int) -> None:
    """Generation done: the session is delivered and the customer told; a regeneration
    replaces the style's earlier portraits."""
    job = GenerationJob.objects.select_for_update().get(pk=job_id)
    photo_session = PhotoSession.objects.select_for_update().get(pk=job.photo_session_id)
    if job.state != GenerationJob.State.RUNNING:
        return
    job.progress_done = job.progress_total
    _job_finish(job=job, state=GenerationJob.State.SUCCEEDED)
    if job.kind == GenerationJob.Kind.REGENERATION:
        for old in Portrait.objects.filter(photo_session=photo_session, style=job.style).exclude(
            job=job
        ):
            _portrait_erase(portrait=old, reason=Reason.REQUEST)
        return
    _session_transition(photo_session, State.DELIVERED, cause=f"{GENERATION_DONE} #{job.pk}")
    transaction.on_commit(lambda: _email_customer(photo_session.pk, "ready"))


# --- gallery ------------------------------------------------------------------------------------


def gallery_portraits(*, photo_session: PhotoSession):
    """The delivered portraits: finished jobs only, never a regeneration still in progress."""
    return (
        Portrait.objects.filter(
            photo_session=photo_session, job__state=GenerationJob.State.SUCCEEDED
        )
        .exclude(image="")
        .select_related("style")
        # Most like the customer first within each style; unscored ones keep their order.
        .order_by(F("likeness").desc(nulls_last=True), "index", "id")
    )


def gallery_version(*, user, public_id) -> tuple | None:
    """What the gallery shows changes only with these: the session's last save, its jobs (how
    many, how many still working, the last to finish) and its portraits (how many, the last
    change, favourites included). None while a job is queued or running (progress moves by the
    second), and for a session that is not the user's (the view's access check then answers).
    """
    public_id = PhotoSession._meta.get_field("public_id").get_db_prep_value(public_id, connection)
    with prepared_cursor() as cursor:
        cursor.execute(GALLERY_VERSION_SQL, [*GenerationJob.ACTIVE_STATES, public_id, user.pk])
        row = cursor.fetchone()
    # No row: not this user's session. A job still working: "1 ..." and up; none at all: NULL.
    if row is None or (row[1] and not row[1].startswith("0 ")):
        return None
    return row


# One statement in plain SQL, planned once per connection: the gallery asks it on every view,
# and building it with the ORM costs several times what running it does.
GALLERY_VERSION_SQL = (  # noqa: S608 - table names from the models' own metadata
    "SELECT s.updated_at, "
    "(SELECT SUM(CASE WHEN j.state IN ({working}) THEN 1 ELSE 0 END) || ' ' || COUNT(*) || ' ' "
    "|| COALESCE(CAST(MAX(j.finished_at) AS TEXT), '') "
    "FROM {jobs} j WHERE j.photo_session_id = s.id), "
    "(SELECT COUNT(*) || ' ' || COALESCE(CAST(MAX(p.updated_at) AS TEXT), '') "
    "FROM {portraits} p WHERE p.photo_session_id = s.id) "
    "FROM {sessions} s WHERE s.public_id = %s AND s.user_id = %s"
).format(
    working=", ".join(["%s"] * len(GenerationJob.ACTIVE_STATES)),
    jobs=GenerationJob._meta.db_table,
    portraits=Portrait._meta.db_table,
    sessions=PhotoSession._meta.db_table,
)


@transaction.atomic
def portrait_favourite_set(*, portrait: Portrait, favourite: bool) -> Portrait:
    portrait.favourite = favourite
    portrait.save(update_fields=["favourite", "updated_at"])
    return portrait


def style_can_regenerate(*, photo_session: PhotoSession, style: StylePack) -> bool:
    if photo_session.state != State.DELIVERED:
        return False
    if not photo_session.styles.filter(pk=style.pk).exists():
        return False
    return not photo_session.generation_jobs.filter(
        kind=GenerationJob.Kind.REGENERATION, style=style
    ).exists()


@transaction.atomic
def style_regenerate(*, photo_session: PhotoSession, style: StylePack, actor=None):
    """Make one style again with new seeds, once per style; the old images stay until then."""
    photo_session = PhotoSession.objects.select_for_update().get(pk=photo_session.pk)
    if not style_can_regenerate(photo_session=photo_session, style=style):
        raise RegenerationRefused(style.slug)
    if not photo_session.training_artifacts.filter(kind=TrainingArtifact.Kind.LORA).exists():
        raise RegenerationRefused("the personal model has been deleted")
    problem = consent_problem(photo_session)
    if problem:
        raise RegenerationRefused(problem)
    job = GenerationJob.objects.create(
        photo_session=photo_session,
        kind=GenerationJob.Kind.REGENERATION,
        style=style,
        progress_total=photo_session.plan.images_per_style,
    )
    job_enqueue(job=job)
    privacy_services.audit_log(
        action="generation.style_regenerate",
        actor=actor,
        subject=photo_session.user,
        obj=photo_session,
        detail={"style": style.slug, "job": job.pk},
    )
    return job


class _ZipSink:
    """A write-only file for zipfile: holds what was written until the response takes it."""

    def __init__(self):
        self.chunks = []

    def write(self, data):
        self.chunks.append(bytes(data))
        return len(data)

    def flush(self):
        pass

    def take(self) -> bytes:
        data = b"".join(self.chunks)
        self.chunks.clear()
        return data


def gallery_zip_chunks(*, portraits, chunk_size: int = 256 * 1024):
    """Yield a zip of the portraits' full-size files piece by piece, never whole in memory.

    zipfile writes to an unseekable sink in streaming mode (sizes in data descriptors); PNGs
    are already compressed, so entries are stored.
    """
    sink = _ZipSink()
    names = set()
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_STORED) as archive:
        for portrait in portraits:
            name = portrait.download_name()
            if name in names:
                name = f"{portrait.pk}-{name}"
            names.add(name)
            info = zipfile.ZipInfo(name, date_time=portrait.created_at.timetuple()[:6])
            with portrait.image.open("rb") as src, archive.open(info, "w", force_zip64=True) as dst:
                for chunk in iter(lambda src=src: src.read(chunk_size), b""):
                    dst.write(chunk)
                    yield sink.take()
            yield sink.take()
    yield sink.take()


def _portrait_erase(*, portrait: Portrait, reason: str) -> None:
    subject = portrait.photo_session.user
    for field in (portrait.image, portrait.preview):
        if field:
            privacy_services.file_erase(
                fieldfile=field,
                subject=subject,
                reason=_receipt_reason(reason),
                category=DELIVERABLES_CATEGORY,
            )
    portrait.delete()


# --- progress -----------------------------------------------------------------------------------

IN_PROGRESS = (State.QUEUED, State.TRAINING, State.GENERATING)
# The panel's phase while a delivered session has one style made again.
REGENERATING = "regenerating"
# How many recently finished jobs of a kind an estimate is taken from.
RECENT_JOBS = 20


class JobTiming(NamedTuple):
    """What recent jobs of one kind took: seconds to get going (loading the model, caching the
    photos), then seconds per step or image."""

    overhead: float
    per_unit: float

    def seconds(self, units: int) -> float:
        return self.overhead + units * self.per_unit


def job_timing(kind: str) -> JobTiming | None:
    """The median timing of the recent succeeded jobs of `kind` (a regeneration counts as a
    generation: both make images); None until one has finished."""
    images = (GenerationJob.Kind.GENERATION, GenerationJob.Kind.REGENERATION)
    rows = (
        GenerationJob.objects.filter(
            kind__in=images if kind in images else [kind],
            state=GenerationJob.State.SUCCEEDED,
            seconds_per_unit__isnull=False,
            started_at__isnull=False,
            finished_at__isnull=False,
            progress_total__gt=0,
        )
        .order_by("-finished_at", "-id")
        .values_list("seconds_per_unit", "progress_total", "started_at", "finished_at")[
            :RECENT_JOBS
        ]
    )
    if not rows:
        return None
    overheads = [
        max(0.0, (finished - started).total_seconds() - total * per_unit)
        for per_unit, total, started, finished in rows
    ]
    return JobTiming(
        overhead=statistics.median(overheads), per_unit=statistics.median(r[0] for r in rows)
    )


class _Timings(dict):
    """job_timing by kind, each looked up once per progress answer."""

    def __missing__(self, kind):
        self[kind] = job_timing(kind)
        return self[kind]


def _job_seconds_left(job: GenerationJob, timings: _Timings) -> tuple[float | None, bool]:
    """Seconds until `job` is done once a machine runs it, and whether that was measured on
    this very job (its own speed) rather than taken from recent jobs."""
    if job.state == GenerationJob.State.RUNNING and job.eta_seconds() is not None:
        return float(job.eta_seconds()), True
    timing = timings[job.kind]
    if timing is None:
        return None, False
    return timing.seconds(max(0, job.progress_total - job.progress_done)), False


def _queue_wait(job: GenerationJob, timings: _Timings) -> tuple[float | None, bool]:
    """Seconds until a studio machine takes the queued `job`, and whether measured.

    The running jobs finish, then the jobs ahead in the queue run one after another on
    whichever machine is free first; as many machines as are busy now (one when none is).
    """
    free_at = []
    measured = True
    for other in GenerationJob.objects.filter(state=GenerationJob.State.RUNNING):
        seconds, was_measured = _job_seconds_left(other, timings)
        if seconds is None:
            return None, False
        free_at.append(seconds)
        measured = measured and was_measured
    free_at = free_at or [0.0]
    heapq.heapify(free_at)
    ahead = GenerationJob.objects.filter(
        state=GenerationJob.State.QUEUED, created_at__lt=job.created_at
    ).order_by("created_at", "id")
    for other in ahead:
        seconds, _ = _job_seconds_left(other, timings)
        if seconds is None:
            return None, False
        heapq.heapreplace(free_at, free_at[0] + seconds)
        measured = False
    return free_at[0], measured


def session_latest_job(*, photo_session: PhotoSession) -> GenerationJob | None:
    return photo_session.generation_jobs.order_by("-created_at", "-id").first()


def latest_jobs_in_progress(*, user_id: int) -> dict[int, GenerationJob]:
    """The latest job of each of the user's sessions in progress, by session id: one query for
    a page that lists them all."""
    jobs = GenerationJob.objects.filter(
        photo_session__user_id=user_id, photo_session__state__in=IN_PROGRESS
    ).order_by("photo_session_id", "-created_at", "-id")
    latest = {}
    for job in jobs:
        latest.setdefault(job.photo_session_id, job)
    return latest


def session_phase(*, photo_session: PhotoSession, job: GenerationJob | None) -> str:
    """What the customer is waiting for now: "queued" while a job waits for a machine,
    "training" or "generating" while one runs, "regenerating" while a delivered style is made
    again, otherwise the session's own state. `job` is the session's latest job (or None)."""
    if job is not None and job.kind == GenerationJob.Kind.REGENERATION and job.is_active:
        return REGENERATING
    if photo_session.state not in IN_PROGRESS:
        return photo_session.state
    if job is None or job.state == GenerationJob.State.QUEUED:
        return State.QUEUED
    if job.state == GenerationJob.State.RUNNING:
        return State.GENERATING if job.kind == GenerationJob.Kind.GENERATION else State.TRAINING
    return photo_session.state


def session_progress(*, photo_session: PhotoSession) -> dict:
    """What the progress panel and its JSON endpoint show: phase, step, queue place, ETA.

    Times are seconds: `start_seconds` until a machine takes a waiting job, `job_seconds` for
    the job itself, `eta_seconds` until the portraits are ready (None where something is not
    known yet). A time is "measured" when it comes from this session's own running job; other
    times come from what recent jobs took for the steps and images the plan asks for.
    """
    job = session_latest_job(photo_session=photo_session)
    phase = session_phase(photo_session=photo_session, job=job)
    data = {
        "state": photo_session.state,
        "phase": phase,
        "job_state": job.state if job else None,
        "job_kind": job.kind if job else None,
        "done": 0,
        "total": 0,
        "percent": 0,
        "queue_position": None,
        "start_seconds": None,
        "start_measured": False,
        "job_seconds": None,
        "job_measured": False,
        "eta_seconds": None,
        "eta_measured": False,
        "finished": phase != REGENERATING and photo_session.state not in IN_PROGRESS,
    }
    if job is None:
        return data
    data.update(done=job.progress_done, total=job.progress_total, percent=job.percent)
    data["queue_position"] = job.queue_position()
    if data["finished"]:
        return data
    timings = _Timings()
    start, start_measured = 0.0, True
    if job.state == GenerationJob.State.QUEUED:
        start, start_measured = _queue_wait(job, timings)
        data["start_seconds"] = None if start is None else round(start)
        data["start_measured"] = start_measured
    work, measured = _job_seconds_left(job, timings)
    data["job_seconds"] = None if work is None else round(work)
    data["job_measured"] = measured
    later = 0.0
    if job.kind == GenerationJob.Kind.TRAINING:
        # The portraits come after the training: the plan's images at recent jobs' pace.
        images = photo_session.styles.count() * photo_session.plan.images_per_style
        generation = timings[GenerationJob.Kind.GENERATION]
        later = None if generation is None else generation.seconds(images)
    if None not in (start, work, later):
        data["eta_seconds"] = round(start + work + later)
        data["eta_measured"] = start_measured and measured and not later
    return data


# --- email ------------------------------------------------------------------------------------


def _email_customer(photo_session_id: int, which: str) -> None:
    """Tell the customer their gallery is ready, or that it failed and was refunded."""
    photo_session = PhotoSession.objects.select_related("user").get(pk=photo_session_id)
    user = photo_session.user
    short = gallery_shortfall(photo_session=photo_session)
    send_templated(
        to=[user.email],
        template_prefix=f"generation/email/{which}",
        context={
            "user": user,
            "photo_session": photo_session,
            "url": site_url(
                reverse("generation:gallery", kwargs={"public_id": photo_session.public_id})
            ),
            "shortfall": [
                {"style": style, "delivered": numbers[0], "promised": numbers[1]}
                for style in photo_session.styles.all()
                if (numbers := short.get(style.pk))
            ],
        },
        language=user.preferred_language,
        time_zone=zone_for_user(user),
    )
