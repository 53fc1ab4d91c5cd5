import uuid
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from pictureus.db import prepared_cursor
from pictureus.storage import SessionFilePath, private_storage
from pictureus.translated import Translated, TranslatedFieldsMixin

if TYPE_CHECKING:
    from accounts.models import User


class Plan(TranslatedFieldsMixin, models.Model):
    slug = models.SlugField(_("slug"), unique=True)
    name_en = models.CharField(_("name (English)"), max_length=80)
    name_ko = models.CharField(_("name (Korean)"), max_length=80)
    description_en = models.TextField(_("description (English)"), blank=True)
    description_ko = models.TextField(_("description (Korean)"), blank=True)
    styles_count = models.PositiveSmallIntegerField(_("number of styles"), default=2)
    images_per_style = models.PositiveSmallIntegerField(_("images per style"), default=4)
    # Candidates made per portrait delivered: the best by likeness are delivered.
    oversampling = models.FloatField(
        _("candidates per portrait"),
        default=1.5,
        validators=[MinValueValidator(1.0), MaxValueValidator(4.0)],
        help_text=_(
            "How many candidates are made for each portrait delivered (1 to 4); the ones most "
            "like the customer are delivered."
        ),
    )
    turnaround_hours = models.PositiveSmallIntegerField(_("turnaround (hours)"), default=2)
    # Training settings for this plan; zero means the model family's sensible default.
    lora_rank = models.PositiveSmallIntegerField(_("LoRA rank"), default=0)
    train_steps = models.PositiveIntegerField(_("training steps"), default=0)
    learning_rate = models.FloatField(_("learning rate"), default=0)
    resolution = models.PositiveSmallIntegerField(_("resolution"), default=0)
    train_batch_size = models.PositiveSmallIntegerField(
        _("training batch size"),
        default=0,
        validators=[MaxValueValidator(16)],
        help_text=_("Photos per training step; 0 for the model family's default."),
    )
    gradient_checkpointing = models.BooleanField(
        _("gradient checkpointing"),
        null=True,
        blank=True,
        help_text=_(
            "Trades training speed for GPU memory. Unknown: on only when the GPU has too "
            "little memory to train the model without it."
        ),
    )
    active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name

    # Each in the reader's language (the `_en` and `_ko` columns above).
    name = Translated()
    description = Translated()

    @property
    def images_total(self) -> int:
        return self.styles_count * self.images_per_style


class PlanPrice(models.Model):
    """A plan's price in one currency, in the currency's minor unit (cents; won have none)."""

    class Currency(models.TextChoices):
        USD = "usd", "USD"
        KRW = "krw", "KRW"

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="prices")
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    amount = models.PositiveIntegerField(_("amount (minor unit)"))

    class Meta:
        verbose_name = _("price")
        verbose_name_plural = _("prices")
        constraints = [
            models.UniqueConstraint(fields=["plan", "currency"], name="unique_plan_currency")
        ]

    def __str__(self) -> str:
        return f"{self.plan} {self.amount} {self.currency}"


class AddonPrice(models.Model):
    """What one more style costs on a delivered session's kept model, in one currency."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="addon_prices")
    currency = models.CharField(_("currency"), max_length=3, choices=PlanPrice.Currency.choices)
    amount = models.PositiveIntegerField(_("price per extra style (minor unit)"))

    class Meta:
        verbose_name = _("extra style price")
        verbose_name_plural = _("extra style prices")
        constraints = [
            models.UniqueConstraint(fields=["plan", "currency"], name="unique_addon_currency")
        ]

    def __str__(self) -> str:
        return f"{self.plan} +1 {self.amount} {self.currency}"


class StylePack(TranslatedFieldsMixin, models.Model):
    slug = models.SlugField(_("slug"), unique=True)
    name_en = models.CharField(_("name (English)"), max_length=80)
    name_ko = models.CharField(_("name (Korean)"), max_length=80)
    description_en = models.TextField(_("description (English)"), blank=True)
    description_ko = models.TextField(_("description (Korean)"), blank=True)
    preview_image = models.CharField(
        _("preview image"),
        max_length=200,
        blank=True,
        help_text=_("Path of the preview under the static files, e.g. img/styles/studio.webp."),
    )
    preview_alt_en = models.CharField(
        _("preview description (English)"), max_length=200, blank=True
    )
    preview_alt_ko = models.CharField(_("preview description (Korean)"), max_length=200, blank=True)
    prompt_template = models.TextField(
        _("prompt template"),
        help_text=_("Use {token} and {class_word} where the customer's subject goes."),
    )
    negative_prompt = models.TextField(_("negative prompt"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("style pack")
        verbose_name_plural = _("style packs")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name

    # Each in the reader's language (the `_en` and `_ko` columns above).
    name = Translated()
    description = Translated()
    preview_alt = Translated()


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


# Stripe's payment method types the site knows, as customers read them.
PAYMENT_METHOD_NAMES = {
    "card": _("Card"),
    "kr_card": _("Korean card"),
    "kakao_pay": _("Kakao Pay"),
    "naver_pay": _("Naver Pay"),
    "payco": _("PAYCO"),
    "samsung_pay": _("Samsung Pay"),
}


class Order(models.Model):
    """One payment attempt: the processor's ids and amounts, never card data (P22)."""

    class Backend(models.TextChoices):
        STRIPE = "stripe", _("Stripe")
        LOCAL = "local", _("Local test payments")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        PAID = "paid", _("Paid")
        EXPIRED = "expired", _("Expired")

    class Kind(models.TextChoices):
        SESSION = "session", _("Session")
        ADDON = "addon", _("More styles on the kept model")

    photo_session = models.ForeignKey(
        PhotoSession, on_delete=models.CASCADE, related_name="orders", verbose_name=_("session")
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.SESSION)
    # What an add-on order buys: these styles, made on the session's model.
    styles = models.ManyToManyField(
        StylePack, blank=True, related_name="addon_orders", verbose_name=_("extra styles")
    )
    backend = models.CharField(_("backend"), max_length=8, choices=Backend.choices)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    currency = models.CharField(_("currency"), max_length=3, choices=PlanPrice.Currency.choices)
    amount = models.PositiveIntegerField(_("amount (minor unit)"))
    amount_refunded = models.PositiveIntegerField(_("amount refunded (minor unit)"), default=0)
    checkout_session_id = models.CharField(
        _("checkout session id"), max_length=255, unique=True, null=True, blank=True
    )
    checkout_url = models.URLField(_("checkout URL"), max_length=1000, blank=True)
    payment_intent_id = models.CharField(_("payment intent id"), max_length=255, blank=True)
    # The processor's own receipt page for the payment (Stripe's charge receipt).
    receipt_url = models.URLField(_("processor's receipt"), max_length=1000, blank=True)
    # The kind of payment method the customer paid with, as Stripe names it ("kakao_pay").
    payment_method = models.CharField(_("payment method"), max_length=32, blank=True)
    # What the customer agreed to about withdrawing the order before paying (전자상거래법 17).
    withdrawal_terms_version = models.CharField(
        _("terms of withdrawal agreed to"), max_length=16, blank=True
    )
    withdrawal_terms_language = models.CharField(
        _("language of the terms of withdrawal"), max_length=8, blank=True
    )
    withdrawal_agreed_at = models.DateTimeField(
        _("terms of withdrawal agreed at"), null=True, blank=True
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return _("order %(number)s · %(amount)s %(currency)s · %(status)s") % {
            "number": self.pk,
            "amount": self.amount,
            "currency": self.currency.upper(),
            "status": self.get_status_display(),
        }

    @property
    def refundable(self) -> int:
        return self.amount - self.amount_refunded if self.status == self.Status.PAID else 0

    @property
    def payment_method_display(self) -> str:
        """How the customer paid, in the reader's language."""
        if self.backend == self.Backend.LOCAL:
            return gettext("the test payment service (no real payment)")
        # An unknown method as Stripe names it; none known yet: the processor's name.
        return str(PAYMENT_METHOD_NAMES.get(self.payment_method, self.payment_method or "Stripe"))


class Refund(models.Model):
    """A refund asked of the processor and what it answered."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, related_name="refunds", verbose_name=_("order")
    )
    amount = models.PositiveIntegerField(_("amount (minor unit)"))
    reason = models.CharField(_("reason"), max_length=300)
    automatic = models.BooleanField(_("automatic"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    processor_refund_id = models.CharField(_("processor refund id"), max_length=255, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"refund {self.pk} · {self.amount} · {self.status}"


class WebhookEvent(models.Model):
    """A payment event seen once: its id makes repeated deliveries harmless."""

    event_id = models.CharField(_("event id"), max_length=255, unique=True)
    event_type = models.CharField(_("event type"), max_length=100)
    backend = models.CharField(_("backend"), max_length=8, choices=Order.Backend.choices)
    outcome = models.CharField(_("outcome"), max_length=200, blank=True)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("payment event")
        verbose_name_plural = _("payment events")
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"
