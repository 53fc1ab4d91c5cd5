"""A customer in Korea pays for a session with Kakao Pay on Stripe Checkout (the local Stripe
stand-in): the wallet confirms later, the webhook pays the session, the receipt says how."""

import time

import pytest
import requests
from django.core import mail

from sessions_app.models import PhotoSession, Plan, StylePack
from tests.conftest import make_customer
from tests.sessions.conftest import WEBHOOK_SECRET, localstripe_server  # noqa: F401

from .steps import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def stripe_sends_webhooks(settings, live_server, localstripe_server):  # noqa: F811
    """Stripe (the stand-in) on, sending its Checkout events to the site being tested."""
    settings.STRIPE_SECRET_KEY = "sk_test_pictureus"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = localstripe_server
    settings.PAYMENT_BACKEND = "stripe"
    # The pay form may lead to Stripe Checkout's origin only; the stand-in serves Checkout.
    policy = settings.CONTENT_SECURITY_POLICY
    directives = policy["DIRECTIVES"]
    settings.CONTENT_SECURITY_POLICY = {
        **policy,
        "DIRECTIVES": {
            **directives,
            "form-action": [*directives["form-action"], localstripe_server],
        },
    }
    endpoint = f"{localstripe_server}/_config/webhooks/browser"
    events = ["checkout.session.completed", "checkout.session.async_payment_succeeded"]
    answer = requests.post(
        endpoint,
        json={
            "url": f"{live_server.url}/stripe/webhook/",
            "secret": WEBHOOK_SECRET,
            "events": events,
        },
        timeout=10,
    )
    assert answer.status_code == 200
    yield
    requests.delete(endpoint, timeout=10)


def wait_until_confirmed(order, seconds=20):
    """Until the webhook paid the order and its confirmation (with the method Stripe charged,
    read after the payment's transaction) went out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if any(f"#{order.pk}" in m.subject for m in mail.outbox):
            order.refresh_from_db()
            return
        time.sleep(0.2)
    order.refresh_from_db()
    raise AssertionError(f"order {order.status}, no confirmation after {seconds}s")


def test_a_korean_customer_pays_with_kakao_pay(open_visit, catalogue, stripe_sends_webhooks):
    customer = make_customer("seoyeon@example.com", region="KR", language="ko")
    visit = open_visit("ko")
    page = log_in(visit, "ko", customer.email)

    visit.at("plan and styles")
    page = visit.goto("/ko/sessions/new/")
    plan = Plan.objects.get(slug="starter")
    page.check(f"input[name=plan][value='{plan.pk}']")
    for style in StylePack.objects.order_by("order")[: plan.styles_count]:
        page.check(f"input[name=styles][value='{style.pk}']")
    page = visit.submit(page.locator("main form button[type=submit]"))

    visit.at("terms of withdrawal, then pay")
    terms = page.locator("[data-withdrawal-terms]")
    assert "학습이 시작된 후에는" in terms.inner_text()
    box = page.locator("input[name=withdrawal_terms]")
    assert not box.is_checked()
    box.check()
    page = visit.submit(page.locator("form[action$='/pay/'] button"))
    photo_session = PhotoSession.objects.get(user=customer)
    order = photo_session.orders.get()
    assert page.url == order.checkout_url

    visit.at("Checkout: Kakao Pay")
    methods = page.locator("input[name=method]")
    offered = [methods.nth(i).get_attribute("value") for i in range(methods.count())]
    assert offered == ["kakao_pay", "naver_pay", "kr_card", "payco", "samsung_pay", "card"]
    page.get_by_label("카카오페이").check()
    page = visit.submit(page.locator("button[type=submit]"))
    assert f"/ko/sessions/{photo_session.public_id}/" in page.url
    assert "결제 확인을 기다리고 있습니다" in page.locator("main").inner_text()

    visit.at("paid when the wallet confirms")
    wait_until_confirmed(order)
    photo_session.refresh_from_db()
    assert photo_session.state == PhotoSession.State.PAID
    page = visit.goto(f"/ko/sessions/{photo_session.public_id}/")
    assert page.locator("[data-payment-method]").inner_text() == "카카오페이"
    assert order.payment_method == "kakao_pay" and order.withdrawal_terms_language == "ko"
    (message,) = [m for m in mail.outbox if f"#{order.pk}" in m.subject]
    assert "결제 수단: 카카오페이" in message.body.splitlines()
