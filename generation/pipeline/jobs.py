"""The work of a training and a generation job, on the worker's resident base model.

Tasks (generation.tasks) claim a job, call one of these and handle its outcome; everything a
job reads and writes goes through generation.services, which checks that it is the session's
own (P04, P05).
"""

import io
import time

from django import db
from django.conf import settings

from generation.likeness import portrait_likeness, session_references
from generation.models import GenerationJob, Portrait, TrainingArtifact
from generation.services.checks import JobCancelled, job_check_may_continue
from generation.services.jobs import job_progress, job_resumed, training_finish
from generation.services.plans import training_settings
from generation.services.portraits import (
    candidate_add,
    candidates_short,
    generation_finish,
    generation_styles,
    portrait_store,
    portraits_choose,
    portraits_plan,
    style_prompts,
)
from generation.services.training import artifact_read, artifact_save, training_photos

from . import resident
from .generate import batch_size, generate_images, lora_fuse
from .label import label_outputs
from .train import TrainingConfig, cache_key, train_lora

# Write progress (and check for a cancel) at most this often, and always at the last step.
PROGRESS_INTERVAL = 0.5


class Progress:
    """Rate-limited progress writes; each write also checks that the job may continue."""

    def __init__(self, job):
        self.job = job
        self.last = 0.0

    def __call__(self, done, total, seconds_per_unit=None):
        now = time.monotonic()
        if done < total and now - self.last < PROGRESS_INTERVAL:
            return
        self.last = now
        job_progress(job=self.job, done=done, total=total, seconds_per_unit=seconds_per_unit)


def training_config(photo_session) -> TrainingConfig:
    """The TrainingConfig of a session's LoRA, from its plan and its subject token."""
    params = training_settings(photo_session.plan)
    return TrainingConfig(
        rank=params["rank"],
        steps=params["steps"],
        learning_rate=params["learning_rate"],
        resolution=params["resolution"],
        prompt=f"a photo of {photo_session.subject_token} {photo_session.class_word}",
        seed=photo_session.pk,
        batch_size=params["batch_size"],
        gradient_checkpointing=params["gradient_checkpointing"],
        checkpoint_seconds=settings.PICTUREUS_CHECKPOINT_SECONDS,
    )


def _checkpoint_store(job: GenerationJob):
    """Stores a checkpoint from the trainer's writer thread, which has its own connection."""

    def store(data: bytes, step: int) -> None:
        try:
            artifact_save(
                job=job,
                kind=TrainingArtifact.Kind.CHECKPOINT,
                data=data,
                filename="ckpt.pt",
                step=step,
            )
        finally:
            db.connections.close_all()

    return store


def train(job: GenerationJob) -> GenerationJob | None:
    """Train the session's LoRA, resuming from its last checkpoint if there is one; returns
    the generation job that training queued."""
    from PIL import Image

    photos = training_photos(job=job)
    if not photos:
        raise JobCancelled("the session has no photos left")
    config = training_config(job.photo_session)
    with resident.borrowed() as base:
        # The cache and checkpoints are used only when made from exactly these photos (P04).
        key = cache_key(base, config, [(p.pk, p.sha256, p.face_box) for p in photos])
        cache = artifact_read(job=job, kind=TrainingArtifact.Kind.LATENTS)
        checkpoint = artifact_read(job=job, kind=TrainingArtifact.Kind.CHECKPOINT)
        result = train_lora(
            base,
            [(Image.open(io.BytesIO(p.data)), p.face_box) for p in photos],
            config,
            key=key,
            cache_bytes=cache[0] if cache else None,
            checkpoint=checkpoint[0] if checkpoint else None,
            on_cache=lambda data: artifact_save(
                job=job,
                kind=TrainingArtifact.Kind.LATENTS,
                data=data,
                filename="cache.safetensors",
            ),
            on_checkpoint=_checkpoint_store(job),
            on_resume=lambda step: job_resumed(job=job, step=step),
            on_progress=Progress(job),
        )
    artifact_save(
        job=job,
        kind=TrainingArtifact.Kind.LORA,
        data=result["lora"],
        filename="pytorch_lora_weights.safetensors",
        step=config.steps,
    )
    return training_finish(job_id=job.pk)


def generate(job: GenerationJob) -> None:
    """Generate the session's portraits (or one style again) with its own LoRA, fused into the
    resident model for this job only."""
    photo_session = job.photo_session
    portraits = portraits_plan(job=job)
    lora = artifact_read(job=job, kind=TrainingArtifact.Kind.LORA)
    if lora is None:
        raise JobCancelled("the session's LoRA weights are gone")
    references = session_references(photo_session=photo_session)
    resolution = training_settings(photo_session.plan)["resolution"]
    progress = Progress(job)
    done = sum(1 for p in portraits if p.image)
    started, made = time.perf_counter(), 0
    negatives = {
        style.pk: style_prompts(photo_session=photo_session, style=style)[1]
        for style in generation_styles(job=job)
    }

    with resident.borrowed() as base:
        # Only this session's own weights (artifact_read checks the session) (P05).
        lora_fuse(base, lora[0], f"session_{photo_session.pk}")
        per_batch = batch_size(base)

        def make(batch, total):
            """Images for portraits of one style and prompt, in one batch."""
            nonlocal done, made
            job_check_may_continue(job=job)
            images = generate_images(
                base,
                prompt=batch[0].prompt,
                negative_prompt=negatives[batch[0].style_id],
                seeds=[p.seed for p in batch],
                resolution=resolution,
            )
            for portrait, image in zip(batch, images, strict=True):
                # Labelled as AI-generated in the file itself, watermark and content credentials.
                full, preview = label_outputs(image, family=base.family)
                portrait_store(
                    portrait=portrait,
                    png=full,
                    preview_webp=preview,
                    size=image.size,
                    likeness=portrait_likeness(image, references),
                )
            done, made = done + len(batch), made + len(batch)
            progress(done, total, (time.perf_counter() - started) / made)

        for batch in batches([p for p in portraits if not p.image], per_batch):
            make(batch, len(portraits))
        # Too few candidates of a style look like the customer: more, within a bounded budget.
        while short := candidates_short(job=job):
            for style in short:
                waiting = job.portraits.filter(style=style, image="").first()
                portrait = waiting or candidate_add(job=job, style=style)
                make([portrait], job.portraits.count())
    portraits_choose(job=job)
    generation_finish(job_id=job.pk)


def batches(portraits: list[Portrait], size: int) -> list[list[Portrait]]:
    """Portraits in batches of at most `size` that share a style and a prompt, in order."""
    result: list[list[Portrait]] = []
    for portrait in portraits:
        last = result[-1] if result else None
        if (
            last
            and len(last) < size
            and (last[0].style_id, last[0].prompt) == (portrait.style_id, portrait.prompt)
        ):
            last.append(portrait)
        else:
            result.append([portrait])
    return result
