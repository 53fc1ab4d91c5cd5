"""Paying for an order: the one function that opens a checkout for whatever an order sells, and
which payment methods a price is offered with (Korean methods for won, as configured)."""

import logging
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.core import checks
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import PAYMENT_METHOD_NAMES, Order

if TYPE_CHECKING:
    import stripe

logger = logging.getLogger(__name__)


class PaymentError(Exception):
    """The payment processor refused or could not be reached; nothing was changed."""


# Stripe takes these for won prices only, from ₩100; some have a ceiling (Stripe's docs).
KOREAN_METHODS = frozenset({"kr_card", "kakao_pay", "naver_pay", "payco", "samsung_pay"})
KOREAN_MINIMUM = 100
KOREAN_MAXIMUM = {"samsung_pay": 2_000_000}


# The terms of withdrawal (전자상거래법 Art. 17(2)5, 17(6)) shown before paying, and the version
# each agreement records: a change to the wording gets a new version.
WITHDRAWAL_TERMS_VERSION = "2026-12-03"
WITHDRAWAL_TERMS = _(
    "Your portraits are made to your order. You may withdraw the order and get a full refund "
    "until the training of your personal model starts. Once training has started, the order "
    "can no longer be withdrawn, because the work made for you cannot be undone. If the "
    "portraits are not as described, or we cannot deliver them, you are refunded as the terms "
    "of service say."
)
WITHDRAWAL_AGREEMENT = _(
    "I have read the terms of withdrawal and agree that I cannot withdraw the order once "
    "training has started."
)
# More styles on a kept model are made as soon as they are paid for: no window before the work.
ADDON_WITHDRAWAL_TERMS = _(
    "These portraits are made to your order as soon as the payment arrives, so the order cannot "
    "be withdrawn once it is paid. If the portraits are not as described, or we cannot deliver "
    "them, you are refunded as the terms of service say."
)
ADDON_WITHDRAWAL_AGREEMENT = _(
    "I have read the terms of withdrawal and agree that I cannot withdraw this order once it "
    "is paid."
)


@dataclass(frozen=True)
class WithdrawalAgreement:
    """The customer's agreement to the terms of withdrawal, given on the checkout form."""

    version: str
    language: str

    def record_on(self, order: Order) -> None:
        """Keep on the order which text was agreed to, in which language, and when."""
        order.withdrawal_terms_version = self.version
        order.withdrawal_terms_language = self.language[:8]
        order.withdrawal_agreed_at = timezone.now()
        order.save(
            update_fields=[
                "withdrawal_terms_version",
                "withdrawal_terms_language",
                "withdrawal_agreed_at",
            ]
        )


def _within_limits(method: str, amount: int) -> bool:
    if method not in KOREAN_METHODS:
        return True
    return KOREAN_MINIMUM <= amount <= KOREAN_MAXIMUM.get(method, amount)


def payment_method_types(*, currency: str, amount: int) -> list[str] | None:
    """The methods a checkout of `amount` (minor unit) in `currency` offers, in the configured
    order; None lets Stripe's dynamic payment methods decide (dollar prices, or
    STRIPE_KRW_PAYMENT_METHODS set empty)."""
    configured = settings.STRIPE_KRW_PAYMENT_METHODS
    if currency != "krw" or not configured:
        return None
    offered = [method for method in configured if _within_limits(method, amount)]
    if not offered:
        # Better Stripe's own choice than no way to pay at all.
        logger.warning("No configured payment method takes ₩%s: Stripe decides", amount)
        return None
    return offered


@checks.register(checks.Tags.compatibility)
def payment_methods_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Every name in STRIPE_KRW_PAYMENT_METHODS is a method Stripe takes for won prices."""
    return [
        checks.Error(
            f"STRIPE_KRW_PAYMENT_METHODS: {method!r} is not one of "
            f"{', '.join(PAYMENT_METHOD_NAMES)}.",
            id="sessions_app.E001",
        )
        for method in settings.STRIPE_KRW_PAYMENT_METHODS
        if method not in PAYMENT_METHOD_NAMES
    ]


def stripe_client() -> "stripe.StripeClient":
    """A Stripe client for the configured key; STRIPE_API_BASE points it at a local Stripe API."""
    import stripe

    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        max_network_retries=2,
        base_addresses={"api": settings.STRIPE_API_BASE} if settings.STRIPE_API_BASE else None,
    )


def payment_backend() -> str:
    """settings.PAYMENT_BACKEND, decided once from the environment: 'stripe' when a key is
    set, 'local' only in development (settings refuse it with DEBUG=0, and so does this)."""
    if settings.PAYMENT_BACKEND == Order.Backend.LOCAL and not settings.DEBUG:
        raise PaymentError("the local test payment backend is not available with DEBUG=0")
    return settings.PAYMENT_BACKEND


def checkout_open(
    *, order: Order, item_name: str, success_url: str, cancel_url: str, language: str
) -> Order:
    """Give an open order its checkout page and return it: one line, `item_name`, at the
    order's amount and currency, paid with the methods its price is offered with.

    Every kind of order is paid through here: its caller creates the Order for what it sells
    (under its own lock and rules) and then opens its checkout. An order that has one already
    keeps it; raise PaymentError when the processor refuses or cannot be reached.
    """
    if order.checkout_session_id:
        return order
    if order.backend == Order.Backend.LOCAL:
        order.checkout_session_id = f"cs_local_{uuid.uuid4().hex}"
        order.save(update_fields=["checkout_session_id"])
        return order
    photo_session = order.photo_session
    params = {
        "mode": "payment",
        "client_reference_id": str(photo_session.public_id),
        "metadata": {"order_id": str(order.pk), "session": str(photo_session.public_id)},
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": order.currency,
                    "unit_amount": order.amount,
                    "product_data": {"name": item_name},
                },
            }
        ],
        "success_url": success_url,
        "cancel_url": cancel_url,
        "locale": "ko" if language.startswith("ko") else "en",
    }
    methods = payment_method_types(currency=order.currency, amount=order.amount)
    if methods is not None:
        params["payment_method_types"] = methods
    try:
        checkout = stripe_client().v1.checkout.sessions.create(
            params=params,  # type: ignore[arg-type]
            # Stripe answers a repeated request with the same Checkout session. The time the
            # order was made keeps the key apart from another database's order of that id.
            options={
                "idempotency_key": f"pictureus-order-{order.pk}-{order.created_at.isoformat()}"
            },
        )
    except Exception as exc:
        logger.warning("Stripe checkout for order %s failed: %s", order.pk, exc)
        raise PaymentError(str(exc)) from exc
    order.checkout_session_id = checkout.id
    order.checkout_url = checkout.url or ""
    order.save(update_fields=["checkout_session_id", "checkout_url"])
    return order
