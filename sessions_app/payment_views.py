"""The payment pages: paying for a session (after agreeing to the terms of withdrawal),
withdrawing the order before training, the local test payment page and Stripe's webhook."""

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import models
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import services
from .access import session_for_user
from .checkout import WITHDRAWAL_TERMS_VERSION, WithdrawalAgreement
from .forms import CheckoutForm
from .models import Order, PhotoSession, Refund, WebhookEvent
from .views import photo_session_url
from .withdrawal import session_withdraw

logger = logging.getLogger(__name__)
S = PhotoSession.State


@login_required
@require_POST
def pay(request, public_id):
    photo_session = session_for_user(request, public_id)
    detail_url = request.build_absolute_uri(photo_session_url(photo_session))
    form = CheckoutForm(request.POST)
    if not form.is_valid():
        for error in form.errors["withdrawal_terms"]:
            messages.error(request, error)
        return redirect(photo_session_url(photo_session))
    try:
        order = services.order_checkout_start(
            photo_session=photo_session,
            success_url=f"{detail_url}?checkout=done",
            cancel_url=detail_url,
            agreement=WithdrawalAgreement(
                version=WITHDRAWAL_TERMS_VERSION, language=request.LANGUAGE_CODE
            ),
            actor=request.user,
        )
    except services.InvalidTransition:
        messages.info(request, _("This session is already paid for."))
        return redirect(photo_session_url(photo_session))
    except services.PaymentError:
        messages.error(
            request, _("We could not reach the payment service. Please try again in a minute.")
        )
        return redirect(photo_session_url(photo_session))
    if order.backend == Order.Backend.LOCAL:
        return redirect("sessions_app:local_pay", public_id=photo_session.public_id)
    return HttpResponseRedirect(order.checkout_url)


@login_required
@require_POST
def withdraw(request, public_id):
    """The customer withdraws the order before training starts: a full refund (Art. 17)."""
    photo_session = session_for_user(request, public_id)
    try:
        refund = session_withdraw(photo_session=photo_session, actor=request.user)
    except services.InvalidTransition:
        messages.error(
            request,
            _(
                "Training of your portraits has started, so the order can no longer be "
                "withdrawn. Please write to support if something is wrong."
            ),
        )
        return redirect(photo_session_url(photo_session))
    except services.RefundError:
        messages.error(request, _("We could not refund this order. Please write to support."))
        return redirect(photo_session_url(photo_session))
    if refund is None or refund.status != Refund.Status.SUCCEEDED:
        messages.error(
            request,
            _("We could not reach the payment service. Please try again in a minute."),
        )
    else:
        messages.success(
            request,
            _(
                "Your order is withdrawn and your payment is refunded in full. Your photos "
                "were deleted."
            ),
        )
    return redirect(photo_session_url(photo_session))


def _local_payments_allowed():
    # The local backend exists for development only: never with DEBUG=0 or a Stripe key.
    return settings.DEBUG and settings.PAYMENT_BACKEND == "local"


@login_required
def local_pay(request, public_id):
    if not _local_payments_allowed():
        raise Http404
    photo_session = session_for_user(request, public_id)
    order = photo_session.orders.filter(
        backend=Order.Backend.LOCAL, status=Order.Status.OPEN
    ).first()
    if order is None or photo_session.state != S.AWAITING_PAYMENT:
        return redirect(photo_session_url(photo_session))
    if request.method == "POST":
        services.local_payment_complete(order=order)
        return redirect(photo_session_url(photo_session))
    return render(
        request, "sessions_app/local_pay.html", {"photo_session": photo_session, "order": order}
    )


def _fits(value: object, field: str) -> bool:
    """A non-empty string that fits the webhook event's field."""
    model_field = WebhookEvent._meta.get_field(field)
    limit = model_field.max_length if isinstance(model_field, models.CharField) else None
    return isinstance(value, str) and limit is not None and 0 < len(value) <= limit


@csrf_exempt
@require_POST
def stripe_webhook(request):
    """Stripe's events; only a correctly signed, recent one is acted on, and each once."""
    import stripe

    if not settings.STRIPE_WEBHOOK_SECRET:
        raise Http404
    try:
        event = stripe.Webhook.construct_event(
            request.body,
            request.headers.get("Stripe-Signature", ""),
            settings.STRIPE_WEBHOOK_SECRET,
        )
        event_id, event_type = event["id"], event["type"]
        data_object = event["data"]["object"].to_dict()
    except (ValueError, KeyError, TypeError, AttributeError, stripe.SignatureVerificationError):
        # Not signed by Stripe, or signed but not an event's shape: nothing is recorded.
        return HttpResponse(status=400)
    if not (_fits(event_id, "event_id") and _fits(event_type, "event_type")):
        return HttpResponse(status=400)
    outcome = services.payment_event_process(
        event_id=event_id, event_type=event_type, data_object=data_object, backend="stripe"
    )
    logger.info("Stripe event %s (%s): %s", event_id, event_type, outcome)
    return HttpResponse(status=200)
