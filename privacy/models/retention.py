from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class RetentionPolicy(models.Model):
    """How long one category of data is kept, counted from one event (P08, P09, P10).

    The gallery's displayed dates and the retention sweep both read these rows, so the date
    shown and the date enforced cannot drift apart.
    """

    class Category(models.TextChoices):
        ORIGINALS = "originals", _("Original photos")
        TRAINING_ARTIFACTS = "training_artifacts", _("Training artifacts (latents, LoRA weights)")
        DELIVERABLES = "deliverables", _("Generated portraits (gallery)")
        EXPORTS = "exports", _("Data exports")
        AUDIT_LOG = "audit_log", _("Audit log")
        DELETION_RECEIPTS = "deletion_receipts", _("Deletion receipts")
        ABANDONED = "abandoned", _("Photos and models of sessions never delivered")
        ACCOUNT = "account", _("Account, addresses and support messages")
        SERVICE_RECORDS = "service_records", _("Orders, payments, refunds and jobs")
        CONSENTS = "consents", _("Consent ledger")

    class Event(models.TextChoices):
        DELIVERED = "delivered", _("Generation completed (gallery delivered)")
        CREATED = "created", _("Record created")
        LAST_ACTIVITY = "last_activity", _("Last change to an undelivered session")

    category = models.CharField(_("data category"), max_length=32, choices=Category.choices)
    period_days = models.PositiveIntegerField(_("period (days)"))
    counts_from = models.CharField(_("counted from"), max_length=16, choices=Event.choices)
    reminder_days = models.PositiveSmallIntegerField(
        _("reminder (days before)"),
        default=0,
        help_text=_("Email the customer this many days before deletion; 0 sends no reminder."),
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("retention policy")
        verbose_name_plural = _("retention policies")
        ordering = ["category"]
        constraints = [
            models.UniqueConstraint(fields=["category"], name="unique_retention_category")
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()}: {self.period_days}"


class LegalHold(models.Model):
    """Keeps exactly what it names from the sweep and from erasure until released (P11)."""

    class Scope(models.TextChoices):
        ACCOUNT = "account", _("Whole account")
        SESSION = "session", _("One photo session")

    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="legal_holds",
        verbose_name=_("customer"),
    )
    photo_session = models.ForeignKey(
        "sessions_app.PhotoSession",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="legal_holds",
        verbose_name=_("photo session"),
        help_text=_("Required when the scope is one photo session."),
    )
    reason = models.TextField(_("reason"))
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("placed by"),
    )
    until = models.DateField(_("until"), null=True, blank=True)
    created_at = models.DateTimeField(_("placed at"), auto_now_add=True)
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("released by"),
    )

    class Meta:
        verbose_name = _("legal hold")
        verbose_name_plural = _("legal holds")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_scope_display()} · {self.user_id}"

    def clean(self) -> None:
        if self.scope == self.Scope.SESSION and not self.photo_session_id:
            raise ValidationError({"photo_session": _("Choose the photo session to hold.")})
        photo_session = self.photo_session if self.photo_session_id else None
        if photo_session is not None and photo_session.user_id != self.user_id:
            raise ValidationError({"photo_session": _("The session belongs to another customer.")})


class PendingErasure(models.Model):
    """An account erasure that a legal hold interrupted; it resumes when the hold is released."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="pending_erasure",
        verbose_name=_("customer"),
    )
    reason = models.CharField(_("reason"), max_length=16)
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("pending erasure")
        verbose_name_plural = _("pending erasures")

    def __str__(self) -> str:
        return f"erasure of {self.user_id}"


class PendingFileDeletion(models.Model):
    """A stored file whose erasure has committed and whose bytes are deleted right after the
    commit; a row still here means the process stopped in between, and the sweep finishes it."""

    name = models.CharField(_("file"), max_length=500)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("file awaiting deletion")
        verbose_name_plural = _("files awaiting deletion")

    def __str__(self) -> str:
        return self.name


class RetentionReminder(models.Model):
    """That the gallery-deletion reminder went out for a session (so it goes out once)."""

    photo_session = models.OneToOneField(
        "sessions_app.PhotoSession",
        on_delete=models.CASCADE,
        related_name="retention_reminder",
        verbose_name=_("photo session"),
    )
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        verbose_name = _("retention reminder")
        verbose_name_plural = _("retention reminders")

    def __str__(self) -> str:
        return f"reminder for {self.photo_session_id}"
