"""More styles on a delivered session's kept model: the price and the paid add-on order.

The order is paid through the same checkout and webhook path as a session. Making the styles
is generation's work: it registers here the function a paid add-on order is handed to, so
this app imports nothing of generation.
"""

from collections.abc import Callable

from django.utils import timezone

from privacy.services import audit_log

from .models import AddonPrice, Order, Plan

# Called, inside the webhook's transaction, with each add-on order as it is paid.
_fulfilment: list[Callable[[Order], str]] = []


def addon_fulfilment_register(handler: Callable[[Order], str]) -> None:
    """Name the function that makes a paid add-on order's styles (or refunds it)."""
    if handler not in _fulfilment:
        _fulfilment.append(handler)


def addon_price(*, plan: Plan, currency: str) -> int | None:
    """The price of one extra style on the plan, in `currency`'s minor unit; None when the
    plan sells none in that currency."""
    price = AddonPrice.objects.filter(plan=plan, currency=currency).first()
    return price.amount if price is not None else None


def order_addon_paid(*, order: Order, payment_intent: str) -> str:
    """An add-on order's payment arrived (verified, right amount): record it and hand the
    order to the app that makes its styles; returns what was done (for the payment log)."""
    order.status = Order.Status.PAID
    order.paid_at = timezone.now()
    order.payment_intent_id = payment_intent[:255]
    order.save(update_fields=["status", "paid_at", "payment_intent_id"])
    audit_log(
        action="order.addon_paid",
        subject=order.photo_session.user,
        obj=order,
        detail={"styles": list(order.styles.values_list("slug", flat=True))},
    )
    if not _fulfilment:
        raise RuntimeError("no app makes the styles of add-on orders")
    return "; ".join(handler(order) for handler in _fulfilment)
