"""A session's payments: orders, refunds and the payment events seen."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .catalogue import PlanPrice, StylePack
from .sessions import PhotoSession

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
