import hashlib
import hmac
import json
from typing import TYPE_CHECKING, Any, NoReturn

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from .policy import PolicyVersion
from .retention import RetentionPolicy

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def hash_ip(ip: str | None) -> str:
    """A keyed hash of an IP address: enough to spot abuse, useless to identify anyone."""
    if not ip:
        return ""
    return hashlib.sha256(f"{settings.SECRET_KEY}:{ip}".encode()).hexdigest()


class AppendOnlyModel(models.Model):
    """Rows are written once: updates and deletes are refused (the database refuses too)."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise ValidationError(f"{self._meta.verbose_name} rows are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise ValidationError(f"{self._meta.verbose_name} rows are append-only.")


class ConsentText(AppendOnlyModel):
    """The exact wording of one consent as a customer read it: purpose, items collected,
    retention period, and the right to refuse with its consequence (PIPA Art. 15(2), 22).

    Its version is the SHA-256 of the text, so any change of wording (or of a period it
    quotes) is a new version; each ledger row names the version its customer saw.
    """

    version = models.CharField(_("version"), max_length=64, unique=True)
    purpose = models.CharField(_("purpose"), max_length=32)
    language = models.CharField(_("language"), max_length=8)
    text = models.TextField(_("text"))
    created_at = models.DateTimeField(_("first shown at"), auto_now_add=True)

    class Meta:
        verbose_name = _("consent text")
        verbose_name_plural = _("consent texts")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.purpose} {self.language} {self.version[:12]}"


class ConsentRecord(AppendOnlyModel):
    """One row of the consent ledger: a grant or a withdrawal. Current state is the latest row."""

    class Purpose(models.TextChoices):
        FACE_PHOTOS = "face_photos", _("Processing of my face photos for my session")
        MODEL_IMPROVEMENT = "model_improvement", _("Use of my photos to improve the models")
        MARKETING_LIKENESS = "marketing_likeness", _("Use of my portraits in marketing")
        COOKIES_OPTIONAL = "cookies_optional", _("Optional cookies")
        SALE_SHARING = "sale_sharing", _("Sale or sharing of personal information")

    class Method(models.TextChoices):
        FORM = "form", _("Form")
        COOKIE_BANNER = "cookie_banner", _("Cookie banner")
        GPC = "gpc", _("Global Privacy Control signal")
        AGENT = "agent", _("Authorised agent")
        SYSTEM = "system", _("System")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="consents",
        verbose_name=_("user"),
    )
    browser_id = models.CharField(_("browser id"), max_length=64, blank=True)
    # Face-photo consent is given for one photo session; other purposes are account-wide.
    photo_session = models.ForeignKey(
        "sessions_app.PhotoSession",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="consents",
        verbose_name=_("photo session"),
    )
    purpose = models.CharField(_("purpose"), max_length=32, choices=Purpose.choices)
    granted = models.BooleanField(_("granted"))
    policy_version = models.ForeignKey(
        PolicyVersion,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        verbose_name=_("policy version"),
    )
    text_sha256 = models.CharField(_("text hash"), max_length=64, blank=True)
    # The consent's own wording the customer saw on the form (empty for banner and signals).
    consent_text = models.ForeignKey(
        ConsentText,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("consent text seen"),
    )
    method = models.CharField(_("method"), max_length=16, choices=Method.choices)
    ip_hash = models.CharField(_("IP hash"), max_length=64, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    jurisdiction = models.CharField(_("jurisdiction"), max_length=8, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "purpose", "-created_at"])]

    def __str__(self) -> str:
        verb = "granted" if self.granted else "withdrawn"
        return f"{self.purpose} {verb} ({self.created_at:%Y-%m-%d})"


class AuditEvent(AppendOnlyModel):
    """The audit trail: who did what to whose data. Holds no photo content (P10, P24)."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("actor"),
    )
    action = models.CharField(_("action"), max_length=64, db_index=True)
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("subject"),
    )
    # Survives the subject's erasure: a pseudonymous reference, never the email.
    subject_ref = models.CharField(_("subject reference"), max_length=64, blank=True)
    object_type = models.CharField(_("object type"), max_length=64, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}:{self.object_id}"


class DeletionReceipt(AppendOnlyModel):
    """A content-free record that something was deleted, chained by hash so gaps and edits show."""

    class Reason(models.TextChoices):
        RETENTION = "retention", _("Retention period ended")
        REQUEST = "request", _("Customer's request")
        WITHDRAWAL = "withdrawal", _("Consent withdrawn")
        SUPERSEDED = "superseded", _("Replaced by a later step of the training")

    class HashScheme(models.TextChoices):
        # Entries written before the chain was keyed; verifiable only as a prefix of the chain.
        SHA256 = "sha256", _("SHA-256 (before the chain was keyed)")
        HMAC_SHA256 = "hmac-sha256", _("HMAC-SHA256 with the chain key")

    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deletion_receipts",
        verbose_name=_("subject"),
    )
    subject_ref = models.CharField(_("subject reference"), max_length=64, db_index=True)
    category = models.CharField(_("data category"), max_length=32)
    what = models.CharField(_("what"), max_length=200)
    content_sha256 = models.CharField(_("content hash"), max_length=64, blank=True)
    storage_location = models.CharField(_("storage location"), max_length=300, blank=True)
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    deleted_at = models.DateTimeField(_("deleted at"))
    # Unique: two entries can never claim the same predecessor, so the chain cannot fork.
    prev_hash = models.CharField(_("previous entry hash"), max_length=64, unique=True)
    entry_hash = models.CharField(_("entry hash"), max_length=64, unique=True)
    hash_scheme = models.CharField(
        _("hash scheme"), max_length=16, choices=HashScheme.choices, default=HashScheme.HMAC_SHA256
    )

    class Meta:
        verbose_name = _("deletion receipt")
        verbose_name_plural = _("deletion receipts")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.what} ({self.get_reason_display()})"

    @property
    def category_label(self) -> "StrOrPromise":
        """The category in the reader's language (receipts also name non-retention kinds)."""
        labels = {
            **dict(RetentionPolicy.Category.choices),
            "agent_authority": _("Authorised agent's document"),
            # Files made while training, told apart for the customer reading the receipt.
            "training_artifacts": _("Your personal model (trained weights)"),
            "training_checkpoint": _("Training checkpoint (an unfinished step)"),
            "training_cache": _("Prepared copies of your photos for training"),
        }
        return labels.get(self.category, self.category)

    def compute_hash(self) -> str:
        """The entry's hash over its content-free fields and the previous entry's hash.

        Keyed entries are an HMAC with `settings.RECEIPT_CHAIN_KEY`, which the database does not
        hold: whoever can write to it cannot recompute a valid tail. Old entries keep the plain
        SHA-256 they were written with.
        """
        fields = [
            self.prev_hash,
            self.subject_ref,
            self.category,
            self.what,
            self.content_sha256,
            self.storage_location,
            self.reason,
            self.detail,
            self.deleted_at.isoformat(),
        ]
        if self.hash_scheme == self.HashScheme.SHA256:
            return hashlib.sha256("|".join(fields).encode()).hexdigest()
        # JSON, not "|": no field's text can pass for a boundary between two fields.
        payload = json.dumps([self.hash_scheme, *fields], separators=(",", ":"))
        key = settings.RECEIPT_CHAIN_KEY.encode()
        return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()
