import hashlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class PolicyVersion(models.Model):
    """A published version of the privacy policy or the terms, with its dates (P20, P26)."""

    class Kind(models.TextChoices):
        PRIVACY = "privacy", _("Privacy policy")
        TERMS = "terms", _("Terms of service")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    version = models.CharField(_("version"), max_length=20)
    effective_date = models.DateField(_("effective date"))
    last_updated = models.DateField(_("last updated"))
    material_change = models.BooleanField(
        _("material change"),
        default=False,
        help_text=_("Customers must consent again before further processing of their photos."),
    )
    text_sha256 = models.CharField(
        _("text hash"),
        max_length=64,
        blank=True,
        help_text=_("SHA-256 of the text customers agree to under this version."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("policy version")
        verbose_name_plural = _("policy versions")
        ordering = ["kind", "-effective_date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="unique_policy_version")
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.version}"

    @classmethod
    def current(cls, kind=Kind.PRIVACY):
        from django.utils import timezone

        return (
            cls.objects.filter(kind=kind, effective_date__lte=timezone.localdate())
            .order_by("-effective_date", "-id")
            .first()
        )


def hash_ip(ip):
    """A keyed hash of an IP address: enough to spot abuse, useless to identify anyone."""
    if not ip:
        return ""
    return hashlib.sha256(f"{settings.SECRET_KEY}:{ip}".encode()).hexdigest()


class AppendOnlyModel(models.Model):
    """Rows are written once: updates and deletes are refused (the database refuses too)."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ValidationError(f"{self._meta.verbose_name} rows are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(f"{self._meta.verbose_name} rows are append-only.")


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

    def __str__(self):
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

    def __str__(self):
        return f"{self.action} {self.object_type}:{self.object_id}"
