"""Refunds: of one order, of a session's payment, and the automatic ones tried again."""

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from privacy.services import audit_log

from ..checkout import stripe_client
from ..models import Order, PhotoSession, Refund
from .states import can_transition, session_transition

logger = logging.getLogger(__name__)

S = PhotoSession.State


class RefundError(Exception):
    """The refund cannot be made (nothing paid, amount too large) or the processor refused."""


def order_refund(
    *,
    order: Order,
    amount: int | None,
    reason: str,
    actor: User | None = None,
    automatic: bool = False,
) -> Refund:
    """Refund `amount` (all that is left when None) of one paid order and record the answer."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        left = order.refundable
        amount = left if amount is None else amount
        if amount <= 0 or amount > left:
            raise RefundError(f"refundable amount is {left}, asked for {amount}")
        refund = Refund.objects.create(
            order=order, amount=amount, reason=reason[:300], actor=actor, automatic=automatic
        )
        if order.backend == Order.Backend.LOCAL:
            refund.processor_refund_id = f"re_local_{refund.pk}"
        else:
            try:
                answer = stripe_client().v1.refunds.create(
                    params={
                        "payment_intent": order.payment_intent_id,
                        "amount": amount,
                        "metadata": {"order_id": str(order.pk), "refund_id": str(refund.pk)},
                    },
                    options={"idempotency_key": f"pictureus-refund-{refund.pk}"},
                )
            except Exception as exc:
                logger.warning("Stripe refund for order %s failed: %s", order.pk, exc)
                refund.status = Refund.Status.FAILED
                refund.error = str(exc)[:500]
                refund.save(update_fields=["status", "error"])
                return refund
            refund.processor_refund_id = answer.id
        refund.status = Refund.Status.SUCCEEDED
        refund.save(update_fields=["status", "processor_refund_id"])
        order.amount_refunded += amount
        order.save(update_fields=["amount_refunded"])
        audit_log(
            action="order.refunded",
            actor=actor,
            subject=order.photo_session.user,
            obj=order,
            detail={"amount": amount, "currency": order.currency, "reason": reason[:300]},
        )
    return refund


def session_refund(
    *,
    photo_session: PhotoSession,
    amount: int | None = None,
    reason: str,
    actor: User | None = None,
) -> Refund | None:
    """Refund a session's payment: in full when `amount` is None, which also ends the session
    in `refunded`. A full refund asked again refunds nothing more (automatic refunds rely on it).
    """
    with transaction.atomic():
        locked = PhotoSession.objects.select_for_update().get(pk=photo_session.pk)
        order = locked.orders.filter(status=Order.Status.PAID).order_by("paid_at", "id").first()
        if order is None:
            raise RefundError("this session has no payment to refund")
        if amount is None and order.refundable == 0:
            # Already refunded in full: make sure the session says so, and refund nothing more.
            if can_transition(locked.state, S.REFUNDED):
                session_transition(
                    photo_session=locked, to_state=S.REFUNDED, cause=reason, actor=actor
                )
            return order.refunds.filter(status=Refund.Status.SUCCEEDED).first()
        refund = order_refund(
            order=order, amount=amount, reason=reason, actor=actor, automatic=actor is None
        )
        order.refresh_from_db()
        if (
            refund.status == Refund.Status.SUCCEEDED
            and order.refundable == 0
            and can_transition(locked.state, S.REFUNDED)
        ):
            session_transition(photo_session=locked, to_state=S.REFUNDED, cause=reason, actor=actor)
    for field in ("state", "state_changed_at"):
        setattr(photo_session, field, getattr(locked, field))
    return refund


# An automatic refund the payment service refused or did not answer is tried again this long
# after the last attempt, up to this many attempts in all; then it waits for an operator.
REFUND_RETRY_AFTER = timedelta(minutes=10)
REFUND_ATTEMPTS = 5


def refunds_failed_retry(*, now: datetime | None = None) -> dict[str, list[int]]:
    """Try again the automatic refunds of failed sessions that did not go through.

    A failed session's customer was told their payment is refunded in full; a refund that
    Stripe refused or did not answer (an outage) would otherwise never be tried again. Each
    attempt is a new Refund row with its own idempotency key; a session refunded in the
    meantime (by an operator) is left alone.
    """
    now = now or timezone.now()
    owed = PhotoSession.objects.filter(
        state=S.FAILED,
        orders__status=Order.Status.PAID,
        orders__refunds__automatic=True,
        orders__refunds__status=Refund.Status.FAILED,
    ).distinct()
    result: dict[str, list[int]] = {"retried": [], "refunded": []}
    for photo_session in owed:
        order = photo_session.orders.filter(status=Order.Status.PAID).order_by("paid_at", "id")[0]
        attempts = order.refunds.filter(automatic=True).order_by("-created_at", "-id")
        last = attempts.first()
        if (
            order.refundable == 0
            or last is None
            or last.status != Refund.Status.FAILED
            or attempts.count() >= REFUND_ATTEMPTS
            or last.created_at > now - REFUND_RETRY_AFTER
        ):
            continue
        refund = session_refund(photo_session=photo_session, reason=last.reason)
        result["retried"].append(photo_session.pk)
        if refund is not None and refund.status == Refund.Status.SUCCEEDED:
            result["refunded"].append(photo_session.pk)
    if result["retried"]:
        logger.warning("automatic refunds tried again: %s", result)
    return result
