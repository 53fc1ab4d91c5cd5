"""Extra styles that will not be made (failed, or stopped for privacy) are paid back."""

import logging
from functools import partial

from django.db import transaction

from generation.models import GenerationJob
from sessions_app import services as sessions_services
from sessions_app.models import Order

from .notify import email_addon

logger = logging.getLogger(__name__)


def addon_settle(job: GenerationJob, *, reason: str) -> None:
    """Extra styles that will not be made are paid back (once the stop is committed)."""
    if job.kind == GenerationJob.Kind.ADDON and job.order_id is not None:
        transaction.on_commit(
            partial(addon_order_refund, order_id=job.order_id, reason=reason), robust=True
        )


def addon_order_refund(*, order_id: int, reason: str) -> None:
    """Refund what is left of an add-on order and tell the customer; nothing when nothing is
    left (a second call, an operator's refund)."""
    order = Order.objects.get(pk=order_id)
    if order.refundable == 0:
        return
    try:
        refund = sessions_services.order_refund(
            order=order,
            amount=None,
            reason=f"extra styles not made: {reason[:150]}",
            automatic=True,
        )
    except sessions_services.RefundError:
        logger.exception("automatic refund of add-on order %s failed", order_id)
        return
    if refund.status == refund.Status.SUCCEEDED:
        email_addon(order_id, "addon_failed")
