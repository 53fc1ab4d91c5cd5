"""Training and generation jobs, the files they make, and the portraits they deliver."""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pictureus.storage import SessionFilePath, private_storage


class GenerationJob(models.Model):
    """One run of the GPU work for a session: training its LoRA, or generating its portraits."""

    class Kind(models.TextChoices):
        TRAINING = "training", _("Training")
        GENERATION = "generation", _("Generation")
        REGENERATION = "regeneration", _("Regeneration of one style")
        ADDON = "addon", _("Extra styles on the kept model")

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    ACTIVE_STATES = (State.QUEUED, State.RUNNING)

    photo_session = models.ForeignKey(
        "sessions_app.PhotoSession",
        on_delete=models.CASCADE,
        related_name="generation_jobs",
        verbose_name=_("photo session"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.QUEUED, db_index=True
    )
    # Only for a regeneration: the one style it makes again with new seeds.
    style = models.ForeignKey(
        "sessions_app.StylePack",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("style"),
    )
    # Only for extra styles: the paid order whose styles it makes (refunded if it fails).
    order = models.ForeignKey(
        "sessions_app.Order",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="generation_jobs",
        verbose_name=_("order"),
    )
    progress_done = models.PositiveIntegerField(_("done"), default=0)
    progress_total = models.PositiveIntegerField(_("total"), default=0)
    # Measured seconds per training step or per image, for an honest ETA.
    seconds_per_unit = models.FloatField(_("seconds per unit"), null=True, blank=True)
    resumed_from = models.PositiveIntegerField(
        _("resumed from step"),
        default=0,
        help_text=_("The checkpoint step the last attempt continued from (0: from the start)."),
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    cancel_requested = models.BooleanField(_("cancel requested"), default=False)
    celery_task_id = models.CharField(_("task id"), max_length=64, blank=True)
    worker = models.CharField(_("worker"), max_length=200, blank=True)
    error = models.TextField(_("error"), blank=True)
    # Styles that got fewer portraits than the plan promises because too few candidates looked
    # like the customer: {style id: [delivered, promised]}.
    shortfall = models.JSONField(_("portraits short"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        _("last progress at"),
        null=True,
        blank=True,
        help_text=_("A running job that stays silent too long is requeued or failed."),
    )
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # When its task message was last sent (or, for a retry after a delay, is due): a queued job
    # the workers have passed over since then lost its message and is sent again.
    enqueued_at = models.DateTimeField(_("sent to the queue at"), null=True, blank=True)

    class Meta:
        verbose_name = _("generation job")
        verbose_name_plural = _("generation jobs")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.get_state_display()})"

    @property
    def is_active(self) -> bool:
        return self.state in self.ACTIVE_STATES

    @property
    def percent(self) -> int:
        if not self.progress_total:
            return 0
        return min(100, round(100 * self.progress_done / self.progress_total))

    def queue_position(self) -> int | None:
        """1 for the next job a GPU worker takes; None when the job is not waiting."""
        if self.state != self.State.QUEUED:
            return None
        ahead = GenerationJob.objects.filter(
            state=self.State.QUEUED, created_at__lt=self.created_at
        ).count()
        return ahead + 1

    def eta_seconds(self) -> int | None:
        """Seconds left for this job from its measured speed; None before anything is measured."""
        if self.seconds_per_unit is None or not self.progress_total:
            return None
        left = max(0, self.progress_total - self.progress_done)
        return round(left * self.seconds_per_unit)

    @property
    def duration(self) -> timedelta | None:
        if not self.started_at:
            return None
        return (self.finished_at or timezone.now()) - self.started_at


artifact_path = SessionFilePath("training", kind_prefix=True)


class TrainingArtifact(models.Model):
    """A file made from a session's photos: cached latents, a checkpoint, the LoRA weights."""

    class Kind(models.TextChoices):
        LATENTS = "latents", _("Cached latents and text embeddings")
        CHECKPOINT = "checkpoint", _("Training checkpoint")
        LORA = "lora", _("LoRA weights")

    photo_session = models.ForeignKey(
        "sessions_app.PhotoSession",
        on_delete=models.CASCADE,
        related_name="training_artifacts",
        verbose_name=_("photo session"),
    )
    job = models.ForeignKey(
        GenerationJob,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="artifacts",
        verbose_name=_("job"),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    file = models.FileField(_("file"), storage=private_storage, upload_to=artifact_path)
    sha256 = models.CharField(_("content hash"), max_length=64)
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    # For a checkpoint: the training step it holds.
    step = models.PositiveIntegerField(_("step"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("training artifact")
        verbose_name_plural = _("training artifacts")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of session {self.photo_session_id}"


portrait_path = SessionFilePath("portraits", "png")
portrait_preview_path = SessionFilePath("previews", "webp")


class Portrait(models.Model):
    """One delivered image: full size plus a small preview, with the seed that made it."""

    photo_session = models.ForeignKey(
        "sessions_app.PhotoSession",
        on_delete=models.CASCADE,
        related_name="portraits",
        verbose_name=_("photo session"),
    )
    style = models.ForeignKey(
        "sessions_app.StylePack",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("style"),
    )
    job = models.ForeignKey(
        GenerationJob,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="portraits",
        verbose_name=_("job"),
    )
    index = models.PositiveSmallIntegerField(_("number in style"))
    seed = models.BigIntegerField(_("seed"))
    prompt = models.TextField(_("prompt"), blank=True)
    image = models.FileField(
        _("image"), storage=private_storage, upload_to=portrait_path, blank=True
    )
    preview = models.FileField(
        _("preview"), storage=private_storage, upload_to=portrait_preview_path, blank=True
    )
    width = models.PositiveIntegerField(_("width"), default=0)
    height = models.PositiveIntegerField(_("height"), default=0)
    sha256 = models.CharField(_("content hash"), max_length=64, blank=True)
    favourite = models.BooleanField(_("favourite"), default=False)
    # 0-1, how much the portrait's face looks like the customer's accepted photos (0.5 is the
    # same-person threshold); empty when it shows no single face (the tiny model's images).
    likeness = models.FloatField(_("likeness to the customer"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Moves with every save, favourites included: the gallery's cached page keys on it.
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("portrait")
        verbose_name_plural = _("portraits")
        ordering = ["style__order", "style_id", "index", "id"]
        constraints = [
            models.UniqueConstraint(fields=["job", "style", "index"], name="unique_job_style_index")
        ]

    def __str__(self) -> str:
        return f"portrait {self.index + 1} ({self.style}) of session {self.photo_session_id}"

    @property
    def is_ready(self) -> bool:
        return bool(self.image)

    def download_name(self) -> str:
        return f"pictureus-{self.style.slug}-{self.index + 1:02d}.png"


class FeaturedPortrait(models.Model):
    """A delivered portrait an operator shows in the site's sample gallery (P06).

    Only a customer who gave the separate marketing-likeness consent can be featured, and the
    site shows the portrait only while that consent stands.
    """

    # The sample's address on the site: random, so it reveals neither the customer nor the order.
    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    portrait = models.OneToOneField(
        Portrait,
        on_delete=models.CASCADE,
        related_name="featured",
        verbose_name=_("portrait"),
    )
    order = models.PositiveSmallIntegerField(
        _("order"), default=0, help_text=_("Samples with a lower number come first.")
    )
    featured_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("featured by"),
    )
    featured_at = models.DateTimeField(_("featured at"), auto_now_add=True)

    class Meta:
        verbose_name = _("site sample portrait")
        verbose_name_plural = _("site sample portraits")
        ordering = ["order", "-featured_at", "-id"]

    def __str__(self) -> str:
        return f"sample {self.pk}: {self.portrait}"
