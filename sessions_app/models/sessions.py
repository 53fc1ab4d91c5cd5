"""A photo session, the record of its state changes and its accepted photos."""

import uuid
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from pictureus.db import prepared_cursor
from pictureus.storage import SessionFilePath, private_storage

from .catalogue import Plan, PlanPrice, StylePack

if TYPE_CHECKING:
    from accounts.models import User


class PhotoSession(models.Model):
    """One paid photo session: its photos, its LoRA and its gallery belong to one customer."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        AWAITING_PAYMENT = "awaiting_payment", _("Awaiting payment")
        PAID = "paid", _("Paid")
        COLLECTING_PHOTOS = "collecting_photos", _("Collecting photos")
        QUEUED = "queued", _("Queued")
        TRAINING = "training", _("Training")
        GENERATING = "generating", _("Generating")
        DELIVERED = "delivered", _("Delivered")
        ORIGINALS_DELETED = "originals_deleted", _("Originals deleted")
        EXPIRED = "expired", _("Expired")
        FAILED = "failed", _("Failed")
        REFUNDED = "refunded", _("Refunded")

    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="photo_sessions",
        verbose_name=_("customer"),
    )
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, verbose_name=_("plan"))
    styles = models.ManyToManyField(StylePack, verbose_name=_("styles"))
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.DRAFT, db_index=True
    )
    currency = models.CharField(_("currency"), max_length=3, choices=PlanPrice.Currency.choices)
    amount = models.PositiveIntegerField(_("amount (minor unit)"))
    # The rare token and class word the LoRA learns the subject under.
    subject_token = models.CharField(_("subject token"), max_length=16, default="ohwx")
    class_word = models.CharField(_("class word"), max_length=16, default="person")
    # Chosen by the customer: no retouching or beautifying in the prompts (résumés, badges,
    # ID-like photos, where an idealised face is a problem).
    natural = models.BooleanField(_("natural look"), default=False)
    failure_reason = models.TextField(_("failure reason"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    state_changed_at = models.DateTimeField(_("state changed at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    originals_deleted_at = models.DateTimeField(_("originals deleted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("photo session")
        verbose_name_plural = _("photo sessions")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.plan} · {self.user} · {self.get_state_display()}"

    @classmethod
    def list_version(cls, user: "User") -> tuple[Any, ...]:
        """How many sessions the customer has and when one last changed (states move by save()).

        Plain SQL, planned once per connection: the dashboard asks on every view, and building
        the ORM's aggregate costs several times what running it does.
        """
        table = cls._meta.db_table
        with prepared_cursor() as cursor:
            cursor.execute(
                f"SELECT COUNT(*), MAX(updated_at) FROM {table} WHERE user_id = %s",  # noqa: S608
                [user.pk],
            )
            return cursor.fetchone()


class SessionTransition(models.Model):
    """The record of one state change: from, to, why, who, when."""

    photo_session = models.ForeignKey(
        PhotoSession, on_delete=models.CASCADE, related_name="transitions"
    )
    from_state = models.CharField(
        _("from"), max_length=20, blank=True, choices=PhotoSession.State.choices
    )
    to_state = models.CharField(_("to"), max_length=20, choices=PhotoSession.State.choices)
    # Kept as written (system causes in English, "job failed #12"); cause_display translates.
    cause = models.CharField(_("cause"), max_length=200)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("state transition")
        verbose_name_plural = _("state transitions")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_from_state_display() or '-'} → {self.get_to_state_display()}"

    @property
    def cause_display(self) -> str:
        """The cause in the reader's language: system causes are in the catalogue; a job's
        number ("#12") stays; what a person typed (a refund reason) is shown as typed."""
        text, hash_sign, number = self.cause.rpartition(" #")
        if hash_sign and number.isdigit():
            return f"{gettext(text)} #{number}"
        return gettext(self.cause)


source_photo_path = SessionFilePath("originals", "jpg")
source_thumb_path = SessionFilePath("thumbs", "webp")


class SourcePhoto(models.Model):
    """An accepted upload: re-encoded without metadata, with technical measures only (P23)."""

    photo_session = models.ForeignKey(
        PhotoSession,
        on_delete=models.CASCADE,
        related_name="photos",
        verbose_name=_("photo session"),
    )
    image = models.FileField(_("image"), storage=private_storage, upload_to=source_photo_path)
    thumbnail = models.FileField(
        _("thumbnail"), storage=private_storage, upload_to=source_thumb_path, blank=True
    )
    sha256 = models.CharField(_("content hash"), max_length=64)
    width = models.PositiveIntegerField(_("width"))
    height = models.PositiveIntegerField(_("height"))
    # Technical measures from the quality checks; no inferred traits, ever (P23).
    face_box = models.JSONField(_("face box"), default=list, blank=True)
    sharpness = models.FloatField(_("sharpness"), default=0)
    phash = models.CharField(_("perceptual hash"), max_length=16, blank=True)
    # 0-1, how much the face looks like the person most of the session's photos show (0.5 is
    # the same-person threshold); empty while no one person is shown by most of them.
    likeness = models.FloatField(_("likeness to the other photos"), null=True, blank=True)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("source photo")
        verbose_name_plural = _("source photos")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return gettext("photo %(photo)s of session %(session)s") % {
            "photo": self.pk,
            "session": self.photo_session_id,
        }

    @property
    def looks_like_someone_else(self) -> bool:
        return self.likeness is not None and self.likeness < 0.5
