"""The order confirmation email: the details Korean law asks a seller to confirm (seller,
order, item, amount, payment method, date, terms of withdrawal), in the customer's language,
sent once when the payment is confirmed."""

import pytest

from .test_korean_payments import korean_checkout, pay_on_checkout, sent_to_stripe
from .test_payments import deliver, event

SELLER = {
    "PICTUREUS_COMPANY_NAME": "주식회사 픽처어스",
    "PICTUREUS_REPRESENTATIVE": "김민준",
    "PICTUREUS_BUSINESS_NUMBER": "220-81-62517",
    "PICTUREUS_MAIL_ORDER_NUMBER": "제2026-서울강남-01234호",
    "PICTUREUS_COMPANY_ADDRESS": "서울특별시 강남구 테헤란로 1",
    "PICTUREUS_PHONE": "02-1234-5678",
    "PICTUREUS_SELLER_EMAIL": "help@pictureus.example",
    "PICTUREUS_HOSTING_PROVIDER": "Amazon Web Services Korea",
}


@pytest.fixture
def seller_settings(stripe_settings):
    for name, value in SELLER.items():
        setattr(stripe_settings, name, value)
    return stripe_settings


def test_a_korean_customer_is_confirmed_the_order_in_korean_once(
    client, minji, plan, seller_settings, localstripe_server, django_capture_on_commit_callbacks
):
    from django.core import mail

    s, order = korean_checkout(client, minji, plan)
    pay_on_checkout(order, "naver_pay")
    intent = sent_to_stripe(localstripe_server, order).payment_intent
    body = event(order, payment_intent=intent)
    for _ in range(2):  # Stripe repeats the event
        with django_capture_on_commit_callbacks(execute=True):
            assert deliver(client, body).status_code == 200
    (message,) = mail.outbox
    order.refresh_from_db()
    lines = message.body.splitlines()
    assert message.extra_headers["Content-Language"] == "ko"
    for line in (
        f"주문: #{order.pk}",
        "세션: 스타터",
        "결제 금액: 25,000원 (KRW)",
        "결제 수단: 네이버페이",
        "상호: 주식회사 픽처어스",
        "대표자: 김민준",
        "사업자등록번호: 220-81-62517",
        "통신판매업 신고번호: 제2026-서울강남-01234호",
        "주소: 서울특별시 강남구 테헤란로 1",
        "전화: 02-1234-5678",
        "이메일: help@pictureus.example",
        "호스팅 제공자: Amazon Web Services Korea",
        "https://www.ftc.go.kr/bizCommPop.do?wrkr_no=2208162517",
    ):
        assert line in lines, line
    assert any(line.startswith("결제일: ") and "KST" in line for line in lines)
    withdrawal = "모델 학습이 시작되기 전까지는 주문을 철회하고 전액 환불받으실 수 있습니다."
    assert withdrawal in message.body
    html = message.alternatives[0][0]
    assert "주식회사 픽처어스" in html and "wrkr_no=2208162517" in html and "네이버페이" in html


def test_an_english_customer_is_confirmed_the_order_in_english(
    client, alice, plan, seller_settings, localstripe_server, django_capture_on_commit_callbacks
):
    from django.core import mail

    s, order = korean_checkout(client, alice, plan, language="en")
    pay_on_checkout(order, "card")
    intent = sent_to_stripe(localstripe_server, order).payment_intent
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, event(order, payment_intent=intent))
    (message,) = mail.outbox
    lines = message.body.splitlines()
    assert "Payment method: Card" in lines
    assert "Business registration number: 220-81-62517" in lines
    assert "You may withdraw the order and get a full refund until the training" in message.body
