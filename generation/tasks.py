"""GPU tasks: thin, take ids, idempotent, retried with backoff on outside errors.

torch and diffusers are imported inside the task bodies (generation.pipeline) so that importing
this module, as the web process does to send tasks, stays light.
"""

import io
import logging
import random
import time
from typing import TYPE_CHECKING

from celery import shared_task
from django import db
from django.conf import settings
from django.db import DatabaseError, InterfaceError

from . import services
from .likeness import portrait_likeness, session_references
from .models import GenerationJob, TrainingArtifact

if TYPE_CHECKING:
    from sessions_app.models import PhotoSession

    from .pipeline.train import TrainingConfig

logger = logging.getLogger(__name__)

MAX_RETRIES = services.MAX_ATTEMPTS - 1
# Write progress (and check for a cancel) at most this often, and always at the last step.
PROGRESS_INTERVAL = 0.5


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


def _run(task, job_id: int, body) -> None:
    job = services.job_begin(job_id=job_id, worker=task.request.hostname or "")
    if job is None:
        return
    try:
        body(job)
    except services.JobCancelled as exc:
        logger.info("job %s stopped: %s", job_id, exc)
        services.job_cancelled(job_id=job_id, reason=str(exc))
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        if is_outside_error(exc) and task.request.retries < task.max_retries:
            countdown = settings.PICTUREUS_RETRY_BACKOFF_SECONDS * 2**task.request.retries
            countdown += random.uniform(0, countdown / 4)
            logger.warning("job %s: %s; retry in %.0fs", job_id, error, countdown)
            services.job_requeue_after_error(job_id=job_id, error=error, retry_in=countdown)
            raise task.retry(exc=exc, countdown=countdown) from exc
        logger.exception("job %s failed for good", job_id)
        services.job_fail_and_refund(job_id=job_id, error=error)


class _Progress:
    """Rate-limited progress writes; each write also checks that the job may continue."""

    def __init__(self, job):
        self.job = job
        self.last = 0.0

    def __call__(self, done, total, seconds_per_unit=None):
        now = time.monotonic()
        if done < total and now - self.last < PROGRESS_INTERVAL:
            return
        self.last = now
        services.job_progress(
            job=self.job, done=done, total=total, seconds_per_unit=seconds_per_unit
        )


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)
def train_lora(self, job_id: int) -> None:
    """Train the session's LoRA, resuming from its last checkpoint if there is one."""
    _run(self, job_id, _train)


def training_config(photo_session: "PhotoSession") -> "TrainingConfig":
    """The TrainingConfig of a session's LoRA, from its plan and its subject token."""
    from .pipeline.train import TrainingConfig

    params = services.training_settings(photo_session.plan)
    return TrainingConfig(
        rank=params["rank"],
        steps=params["steps"],
        learning_rate=params["learning_rate"],
        resolution=params["resolution"],
        prompt=f"a photo of {photo_session.subject_token} {photo_session.class_word}",
        seed=photo_session.pk,
        checkpoint_seconds=settings.PICTUREUS_CHECKPOINT_SECONDS,
    )


def _checkpoint_store(job: GenerationJob):
    """Stores a checkpoint from the trainer's writer thread, which has its own connection."""

    def store(data: bytes, step: int) -> None:
        try:
            services.artifact_save(
                job=job,
                kind=TrainingArtifact.Kind.CHECKPOINT,
                data=data,
                filename="ckpt.pt",
                step=step,
            )
        finally:
            db.connections.close_all()

    return store


def _train(job: GenerationJob) -> None:
    from PIL import Image

    from .pipeline.base import BaseModel
    from .pipeline.train import cache_key, train_lora

    photos = services.training_photos(job=job)
    if not photos:
        raise services.JobCancelled("the session has no photos left")
    config = training_config(job.photo_session)
    base = BaseModel.load()
    # The cache and checkpoints are used only when made from exactly these photos (P04).
    key = cache_key(base, config, [(p.pk, p.sha256, p.face_box) for p in photos])
    cache = services.artifact_read(job=job, kind=TrainingArtifact.Kind.LATENTS)
    checkpoint = services.artifact_read(job=job, kind=TrainingArtifact.Kind.CHECKPOINT)
    result = train_lora(
        base,
        [(Image.open(io.BytesIO(p.data)), p.face_box) for p in photos],
        config,
        key=key,
        cache_bytes=cache[0] if cache else None,
        checkpoint=checkpoint[0] if checkpoint else None,
        on_cache=lambda data: services.artifact_save(
            job=job, kind=TrainingArtifact.Kind.LATENTS, data=data, filename="cache.safetensors"
        ),
        on_checkpoint=_checkpoint_store(job),
        on_resume=lambda step: services.job_resumed(job=job, step=step),
        on_progress=_Progress(job),
    )
    services.artifact_save(
        job=job,
        kind=TrainingArtifact.Kind.LORA,
        data=result["lora"],
        filename="pytorch_lora_weights.safetensors",
        step=config.steps,
    )
    services.training_finish(job_id=job.pk)


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)
def generate(self, job_id: int) -> None:
    """Generate the session's portraits (or one style again) with its own LoRA."""
    _run(self, job_id, _generate)


def _generate(job: GenerationJob) -> None:
    from .pipeline.base import BaseModel
    from .pipeline.generate import encode_outputs, generate_image, lora_load

    photo_session = job.photo_session
    portraits = services.portraits_plan(job=job)
    lora = services.artifact_read(job=job, kind=TrainingArtifact.Kind.LORA)
    if lora is None:
        raise services.JobCancelled("the session's LoRA weights are gone")
    base = BaseModel.load()
    # Only this session's own weights (artifact_read checks the session) (P05).
    lora_load(base, lora[0])
    references = session_references(photo_session=photo_session)
    resolution = services.training_settings(photo_session.plan)["resolution"]
    progress = _Progress(job)
    done = sum(1 for p in portraits if p.image)
    started, made = time.perf_counter(), 0
    negatives = {
        style.pk: services.style_prompts(photo_session=photo_session, style=style)[1]
        for style in services.generation_styles(job=job)
    }

    def make(portrait, total):
        nonlocal done, made
        services.job_check_may_continue(job=job)
        image = generate_image(
            base,
            prompt=portrait.prompt,
            negative_prompt=negatives[portrait.style_id],
            seed=portrait.seed,
            resolution=resolution,
        )
        full, preview = encode_outputs(image)
        services.portrait_store(
            portrait=portrait,
            png=full,
            preview_webp=preview,
            size=image.size,
            likeness=portrait_likeness(image, references),
        )
        done, made = done + 1, made + 1
        progress(done, total, (time.perf_counter() - started) / made)

    for portrait in portraits:
        if not portrait.image:
            make(portrait, len(portraits))
    # Too few candidates of a style look like the customer: more, within a bounded budget.
    while short := services.candidates_short(job=job):
        for style in short:
            waiting = job.portraits.filter(style=style, image="").first()
            make(waiting or services.candidate_add(job=job, style=style), job.portraits.count())
    services.portraits_choose(job=job)
    services.generation_finish(job_id=job.pk)


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

    return services.jobs_stale_check(
        stale_after=seconds(stale_after_seconds), lost_after=seconds(lost_after_seconds)
    )
