"""Paying for a session: the checkout, the payment events, the order confirmation."""

import logging
import uuid

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.models import User
from pictureus.mail import send_templated, site_url
from pictureus.seller import seller
from pictureus.timezones import zone_for_user
from privacy.services import audit_log

from .. import addons
from ..checkout import (
    ADDON_WITHDRAWAL_TERMS,
    WITHDRAWAL_TERMS,
    PaymentError,
    WithdrawalAgreement,
    checkout_open,
    payment_backend,
    stripe_client,
)
from ..models import Order, PhotoSession, WebhookEvent
from .refunds import order_refund
from .states import InvalidTransition, session_transition

logger = logging.getLogger(__name__)

S = PhotoSession.State


def order_checkout_start(
    *,
    photo_session: PhotoSession,
    success_url: str,
    cancel_url: str,
    agreement: WithdrawalAgreement,
    actor: User | None = None,
) -> Order:
    """Open (or reuse) the one payment attempt for a session and return it with its checkout URL.

    A session has at most one open order: asking again returns the same one, so a second
    click or a second tab cannot start a second charge. The order keeps the terms of
    withdrawal the customer agreed to on the way (the latest agreement, for a reused one); the
    checkout speaks the language they agreed in.
    """
    backend = payment_backend()
    with transaction.atomic():
        locked = PhotoSession.objects.select_for_update().get(pk=photo_session.pk)
        if locked.state not in (S.DRAFT, S.AWAITING_PAYMENT):
            raise InvalidTransition(f"a session in {locked.state} cannot be paid for")
        order = locked.orders.filter(
            status=Order.Status.OPEN, backend=backend, kind=Order.Kind.SESSION
        ).first()
        if locked.state == S.DRAFT:
            session_transition(
                photo_session=locked,
                to_state=S.AWAITING_PAYMENT,
                cause=gettext_noop("checkout started"),
                actor=actor,
            )
        order = order or Order.objects.create(
            photo_session=locked,
            backend=backend,
            currency=locked.currency,
            amount=locked.amount,
        )
        agreement.record_on(order)
    return checkout_open(
        order=order,
        item_name=f"PictureUs {locked.plan.name_en}",
        success_url=success_url,
        cancel_url=cancel_url,
        language=agreement.language,
    )


def payment_event_process(
    *, event_id: str, event_type: str, data_object: dict, backend: str
) -> str:
    """Apply one verified payment event exactly once; return what it did (for the log).

    Repeated deliveries are recognised by the event id; events may arrive in any order, and a
    paid order is never made unpaid again. Unknown event types are recorded and ignored.
    """
    with transaction.atomic():
        event, created = WebhookEvent.objects.get_or_create(
            event_id=event_id, defaults={"event_type": event_type[:100], "backend": backend}
        )
        if not created:
            return "duplicate"
        outcome = _event_apply(event_type=event_type, data_object=data_object)
        event.outcome = outcome[:200]
        event.save(update_fields=["outcome"])
    if outcome == "second payment":
        # The session was already paid through another order: give this money back at once.
        order = Order.objects.get(checkout_session_id=data_object.get("id"))
        order_refund(order=order, amount=None, reason="second payment for one session")
    return outcome


def _event_apply(*, event_type: str, data_object: dict) -> str:
    if event_type in ("checkout.session.completed", "checkout.session.async_payment_succeeded"):
        return _checkout_completed(data_object)
    if event_type in ("checkout.session.expired", "checkout.session.async_payment_failed"):
        return _checkout_expired(data_object)
    return "ignored"


def _order_for(data_object: dict) -> Order | None:
    checkout_id = data_object.get("id")
    if not isinstance(checkout_id, str) or not checkout_id:
        return None
    return (
        Order.objects.select_for_update()
        .select_related("photo_session")
        .filter(checkout_session_id=checkout_id)
        .first()
    )


def _checkout_completed(data_object: dict) -> str:
    order = _order_for(data_object)
    if order is None:
        return "unknown order"
    if data_object.get("payment_status") not in ("paid", "no_payment_required"):
        return "not paid yet"
    if data_object.get("amount_total") != order.amount or (
        str(data_object.get("currency", "")).lower() != order.currency
    ):
        logger.error("Order %s: paid amount does not match the order", order.pk)
        return "amount mismatch"
    if order.status == Order.Status.PAID:
        return "already paid"
    if order.kind == Order.Kind.ADDON:
        outcome = addons.order_addon_paid(order=order, payment_intent=_payment_intent(data_object))
        # After the fulfilment's own on-commit work: an order refused and refunded at once
        # gets the refund's email, not a receipt.
        transaction.on_commit(lambda: order_confirmation_send(order_id=order.pk), robust=True)
        return outcome
    photo_session = order.photo_session
    already_paid = photo_session.orders.filter(status=Order.Status.PAID).exists()
    order.status = Order.Status.PAID
    order.paid_at = timezone.now()
    order.payment_intent_id = _payment_intent(data_object)[:255]
    order.save(update_fields=["status", "paid_at", "payment_intent_id"])
    if already_paid or photo_session.state != S.AWAITING_PAYMENT:
        return "second payment"
    session_transition(
        photo_session=photo_session, to_state=S.PAID, cause=gettext_noop("payment received")
    )
    audit_log(action="session.paid", subject=photo_session.user, obj=photo_session)
    # robust: a mail server that is down must not make the processor resend a paid event.
    transaction.on_commit(lambda: order_confirmation_send(order_id=order.pk), robust=True)
    return "paid"


def _payment_intent(data_object: dict) -> str:
    """The payment's id in a Checkout session event (expanded or not)."""
    payment_intent = data_object.get("payment_intent")
    if isinstance(payment_intent, dict):
        payment_intent = payment_intent.get("id")
    return str(payment_intent or "")


def _processor_charge(order: Order) -> tuple[str, str]:
    """Stripe's own receipt page for the order's payment and the kind of method it was paid
    with ("kakao_pay"); empty where there is none (yet)."""
    if order.backend != Order.Backend.STRIPE or not order.payment_intent_id:
        return "", ""
    import stripe

    try:
        intent = stripe_client().v1.payment_intents.retrieve(
            order.payment_intent_id, params={"expand": ["latest_charge"]}
        )
    except stripe.StripeError:
        # The receipt still goes out with our own details; Stripe's page is a convenience.
        logger.warning("Order %s: Stripe's receipt could not be fetched", order.pk, exc_info=True)
        return "", ""
    charge = getattr(intent, "latest_charge", None)
    details = getattr(charge, "payment_method_details", None)
    method = str(getattr(details, "type", None) or "")[:32]
    return str(getattr(charge, "receipt_url", None) or "")[:1000], method


def order_confirmation_send(*, order_id: int) -> None:
    """Email the customer the confirmation of a paid order, in their language: the order's
    details the law asks for (seller, item, amount, payment method, date, the terms of
    withdrawal) and the payment processor's own receipt link where it has one. An order no
    longer paid (refunded at once) gets none."""
    order = Order.objects.select_related("photo_session__user", "photo_session__plan").get(
        pk=order_id
    )
    if order.status != Order.Status.PAID or order.amount_refunded:
        return
    if not (order.receipt_url and order.payment_method):
        receipt_url, method = _processor_charge(order)
        order.receipt_url = order.receipt_url or receipt_url
        order.payment_method = order.payment_method or method
        order.save(update_fields=["receipt_url", "payment_method"])
    photo_session = order.photo_session
    user = photo_session.user
    addon = order.kind == Order.Kind.ADDON
    # An add-on's next page is the gallery its styles will join; a session's, its photos.
    next_page = "generation:gallery" if addon else "sessions_app:detail"
    send_templated(
        to=[user.email],
        template_prefix="sessions_app/email/order_paid",
        context={
            "user": user,
            "order": order,
            "addon": addon,
            "photo_session": photo_session,
            "styles": list((order if addon else photo_session).styles.all()),
            "withdrawal_terms": ADDON_WITHDRAWAL_TERMS if addon else WITHDRAWAL_TERMS,
            "seller": seller(),
            "url": site_url(reverse(next_page, kwargs={"public_id": photo_session.public_id})),
        },
        language=user.preferred_language,
        time_zone=zone_for_user(user),
    )


def _checkout_expired(data_object: dict) -> str:
    order = _order_for(data_object)
    if order is None:
        return "unknown order"
    if order.status != Order.Status.OPEN:
        return f"order already {order.status}"
    order.status = Order.Status.EXPIRED
    order.save(update_fields=["status"])
    return "expired"


def local_payment_complete(*, order: Order) -> str:
    """The local test backend's 'customer paid': the same event path Stripe's webhook takes."""
    if order.backend != Order.Backend.LOCAL or payment_backend() != Order.Backend.LOCAL:
        raise PaymentError("not a local test order")
    return payment_event_process(
        event_id=f"evt_local_{uuid.uuid4().hex}",
        event_type="checkout.session.completed",
        data_object={
            "id": order.checkout_session_id,
            "payment_status": "paid",
            "amount_total": order.amount,
            "currency": order.currency,
            "payment_intent": f"pi_local_{order.pk}",
        },
        backend=Order.Backend.LOCAL,
    )
