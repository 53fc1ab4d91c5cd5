"""Withdrawing an order (청약철회): the terms shown and agreed before paying, recorded with the
order; a full refund until training starts, and no withdrawal after."""

import os

import pytest
from django.utils import timezone

from sessions_app.checkout import WITHDRAWAL_TERMS_VERSION
from sessions_app.models import Order

from .images import face_jpeg
from .test_korean_payments import korean_checkout, pay_on_checkout, sent_to_stripe
from .test_payments import deliver, event, stripe_api

TERMS = {
    "en": "You may withdraw the order and get a full refund until the training of your "
    "personal model starts.",
    "ko": "모델 학습이 시작되기 전까지는 주문을 철회하고 전액 환불받으실 수 있습니다.",
}


@pytest.mark.parametrize("language", ["en", "ko"])
def test_the_terms_of_withdrawal_are_shown_before_paying_with_an_unticked_box(
    client, alice, make_session, language
):
    s = make_session(alice)
    client.force_login(alice)
    page = client.get(f"/{language}/sessions/{s.public_id}/").content.decode()
    form = page[page.index('action="/' + language + f'/sessions/{s.public_id}/pay/"') :]
    form = form[: form.index("</form>")]
    assert TERMS[language] in form
    assert 'name="withdrawal_terms"' in form and "checked" not in form
    terms_page = client.get(f"/{language}/terms/").content.decode()
    assert TERMS[language] in terms_page


@pytest.mark.parametrize(
    "language, refusal",
    [
        ("en", "Please read the terms of withdrawal and tick the box to agree before you pay."),
        ("ko", "결제하시기 전에 청약철회 안내를 읽고 동의란에 표시해 주십시오."),
    ],
)
def test_paying_without_agreeing_is_refused_and_changes_nothing(
    client, alice, make_session, local_payments, language, refusal
):
    s = make_session(alice)
    client.force_login(alice)
    response = client.post(f"/{language}/sessions/{s.public_id}/pay/", follow=True)
    assert refusal in response.content.decode()
    s.refresh_from_db()
    assert s.state == "draft" and not Order.objects.exists()


def test_the_agreement_is_recorded_with_the_order(client, minji, plan, stripe_settings):
    before = timezone.now()
    s, order = korean_checkout(client, minji, plan)
    assert order.withdrawal_terms_version == WITHDRAWAL_TERMS_VERSION
    assert order.withdrawal_terms_language == "ko"
    assert before <= order.withdrawal_agreed_at <= timezone.now()


def test_bob_cannot_withdraw_alices_order(client, alice, bob, make_session, local_payments):
    s = make_session(alice, "paid")
    client.force_login(bob)
    assert client.post(f"/en/sessions/{s.public_id}/withdraw/").status_code == 404
    s.refresh_from_db()
    assert s.state == "paid"


@pytest.fixture
def paid_korean(client, minji, plan, stripe_settings, localstripe_server):
    s, order = korean_checkout(client, minji, plan)
    pay_on_checkout(order, "kakao_pay")
    intent = sent_to_stripe(localstripe_server, order).payment_intent
    deliver(client, event(order, payment_intent=intent))
    s.refresh_from_db()
    assert s.state == "paid"
    return s, order, intent


@pytest.mark.django_db(transaction=True)  # the erasure's bytes go at commit
def test_before_training_the_customer_withdraws_and_is_refunded_in_full(
    client, paid_korean, localstripe_server, policy
):
    from sessions_app.photos import photo_process
    from sessions_app.services import photo_accept

    s, order, intent = paid_korean
    client.post(f"/ko/sessions/{s.public_id}/consent/", {"face_photos": "on", "only_me": "on"})
    s.refresh_from_db()
    photo = photo_accept(photo_session=s, processed=photo_process(face_jpeg(0)))
    stored = photo.image.path
    page = client.get(f"/ko/sessions/{s.public_id}/").content.decode()
    assert "data-withdraw" in page
    response = client.post(f"/ko/sessions/{s.public_id}/withdraw/", follow=True)
    assert "주문이 철회되어 결제 금액 전액이 환불되었습니다." in response.content.decode()
    s.refresh_from_db()
    order.refresh_from_db()
    assert s.state == "refunded" and order.amount_refunded == order.amount == 25000
    (refund,) = stripe_api(localstripe_server).v1.refunds.list(params={"payment_intent": intent})
    assert refund.amount == 25000
    assert order.refunds.get().actor == s.user
    assert not s.photos.exists()
    assert not os.path.exists(stored)
    # Withdrawn once: a second press refunds nothing more.
    client.post(f"/ko/sessions/{s.public_id}/withdraw/")
    assert order.refunds.count() == 1


def test_a_queued_session_is_still_withdrawn_before_a_worker_starts_training(
    client, paid_korean, localstripe_server
):
    from sessions_app.services import session_transition

    s, order, intent = paid_korean
    for state in ("collecting_photos", "queued"):
        s = session_transition(photo_session=s, to_state=state, cause="test setup")
    client.post(f"/ko/sessions/{s.public_id}/withdraw/")
    s.refresh_from_db()
    order.refresh_from_db()
    assert s.state == "refunded" and order.amount_refunded == 25000


def test_without_a_payment_nothing_is_withdrawn(client, alice, make_session):
    s = make_session(alice, "paid")  # moved to paid by hand: no order behind it
    client.force_login(alice)
    response = client.post(f"/en/sessions/{s.public_id}/withdraw/", follow=True)
    assert "We could not refund this order." in response.content.decode()
    s.refresh_from_db()
    assert s.state == "paid"


@pytest.mark.parametrize("state", ["training", "generating"])
def test_once_training_may_have_started_the_order_cannot_be_withdrawn(
    client, alice, make_session, local_payments, state
):
    s = make_session(alice, state)
    client.force_login(alice)
    assert "data-withdraw" not in client.get(f"/en/sessions/{s.public_id}/").content.decode()
    response = client.post(f"/en/sessions/{s.public_id}/withdraw/", follow=True)
    assert "the order can no longer be withdrawn" in response.content.decode()
    s.refresh_from_db()
    assert s.state == state and not s.orders.filter(refunds__isnull=False).exists()


def test_a_refused_refund_leaves_the_order_in_place(client, paid_korean, settings):
    s, order, intent = paid_korean
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # Stripe unreachable
    response = client.post(f"/ko/sessions/{s.public_id}/withdraw/", follow=True)
    assert "결제 서비스에 연결하지 못했습니다" in response.content.decode()
    s.refresh_from_db()
    order.refresh_from_db()
    assert s.state == "paid" and order.amount_refunded == 0


# The wording each version of the terms stands for (English and Korean, terms and agreement).
TERMS_WORDING = {
    "2026-12-03": "568646fff7abbae23b33087a2c7bcaee77773cd1a75ab78b7828aeefe52eddf3",
}


def test_new_wording_of_the_terms_comes_with_a_new_version():
    """Orders record the version agreed to: it must name one wording only."""
    import hashlib

    from django.utils import translation

    from sessions_app.checkout import WITHDRAWAL_AGREEMENT, WITHDRAWAL_TERMS

    parts = []
    for language in ("en", "ko"):
        with translation.override(language):
            parts += [str(WITHDRAWAL_TERMS), str(WITHDRAWAL_AGREEMENT)]
    wording = hashlib.sha256("\n".join(parts).encode()).hexdigest()
    assert TERMS_WORDING.get(WITHDRAWAL_TERMS_VERSION) == wording, (
        "The terms of withdrawal changed: give WITHDRAWAL_TERMS_VERSION a new value and add it "
        f"here with {wording}."
    )
