"""Selling again: more styles on a delivered session's kept model, without training again.

The customer picks styles from the offer (`offers`), pays through the same checkout as a
session (its own order), and the paid order becomes one generation job that delivers into the
same gallery. Consent and restriction are checked when the order is opened, when it is paid
and when the job starts; an order that cannot be made is refunded in full.
"""

from collections.abc import Iterable
from functools import partial

from django.db import transaction
from django.utils.translation import gettext

from accounts.models import User
from generation.models import GenerationJob
from privacy import services as privacy_services
from sessions_app import services as sessions_services
from sessions_app.checkout import WithdrawalAgreement, checkout_open
from sessions_app.models import Order, PhotoSession, StylePack

from .addon_refunds import addon_order_refund
from .jobs import job_enqueue
from .offers import addon_offer
from .plans import candidates_per_style


class AddonRefused(ValueError):
    """More styles cannot be bought now; the message says why, in the customer's language."""


def addon_checkout(
    *,
    photo_session: PhotoSession,
    styles: Iterable[StylePack],
    success_url: str,
    cancel_url: str,
    agreement: WithdrawalAgreement,
    actor: User | None = None,
) -> Order:
    """Open an add-on order for `styles` and its checkout (the session's own checkout path),
    with the customer's agreement to its terms of withdrawal.

    Raises AddonRefused when the offer does not stand or a style is not offered, and
    sessions_app's PaymentError when the payment service cannot be reached.
    """
    offer = addon_offer(photo_session=photo_session)
    if offer is None:
        raise AddonRefused(gettext("This session offers no extra styles."))
    if not offer.available:
        raise AddonRefused(offer.why_not)
    chosen = list(styles)
    offered = {style.pk for style in offer.styles}
    if not chosen or any(style.pk not in offered for style in chosen):
        raise AddonRefused(gettext("Please choose at least one of the styles offered."))
    with transaction.atomic():
        order = Order.objects.create(
            photo_session=photo_session,
            kind=Order.Kind.ADDON,
            backend=sessions_services.payment_backend(),
            currency=offer.currency,
            amount=offer.price * len(chosen),
        )
        order.styles.set(chosen)
        agreement.record_on(order)
        privacy_services.audit_log(
            action="order.addon_opened",
            actor=actor,
            subject=photo_session.user,
            obj=order,
            detail={"styles": [style.slug for style in chosen]},
        )
    return checkout_open(
        order=order,
        item_name=f"PictureUs {photo_session.plan.name_en}: "
        + ", ".join(style.name_en for style in chosen),
        success_url=success_url,
        cancel_url=cancel_url,
        language=agreement.language,
    )


def addon_order_paid(order: Order) -> str:
    """A paid add-on order (inside the payment event's transaction): queue its generation
    job, or, when the offer no longer stands (the model deleted, consent withdrawn, a
    restriction), refund it in full once the payment is recorded."""
    photo_session = PhotoSession.objects.select_for_update().get(pk=order.photo_session_id)
    offer = addon_offer(photo_session=photo_session)
    problem = "no offer" if offer is None else offer.reason
    if problem:
        transaction.on_commit(
            partial(addon_order_refund, order_id=order.pk, reason=problem), robust=True
        )
        return f"add-on refused: {problem}"
    styles = order.styles.count()
    job = GenerationJob.objects.create(
        photo_session=photo_session,
        kind=GenerationJob.Kind.ADDON,
        order=order,
        progress_total=styles * candidates_per_style(photo_session.plan),
    )
    job_enqueue(job=job)
    return f"add-on queued as job {job.pk}"
