"""Korean payment methods in Stripe Checkout for won prices: which are offered (asserted in the
Checkout request the stand-in received), their asynchronous completion, and refunds to each."""

import pytest
import requests

from sessions_app.models import Order, PhotoSession, PlanPrice, StylePack, WebhookEvent

from .test_payments import AGREED, deliver, event, stripe_api

KOREAN = ["kakao_pay", "naver_pay", "kr_card", "payco", "samsung_pay"]
KOREAN_NAMES = {
    "kakao_pay": "카카오페이",
    "naver_pay": "네이버페이",
    "kr_card": "국내 카드",
    "payco": "페이코",
    "samsung_pay": "삼성페이",
}


def korean_checkout(client, customer, plan, *, language="ko"):
    """The customer buys a session on the site in `language` and is sent to Checkout."""
    client.force_login(customer)
    styles = list(StylePack.objects.values_list("pk", flat=True)[:2])
    assert client.post(f"/{language}/sessions/new/", {"plan": plan.pk, "styles": styles})
    s = PhotoSession.objects.get(user=customer)
    response = client.post(f"/{language}/sessions/{s.public_id}/pay/", AGREED)
    order = Order.objects.get(photo_session=s)
    assert response.status_code == 302 and response["Location"] == order.checkout_url
    return s, order


def sent_to_stripe(localstripe_server, order):
    """The Checkout session as Stripe (the stand-in) made it from the request it received."""
    return stripe_api(localstripe_server).v1.checkout.sessions.retrieve(order.checkout_session_id)


def test_a_won_checkout_offers_the_configured_korean_methods(
    client, minji, plan, stripe_settings, localstripe_server
):
    s, order = korean_checkout(client, minji, plan)
    assert (order.currency, order.amount) == ("krw", 25000)
    checkout = sent_to_stripe(localstripe_server, order)
    assert checkout.payment_method_types == [*KOREAN[:2], "kr_card", "payco", "samsung_pay", "card"]
    assert checkout.payment_method_configuration_details is None, "asked for, not dynamic"
    assert checkout.locale == "ko"
    assert (checkout.currency, checkout.amount_total) == ("krw", 25000)


def test_the_operator_chooses_which_methods_are_offered(
    client, minji, plan, stripe_settings, localstripe_server
):
    stripe_settings.STRIPE_KRW_PAYMENT_METHODS = ["naver_pay", "kr_card"]
    s, order = korean_checkout(client, minji, plan)
    assert sent_to_stripe(localstripe_server, order).payment_method_types == [
        "naver_pay",
        "kr_card",
    ]


def test_an_empty_setting_leaves_the_methods_to_stripes_dynamic_payment_methods(
    client, minji, plan, stripe_settings, localstripe_server
):
    stripe_settings.STRIPE_KRW_PAYMENT_METHODS = []
    s, order = korean_checkout(client, minji, plan)
    checkout = sent_to_stripe(localstripe_server, order)
    assert checkout.payment_method_configuration_details is not None


def test_dollar_prices_are_not_offered_korean_methods(
    client, alice, plan, stripe_settings, localstripe_server
):
    s, order = korean_checkout(client, alice, plan, language="en")
    assert order.currency == "usd"
    checkout = sent_to_stripe(localstripe_server, order)
    assert checkout.payment_method_configuration_details is not None, "none named for dollars"
    assert checkout.locale == "en"


@pytest.mark.parametrize(
    "amount, offered",
    [
        # Samsung Pay takes at most ₩2,000,000; the others have no ceiling.
        (2_000_000, [*KOREAN[:2], "kr_card", "payco", "samsung_pay", "card"]),
        (2_000_001, [*KOREAN[:2], "kr_card", "payco", "card"]),
        # Korean methods take ₩100 and more.
        (99, ["card"]),
    ],
)
def test_a_method_outside_its_limits_is_left_out(
    client, minji, plan, stripe_settings, localstripe_server, amount, offered
):
    PlanPrice.objects.filter(plan=plan, currency="krw").update(amount=amount)
    s, order = korean_checkout(client, minji, plan)
    assert sent_to_stripe(localstripe_server, order).payment_method_types == offered


def test_an_unknown_method_in_the_setting_is_a_startup_error(settings):
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    settings.STRIPE_KRW_PAYMENT_METHODS = ["kakao_pay", "kakaopay"]
    with pytest.raises(SystemCheckError, match="'kakaopay' is not one of"):
        call_command("check")


def pay_on_checkout(order, method):
    """The customer's browser on Checkout: picks `method` and confirms in the wallet."""
    answer = requests.post(
        order.checkout_url, data={"method": method}, allow_redirects=False, timeout=30
    )
    assert answer.status_code == 303
    return answer.headers["Location"]


@pytest.fixture
def korean_order(client, minji, plan, stripe_settings):
    return korean_checkout(client, minji, plan)


@pytest.mark.parametrize("method", KOREAN)
def test_a_korean_method_completing_later_pays_the_session_and_confirms_once(
    client, korean_order, localstripe_server, django_capture_on_commit_callbacks, method
):
    from django.core import mail

    s, order = korean_order
    return_url = pay_on_checkout(order, method)
    assert return_url.endswith(f"/ko/sessions/{s.public_id}/?checkout=done")
    intent = sent_to_stripe(localstripe_server, order).payment_intent
    # Redirected back, but the wallet has not confirmed yet: nothing is paid.
    completed = event(order, payment_status="unpaid", payment_intent=intent)
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(client, completed).status_code == 200
    s.refresh_from_db()
    assert s.state == "awaiting_payment" and not mail.outbox
    assert WebhookEvent.objects.get(event_id=completed["id"]).outcome == "not paid yet"

    succeeded = event(
        order, type_="checkout.session.async_payment_succeeded", payment_intent=intent
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(client, succeeded).status_code == 200
        assert deliver(client, succeeded).status_code == 200  # Stripe repeats it
    s.refresh_from_db()
    order.refresh_from_db()
    assert s.state == "paid" and order.status == "paid"
    assert order.payment_intent_id == intent
    assert order.payment_method == method
    (message,) = mail.outbox
    assert f"결제 수단: {KOREAN_NAMES[method]}" in message.body.splitlines()
    page = client.get(f"/ko/sessions/{s.public_id}/").content.decode()
    assert f"<dd data-payment-method>{KOREAN_NAMES[method]}</dd>" in page


@pytest.mark.parametrize("method", KOREAN)
def test_a_korean_method_failing_later_leaves_the_session_to_be_paid_again(
    client, korean_order, localstripe_server, method
):
    from django.core import mail

    s, order = korean_order
    pay_on_checkout(order, method)
    intent = sent_to_stripe(localstripe_server, order).payment_intent
    deliver(client, event(order, payment_status="unpaid", payment_intent=intent))
    failed = event(
        order,
        type_="checkout.session.async_payment_failed",
        payment_status="unpaid",
        payment_intent=intent,
    )
    assert deliver(client, failed).status_code == 200
    s.refresh_from_db()
    order.refresh_from_db()
    assert order.status == "expired" and s.state == "awaiting_payment"
    assert not mail.outbox
    # The customer tries again: a new order, a new Checkout.
    again = client.post(f"/ko/sessions/{s.public_id}/pay/", AGREED)
    new_order = Order.objects.get(photo_session=s, status="open")
    assert new_order.pk != order.pk and again["Location"] == new_order.checkout_url


@pytest.mark.parametrize("method", KOREAN)
def test_a_refund_reaches_each_korean_method(
    client, korean_order, localstripe_server, staff, method
):
    s, order = korean_order
    pay_on_checkout(order, method)
    intent = sent_to_stripe(localstripe_server, order).payment_intent
    deliver(
        client,
        event(order, type_="checkout.session.async_payment_succeeded", payment_intent=intent),
    )
    client.force_login(staff)
    response = client.post(
        "/en/backoffice/sessions_app/photosession/",
        {"action": "refund_in_full", "_selected_action": [s.pk]},
    )
    assert response.status_code == 302
    s.refresh_from_db()
    order.refresh_from_db()
    assert s.state == "refunded" and order.amount_refunded == 25000
    api = stripe_api(localstripe_server)
    (refund,) = api.v1.refunds.list(params={"payment_intent": intent}).data
    assert refund.amount == 25000 and refund.status == "succeeded"
    charge = api.v1.charges.retrieve(refund.charge)
    assert charge.payment_method_details.type == method
    assert order.refunds.get().processor_refund_id == refund.id
