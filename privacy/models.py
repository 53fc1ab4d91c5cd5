import hashlib
import hmac
import json
import uuid
from typing import TYPE_CHECKING, Any, NoReturn

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pictureus.storage import private_storage
from pictureus.translated import Translated, TranslatedFieldsMixin

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


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

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.version}"

    @classmethod
    def current(cls, kind: str = Kind.PRIVACY) -> "PolicyVersion | None":
        from pictureus.timezones import service_today

        return (
            cls.objects.filter(kind=kind, effective_date__lte=service_today())
            .order_by("-effective_date", "-id")
            .first()
        )


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


class Processor(TranslatedFieldsMixin, models.Model):
    """A processor (subprocessor) handling personal data for us, with its transfer safeguard."""

    name_en = models.CharField(_("name"), max_length=120)
    # Brand names stay as they are; a descriptive name needs its Korean here.
    name_ko = models.CharField(_("name (Korean)"), max_length=120, blank=True)
    purpose_en = models.CharField(_("purpose (English)"), max_length=200)
    purpose_ko = models.CharField(_("purpose (Korean)"), max_length=200)
    location_en = models.CharField(_("location (English)"), max_length=120)
    location_ko = models.CharField(_("location (Korean)"), max_length=120, blank=True)
    transfer_safeguard_en = models.CharField(
        _("transfer safeguard (English)"),
        max_length=200,
        help_text=_("The mechanism for cross-border transfers, e.g. Standard Contractual Clauses."),
    )
    transfer_safeguard_ko = models.CharField(_("transfer safeguard (Korean)"), max_length=200)
    active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("processor")
        verbose_name_plural = _("processors")
        ordering = ["order", "name_en"]

    def __str__(self) -> str:
        return self.name_en

    # Each in the reader's language (the `_en` and `_ko` columns above).
    name = Translated()
    purpose = Translated()
    transfer_safeguard = Translated()
    location = Translated()
