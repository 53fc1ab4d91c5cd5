"""Checkout, webhooks and refunds; Stripe's servers replaced by localstripe at the HTTP edge."""

import datetime
import json
import time
import uuid
import zoneinfo

import pytest
import stripe

from sessions_app.models import Order, PhotoSession, Refund, WebhookEvent

from .conftest import sign

# The checkout form's box: the customer agrees to the terms of withdrawal.
AGREED = {"withdrawal_terms": "on"}


def start_checkout(client, alice, plan):
    from sessions_app.models import StylePack

    client.force_login(alice)
    styles = list(StylePack.objects.values_list("pk", flat=True)[:2])
    response = client.post("/en/sessions/new/", {"plan": plan.pk, "styles": styles})
    assert response.status_code == 302
    s = PhotoSession.objects.get(user=alice)
    response = client.post(f"/en/sessions/{s.public_id}/pay/", AGREED)
    return s, response


def event(order, *, type_="checkout.session.completed", event_id=None, **overrides):
    obj = {
        "id": order.checkout_session_id,
        "object": "checkout.session",
        "payment_status": "paid",
        "amount_total": order.amount,
        "currency": order.currency,
        "payment_intent": overrides.pop("payment_intent", None),
        **overrides,
    }
    return {
        "id": event_id or f"evt_{uuid.uuid4().hex}",
        "object": "event",
        "type": type_,
        "data": {"object": obj},
    }


def deliver(client, body, *, signature=None):
    payload = json.dumps(body).encode() if isinstance(body, dict) else body
    return client.post(
        "/stripe/webhook/",
        payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature if signature is not None else sign(payload),
    )


def stripe_api(localstripe_server):
    return stripe.StripeClient("sk_test_pictureus", base_addresses={"api": localstripe_server})


def paid_intent(localstripe_server, amount, currency="usd"):
    """What Stripe does when the customer pays on Checkout: a succeeded PaymentIntent."""
    return (
        stripe_api(localstripe_server)
        .v1.payment_intents.create(
            params={
                "amount": amount,
                "currency": currency,
                "payment_method": "pm_card_visa",
                "confirm": True,
            }
        )
        .id
    )


@pytest.fixture
def checkout(client, alice, plan, stripe_settings):
    s, response = start_checkout(client, alice, plan)
    order = Order.objects.get(photo_session=s)
    assert response.status_code == 302
    assert response["Location"] == order.checkout_url
    # Stripe's Checkout page (the stand-in's own, for these tests).
    assert order.checkout_url.endswith(f"/c/pay/{order.checkout_session_id}")
    return s, order


def test_checkout_sends_the_customer_to_stripe_and_the_return_url_pays_nothing(client, checkout):
    s, order = checkout
    s.refresh_from_db()
    assert s.state == "awaiting_payment"
    response = client.get(f"/en/sessions/{s.public_id}/?checkout=done")
    assert response.status_code == 200
    s.refresh_from_db()
    assert s.state == "awaiting_payment"
    assert b"waiting for the payment service to confirm" in response.content


def test_a_second_checkout_reuses_the_first_and_cannot_charge_twice(client, checkout):
    s, order = checkout
    again = client.post(f"/en/sessions/{s.public_id}/pay/", AGREED)
    assert again["Location"] == order.checkout_url
    assert Order.objects.filter(photo_session=s).count() == 1


def test_a_verified_completed_event_marks_the_session_paid_once(
    client, checkout, localstripe_server
):
    s, order = checkout
    body = event(order, payment_intent=paid_intent(localstripe_server, order.amount))
    assert deliver(client, body).status_code == 200
    s.refresh_from_db()
    order.refresh_from_db()
    assert s.state == "paid"
    assert order.status == "paid" and order.payment_intent_id.startswith("pi_")
    # Stripe repeats the event: nothing more happens.
    assert deliver(client, body).status_code == 200
    assert s.transitions.filter(to_state="paid").count() == 1
    assert WebhookEvent.objects.filter(event_id=body["id"]).count() == 1
    # After paying, checkout is refused: no second charge.
    again = client.post(f"/en/sessions/{s.public_id}/pay/", AGREED)
    assert again.status_code == 302
    assert Order.objects.filter(photo_session=s).count() == 1


def test_events_out_of_order_never_undo_a_payment(client, checkout, localstripe_server):
    s, order = checkout
    completed = event(order, payment_intent=paid_intent(localstripe_server, order.amount))
    expired = event(order, type_="checkout.session.expired", payment_status="unpaid")
    assert deliver(client, completed).status_code == 200
    assert deliver(client, expired).status_code == 200
    order.refresh_from_db()
    s.refresh_from_db()
    assert order.status == "paid"
    assert s.state == "paid"


def test_an_expired_checkout_lets_the_customer_start_again(client, checkout):
    s, order = checkout
    deliver(client, event(order, type_="checkout.session.expired", payment_status="unpaid"))
    order.refresh_from_db()
    assert order.status == "expired"
    response = client.post(f"/en/sessions/{s.public_id}/pay/", AGREED)
    assert response.status_code == 302
    assert Order.objects.filter(photo_session=s).count() == 2


def test_unknown_events_are_acknowledged_and_ignored(client, checkout):
    s, order = checkout
    body = {
        "id": "evt_unknown_1",
        "object": "event",
        "type": "customer.created",
        "data": {"object": {"id": "cus_1"}},
    }
    assert deliver(client, body).status_code == 200
    s.refresh_from_db()
    assert s.state == "awaiting_payment"
    assert WebhookEvent.objects.get(event_id="evt_unknown_1").outcome == "ignored"


@pytest.mark.parametrize(
    "kind",
    [
        "forged",
        "wrong_secret",
        "replayed_old",
        "unsigned",
        "malformed",
        "not_json",
        # Correctly signed, but not an event's shape.
        "array",
        "numeric_type",
        "long_id",
        "object_not_a_dict",
    ],
)
def test_bad_webhooks_change_nothing(client, checkout, kind):
    s, order = checkout
    body = event(order, payment_intent="pi_forged")
    payload = json.dumps(body).encode()
    signature = sign(payload)
    if kind == "forged":
        # Signed for one body, delivered with another.
        payload = payload.replace(b'"paid"', b'"paid" ', 1)
    elif kind == "wrong_secret":
        signature = sign(payload, secret="whsec_someone_else")
    elif kind == "replayed_old":
        # A genuine signature captured an hour ago.
        signature = sign(payload, timestamp=int(time.time()) - 3600)
    elif kind == "unsigned":
        signature = ""
    elif kind == "malformed":
        payload = b'{"id": "evt_1", "type": "checkout.session.completed", "data": '
        signature = sign(payload)
    elif kind == "not_json":
        payload = b"\x00\xff garbage"
        signature = sign(payload)
    elif kind in ("array", "numeric_type", "long_id", "object_not_a_dict"):
        shaped = {
            "array": [body],
            "numeric_type": {**body, "type": 5},
            "long_id": {**body, "id": "evt_" + "x" * 300},
            "object_not_a_dict": {**body, "data": {"object": "cs_1"}},
        }[kind]
        payload = json.dumps(shaped).encode()
        signature = sign(payload)
    response = deliver(client, payload, signature=signature)
    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()
    s.refresh_from_db()
    order.refresh_from_db()
    assert s.state == "awaiting_payment"
    assert order.status == "open"
    assert not WebhookEvent.objects.exists()


def test_a_wrong_amount_does_not_pay(client, checkout):
    s, order = checkout
    deliver(client, event(order, amount_total=1, payment_intent="pi_x"))
    s.refresh_from_db()
    assert s.state == "awaiting_payment"


def test_a_completed_event_for_an_unknown_checkout_changes_nothing(client, checkout):
    s, order = checkout
    body = event(order, payment_intent="pi_x")
    body["data"]["object"]["id"] = "cs_test_not_ours"
    assert deliver(client, body).status_code == 200
    s.refresh_from_db()
    assert s.state == "awaiting_payment"


@pytest.fixture
def paid(client, checkout, localstripe_server):
    s, order = checkout
    deliver(client, event(order, payment_intent=paid_intent(localstripe_server, order.amount)))
    s.refresh_from_db()
    order.refresh_from_db()
    assert s.state == "paid"
    return s, order


def test_an_operator_refunds_part_then_the_rest_through_stripe(client, paid, staff):
    s, order = paid
    client.force_login(staff)
    url = f"/en/backoffice/sessions_app/photosession/{s.pk}/refund/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"amount": 500, "reason": "one style was poor"})
    assert response.status_code == 302
    refund = Refund.objects.get(order=order)
    assert refund.status == "succeeded" and refund.processor_refund_id.startswith("re_")
    assert refund.amount == 500 and refund.actor == staff and not refund.automatic
    s.refresh_from_db()
    assert s.state == "paid"
    # More than is left is refused with a message; nothing is recorded.
    response = client.post(url, {"amount": order.amount, "reason": "too much"})
    assert response.status_code == 200
    assert Refund.objects.filter(order=order).count() == 1
    client.post(url, {"amount": "", "reason": "customer asked"})
    order.refresh_from_db()
    s.refresh_from_db()
    assert order.amount_refunded == order.amount
    assert s.state == "refunded"


def test_the_admin_action_refunds_in_full(client, paid, staff):
    s, order = paid
    client.force_login(staff)
    response = client.post(
        "/en/backoffice/sessions_app/photosession/",
        {"action": "refund_in_full", "_selected_action": [s.pk]},
    )
    assert response.status_code == 302
    s.refresh_from_db()
    assert s.state == "refunded"


def test_the_automatic_refund_refunds_once(paid):
    from sessions_app.services import session_refund, session_transition

    s, order = paid
    s = session_transition(photo_session=s, to_state="failed", cause="training failed")
    first = session_refund(photo_session=s, reason="training failed")
    second = session_refund(photo_session=s, reason="training failed")
    assert first.automatic and first.status == "succeeded"
    assert second.pk == first.pk
    assert Refund.objects.filter(order=order).count() == 1
    s.refresh_from_db()
    assert s.state == "refunded"


def test_a_refused_refund_is_recorded_and_changes_nothing(paid, settings):
    from sessions_app.services import session_refund

    s, order = paid
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # Stripe unreachable
    refund = session_refund(photo_session=s, reason="try")
    assert refund.status == "failed" and refund.error
    order.refresh_from_db()
    s.refresh_from_db()
    assert order.amount_refunded == 0
    assert s.state == "paid"


def _failed_with_a_refused_refund(paid, settings):
    from sessions_app.services import session_refund, session_transition

    s, order = paid
    s = session_transition(photo_session=s, to_state="failed", cause="training failed")
    reachable, settings.STRIPE_API_BASE = settings.STRIPE_API_BASE, "http://127.0.0.1:9"
    refund = session_refund(photo_session=s, reason="generation failed: out of memory")
    assert refund.status == "failed" and refund.automatic
    return s, order, reachable


def _minutes_later(minutes):
    import time_machine
    from django.utils import timezone

    return time_machine.travel(timezone.now() + datetime.timedelta(minutes=minutes), tick=False)


def test_a_refused_automatic_refund_is_tried_again_until_it_goes_through(paid, settings):
    from sessions_app.services import refunds_failed_retry

    s, order, reachable = _failed_with_a_refused_refund(paid, settings)
    assert refunds_failed_retry() == {"retried": [], "refunded": []}, "not straight away"
    with _minutes_later(11):
        assert refunds_failed_retry() == {"retried": [s.pk], "refunded": []}  # still down
    settings.STRIPE_API_BASE = reachable
    with _minutes_later(22):
        assert refunds_failed_retry() == {"retried": [s.pk], "refunded": [s.pk]}
    with _minutes_later(60):
        assert refunds_failed_retry() == {"retried": [], "refunded": []}, "refunded once"
    order.refresh_from_db()
    s.refresh_from_db()
    assert order.amount_refunded == order.amount and s.state == "refunded"
    attempts = list(order.refunds.order_by("created_at", "id"))
    assert [r.status for r in attempts] == ["failed", "failed", "succeeded"]
    assert {r.reason for r in attempts} == {"generation failed: out of memory"}


def test_automatic_refunds_wait_for_an_operator_after_five_attempts(paid, settings):
    from sessions_app.services import REFUND_ATTEMPTS, refunds_failed_retry

    s, order, _ = _failed_with_a_refused_refund(paid, settings)
    for step in range(1, 10):
        with _minutes_later(11 * step):
            refunds_failed_retry()
    assert order.refunds.count() == REFUND_ATTEMPTS
    s.refresh_from_db()
    assert s.state == "failed"


def test_a_session_an_operator_refunded_is_not_refunded_again(paid, settings, staff):
    from sessions_app.services import refunds_failed_retry, session_refund

    s, order, reachable = _failed_with_a_refused_refund(paid, settings)
    settings.STRIPE_API_BASE = reachable
    session_refund(photo_session=s, reason="settled by hand", actor=staff)
    with _minutes_later(11):
        assert refunds_failed_retry() == {"retried": [], "refunded": []}
    assert order.refunds.filter(status="succeeded").count() == 1


def test_the_refund_retry_is_scheduled(db):
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="sessions_app.maintenance.refunds_failed_retry")
    assert task.enabled and task.interval.every == 10 and task.interval.period == "minutes"


def test_bob_cannot_pay_or_see_alices_session(client, checkout, bob):
    s, order = checkout
    client.force_login(bob)
    assert client.get(f"/en/sessions/{s.public_id}/").status_code == 404
    assert client.post(f"/en/sessions/{s.public_id}/pay/", AGREED).status_code == 404


# --- the local test backend ---------------------------------------------------------------


def test_the_local_backend_pays_through_the_event_path(client, alice, plan, local_payments):
    s, response = start_checkout(client, alice, plan)
    assert response["Location"] == f"/en/sessions/{s.public_id}/pay/test/"
    page = client.get(response["Location"])
    assert b"local test payment backend" in page.content
    detail = client.get(f"/en/sessions/{s.public_id}/")
    assert b"Test mode: no real payment is taken" in detail.content
    client.post(response["Location"])
    s.refresh_from_db()
    assert s.state == "paid"
    event_row = WebhookEvent.objects.get()
    assert event_row.backend == "local" and event_row.outcome == "paid"


def test_the_local_backend_does_not_exist_without_debug(client, alice, plan, local_payments):
    s, response = start_checkout(client, alice, plan)
    local_payments.DEBUG = False
    assert client.get(f"/en/sessions/{s.public_id}/pay/test/").status_code == 404
    assert client.post(f"/en/sessions/{s.public_id}/pay/test/").status_code == 404
    s.refresh_from_db()
    assert s.state == "awaiting_payment"


def test_the_return_url_of_the_local_backend_pays_nothing(client, alice, plan, local_payments):
    s, _ = start_checkout(client, alice, plan)
    client.get(f"/en/sessions/{s.public_id}/?checkout=done")
    s.refresh_from_db()
    assert s.state == "awaiting_payment"


def test_a_local_refund_is_recorded(client, alice, plan, local_payments):
    from sessions_app.services import session_refund

    s, response = start_checkout(client, alice, plan)
    client.post(response["Location"])
    refund = session_refund(photo_session=s, reason="test")
    assert refund.processor_refund_id.startswith("re_local_")
    s.refresh_from_db()
    assert s.state == "refunded"


@pytest.mark.promise("P22")
def test_no_card_data_reaches_the_application(client, paid):
    """Orders keep the processor's ids and amounts; no field anywhere holds card data."""
    from django.apps import apps

    card_words = ("card", "pan", "cvc", "cvv", "expiry", "exp_month", "exp_year", "last4")
    for model in apps.get_models():
        for field in model._meta.get_fields():
            name = field.name.lower()
            assert not any(
                w == name or name.startswith(f"{w}_") or name.endswith(f"_{w}") for w in card_words
            ), f"{model._meta.label}.{field.name}"
    s, order = paid
    kept = {f.name for f in Order._meta.fields}
    assert {"checkout_session_id", "payment_intent_id", "amount", "currency"} <= kept
    # Payment events keep their id, type and outcome only, never the payload.
    assert {f.name for f in WebhookEvent._meta.fields} == {
        "id",
        "event_id",
        "event_type",
        "backend",
        "outcome",
        "received_at",
    }


@pytest.mark.parametrize(
    "lang, region, zone, subject, paid_line",
    [
        ("en", "US", "America/New_York", "is paid", "Amount paid: $19.00 (USD)"),
        ("ko", "KR", "Asia/Seoul", "결제", "결제 금액: US$19.00 (USD)"),
    ],
)
def test_a_paid_order_gets_its_receipt_by_email_once_and_on_the_session_page(
    client, checkout, localstripe_server, django_capture_on_commit_callbacks, lang, region, zone,
    subject, paid_line, settings,
):  # fmt: skip
    from django.core import mail

    settings.SITE_URL = "https://pictureus.example"
    s, order = checkout
    s.user.preferred_language = lang
    s.user.region = region
    s.user.save()
    body = event(order, payment_intent=paid_intent(localstripe_server, order.amount))
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(client, body).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(client, body).status_code == 200  # Stripe repeats the event
    (message,) = mail.outbox
    assert message.to == [s.user.email]
    assert f"#{order.pk}" in message.subject and subject in message.subject
    lines = message.body.splitlines()
    assert paid_line in lines
    assert any(s.plan.name_en in line or s.plan.name_ko in line for line in lines)
    assert f"https://pictureus.example/{lang}/sessions/{s.public_id}/" in lines
    assert message.alternatives and f"#{order.pk}" in message.alternatives[0][0]
    # Stripe's own receipt page for the charge, on a line of its own.
    order.refresh_from_db()
    charge = (
        stripe_api(localstripe_server)
        .v1.payment_intents.retrieve(order.payment_intent_id, params={"expand": ["latest_charge"]})
        .latest_charge
    )
    stripe_receipt = f"https://pay.stripe.com/receipts/payment/{charge.id}"
    assert order.receipt_url == stripe_receipt
    assert stripe_receipt in lines and stripe_receipt in message.alternatives[0][0]
    # The time of payment in the customer's own zone, named.
    local = order.paid_at.astimezone(zoneinfo.ZoneInfo(zone))
    (date_line,) = [line for line in lines if local.tzname() in line]
    # English writes the hour as Django's "P" does ("3:05 p.m.", "3 p.m.", "noon").
    if lang == "en":
        from django.utils import dateformat

        hour = dateformat.format(local, "P")
    else:
        hour = f"{local:%-I}:{local:%M}"
    assert hour in date_line and str(local.day) in date_line

    page = client.get(f"/{lang}/sessions/{s.public_id}/").content.decode()
    receipt = page[page.index("data-receipt") :]
    assert f"<dd>#{order.pk}</dd>" in receipt
    assert paid_line.split(": ")[1] in receipt
    assert f'href="{stripe_receipt}"' in receipt
    assert date_line.split(": ", 1)[1] in receipt
