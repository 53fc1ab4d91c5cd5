import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pictureus.storage import private_storage


class ProcessingRestriction(models.Model):
    """A restriction, objection or limit-use that stands until lifted (P16)."""

    class Kind(models.TextChoices):
        RESTRICTION = "restriction", _("Restriction of processing")
        OBJECTION = "objection", _("Objection to processing")
        LIMIT_USE = "limit_use", _("Limit use of sensitive information")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="processing_restrictions",
        verbose_name=_("customer"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    request = models.ForeignKey(
        "privacy.DataSubjectRequest",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        verbose_name=_("request"),
    )
    created_at = models.DateTimeField(_("since"), auto_now_add=True)
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("processing restriction")
        verbose_name_plural = _("processing restrictions")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.user_id}"


def agent_authority_path(instance: "DataSubjectRequest", filename: str) -> str:
    return f"privacy/authority/{instance.public_id}/{uuid.uuid4().hex}"


def export_path(instance: "DataExport", filename: str) -> str:
    return f"privacy/exports/{instance.public_id}/{uuid.uuid4().hex}.zip"


class DataSubjectRequest(models.Model):
    """A request to exercise a privacy right, with its verification and legal deadlines."""

    class Type(models.TextChoices):
        ACCESS = "access", _("Access to my data")
        PORTABILITY = "portability", _("Copy of my data to take elsewhere")
        CORRECTION = "correction", _("Correction of my data")
        ERASURE = "erasure", _("Erasure of my data")
        RESTRICTION = "restriction", _("Restriction of processing")
        OBJECTION = "objection", _("Objection to processing")
        WITHDRAWAL = "withdrawal", _("Withdrawal of consent")
        OPT_OUT_SALE = "opt_out_sale", _("Opt-out of sale or sharing")
        LIMIT_USE = "limit_use", _("Limit use of sensitive information")

    class Channel(models.TextChoices):
        CUSTOMER = "customer", _("Signed-in customer")
        VISITOR = "visitor", _("Visitor, by email")
        AGENT = "agent", _("Authorised agent")

    class Status(models.TextChoices):
        AWAITING_VERIFICATION = "awaiting_verification", _("Awaiting verification")
        VERIFIED = "verified", _("Verified")
        IN_PROGRESS = "in_progress", _("In progress")
        FULFILLED = "fulfilled", _("Fulfilled")
        REFUSED = "refused", _("Refused")

    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    type = models.CharField(_("type"), max_length=16, choices=Type.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    status = models.CharField(
        _("status"),
        max_length=24,
        choices=Status.choices,
        default=Status.AWAITING_VERIFICATION,
        db_index=True,
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="data_requests",
        verbose_name=_("customer"),
    )
    # Blank once the account it concerns is erased: the minimum record stays (type, dates,
    # outcome and the pseudonymous reference below).
    email = models.EmailField(_("requester's email"), blank=True)
    subject_ref = models.CharField(_("subject reference"), max_length=64, blank=True)
    language = models.CharField(
        _("language"), max_length=8, default="en", choices=settings.LANGUAGES
    )
    details = models.TextField(_("details"), blank=True, max_length=5000)
    jurisdictions = models.JSONField(_("jurisdictions"), default=list)
    agent_name = models.CharField(_("agent's name"), max_length=120, blank=True)
    agent_email = models.EmailField(_("agent's email"), blank=True)
    agent_authority = models.FileField(
        _("agent's signed authority"),
        storage=private_storage,
        upload_to=agent_authority_path,
        blank=True,
    )
    customer_confirmed_at = models.DateTimeField(_("customer confirmed at"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"), default=timezone.now, db_index=True)
    due_date = models.DateField(_("due date"), db_index=True)
    receipt_due_date = models.DateField(_("receipt confirmation due"), null=True, blank=True)
    receipt_confirmed_at = models.DateTimeField(_("receipt confirmed at"), null=True, blank=True)
    extended_at = models.DateTimeField(_("extended at"), null=True, blank=True)
    extension_reason = models.TextField(_("extension reason"), blank=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verification_method = models.CharField(_("verification method"), max_length=40, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("verified by"),
    )
    refusal_reason = models.TextField(_("refusal reason"), blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("data-subject request")
        verbose_name_plural = _("data-subject requests")
        ordering = ["due_date", "id"]

    def __str__(self) -> str:
        return f"{self.get_type_display()} · {self.email}"

    @property
    def is_open(self) -> bool:
        return self.status not in (self.Status.FULFILLED, self.Status.REFUSED)

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None


class DataExport(models.Model):
    """A zip of a customer's data, built off-request and offered through an expiring link."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Being prepared")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")
        DELETED = "deleted", _("Deleted")

    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="data_exports",
        verbose_name=_("customer"),
    )
    request = models.ForeignKey(
        DataSubjectRequest,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        verbose_name=_("request"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    file = models.FileField(_("file"), storage=private_storage, upload_to=export_path, blank=True)
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    ready_at = models.DateTimeField(_("ready at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("link expires at"), null=True, blank=True)

    class Meta:
        verbose_name = _("data export")
        verbose_name_plural = _("data exports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"export {self.public_id}"
