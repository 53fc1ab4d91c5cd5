"""More styles on a delivered session's kept model: the offer, who may buy it and until when,
the payment through the Stripe stand-in, and the refund when the styles cannot be made."""

import datetime
import hashlib

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone, translation
from django.utils.formats import date_format

from generation.models import GenerationJob, TrainingArtifact
from sessions_app.models import AddonPrice, Order, PlanPrice, Refund, StylePack
from tests.conftest import day_on_their_calendar
from tests.sessions.conftest import localstripe_server  # noqa: F401 - a fixture used here
from tests.sessions.test_payments import deliver, event, paid_intent

pytestmark = pytest.mark.django_db


def use_stripe(settings, server):
    """Stripe (its local stand-in) from here on; the session itself was paid locally."""
    from tests.sessions.conftest import WEBHOOK_SECRET

    settings.STRIPE_SECRET_KEY = "sk_test_pictureus"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = server
    settings.PAYMENT_BACKEND = "stripe"


def delivered(paid_session, user, *, lora=True, currency="usd"):
    """A delivered session with its LoRA kept (the worker's flow is test_addon_flow's)."""
    from sessions_app import services as ss

    photo_session = paid_session(user, photos=0)
    # The session bought the plan's two styles; "business" is the one left to add.
    photo_session.styles.set(StylePack.objects.exclude(slug="business"))
    if currency != "usd":
        PlanPrice.objects.get_or_create(plan=photo_session.plan, currency=currency, amount=25000)
        photo_session.currency = currency
        photo_session.save(update_fields=["currency"])
    for state in ("queued", "training", "generating", "delivered"):
        ss.session_transition(photo_session=photo_session, to_state=state, cause="test setup")
    if lora:
        weights = b"lora weights"
        artifact = TrainingArtifact(
            photo_session=photo_session, kind="lora", sha256=hashlib.sha256(weights).hexdigest()
        )
        artifact.file.save("pytorch_lora_weights.safetensors", ContentFile(weights), save=False)
        artifact.save()
    photo_session.refresh_from_db()
    return photo_session


@pytest.fixture
def catalogue(gen_plan):
    """The tiny plan's two styles, a third one to add, and the price of an extra style."""
    AddonPrice.objects.create(plan=gen_plan, currency="usd", amount=500)
    AddonPrice.objects.create(plan=gen_plan, currency="krw", amount=6500)
    return StylePack.objects.create(
        slug="business",
        name_en="Business",
        name_ko="비즈니스",
        prompt_template="a {token} {class_word} portrait, business",
        order=5,
    )


def gallery(client, photo_session, language="en"):
    response = client.get(f"/{language}/studio/{photo_session.public_id}/")
    assert response.status_code == 200
    return response.content.decode()


def buy(client, photo_session, *styles, language="en", agree=True):
    form = {"styles": [style.pk for style in styles]}
    if agree:
        form["withdrawal_terms"] = "on"
    return client.post(f"/{language}/studio/{photo_session.public_id}/more-styles/", form)


def test_the_gallery_offers_the_styles_not_yet_bought_until_the_model_is_deleted(
    client, alice, paid_session, catalogue
):
    s = delivered(paid_session, alice)
    client.force_login(alice)
    html = gallery(client, s)
    until = day_on_their_calendar(alice, s.delivered_at + datetime.timedelta(days=30))
    assert "More styles on your personal model" in html
    assert f'name="styles" value="{catalogue.pk}"' in html
    # The session's own styles are not offered again.
    for style in s.styles.all():
        assert f'name="styles" value="{style.pk}"' not in html
    assert "$5.00 each" in html
    with translation.override("en"):
        assert f"Until {date_format(until, 'DATE_FORMAT')}, while we keep" in html


def test_the_korean_gallery_offers_it_in_korean_and_won(client, paid_session, catalogue):
    from tests.conftest import make_customer

    minji = make_customer("minji@example.com", region="KR", language="ko")
    s = delivered(paid_session, minji, currency="krw")
    client.force_login(minji)
    html = gallery(client, s, "ko")
    assert "개인 모델로 스타일 더 만들기" in html
    assert "6,500원" in html
    assert "비즈니스" in html


def test_another_customer_can_neither_see_nor_buy_it(client, alice, bob, paid_session, catalogue):
    s = delivered(paid_session, alice)
    client.force_login(bob)
    assert client.get(f"/en/studio/{s.public_id}/").status_code == 404
    assert buy(client, s, catalogue).status_code == 404
    assert not Order.objects.filter(kind="addon").exists()


def test_after_the_retention_date_the_offer_is_gone_and_the_page_says_why(
    client, alice, paid_session, catalogue
):
    s = delivered(paid_session, alice)
    # Delivered 31 days ago: the model's 30 days are over (the sweep has not run yet).
    past = timezone.now() - datetime.timedelta(days=31)
    type(s).objects.filter(pk=s.pk).update(delivered_at=past)
    client.force_login(alice)
    html = gallery(client, s)
    assert 'name="styles"' not in html
    assert "Your personal model was deleted on" in html
    response = buy(client, s, catalogue)
    assert response.status_code == 302
    assert not Order.objects.filter(kind="addon").exists()
    page = client.get(response["Location"]).content.decode()
    assert "no more styles can be made from it" in page


def test_a_model_erased_early_ends_the_offer(client, alice, paid_session, catalogue):
    s = delivered(paid_session, alice, lora=False)
    client.force_login(alice)
    html = gallery(client, s)
    assert 'name="styles"' not in html
    assert "Your personal model has been deleted" in html
    buy(client, s, catalogue)
    assert not Order.objects.filter(kind="addon").exists()


@pytest.mark.promise("P16")
def test_a_restriction_refuses_the_purchase_with_the_reason(client, alice, paid_session, catalogue):
    from privacy.services import restriction_place

    s = delivered(paid_session, alice)
    restriction_place(user=alice, kind="restriction")
    client.force_login(alice)
    assert "You have restricted the processing of your data" in gallery(client, s)
    buy(client, s, catalogue)
    assert not Order.objects.filter(kind="addon").exists()


@pytest.mark.promise("P02")
def test_a_consent_no_longer_current_refuses_the_purchase(client, alice, paid_session, catalogue):
    from privacy.models import PolicyVersion

    s = delivered(paid_session, alice)
    today = timezone.localdate()
    PolicyVersion.objects.create(
        kind="privacy", version="v9", effective_date=today, last_updated=today, material_change=True
    )
    client.force_login(alice)
    assert "not current" in gallery(client, s)
    buy(client, s, catalogue)
    assert not Order.objects.filter(kind="addon").exists()


def test_a_style_not_offered_is_refused(client, alice, paid_session, catalogue):
    s = delivered(paid_session, alice)
    client.force_login(alice)
    own = s.styles.first()
    response = buy(client, s, own)
    assert response.status_code == 302
    assert "Please choose at least one of the styles offered." in (
        client.get(response["Location"]).content.decode()
    )
    assert not Order.objects.filter(kind="addon").exists()


@pytest.mark.parametrize(
    ("language", "terms"),
    [
        ("en", "cannot be withdrawn once it is paid"),
        ("ko", "결제한 후에는 주문을 철회하실 수 없습니다"),
    ],
)
def test_the_terms_of_withdrawal_are_agreed_before_paying_and_kept_with_the_order(
    client, alice, paid_session, catalogue, language, terms
):
    s = delivered(paid_session, alice)
    client.force_login(alice)
    html = gallery(client, s, language)
    offer = html[html.index("data-addon") :]
    assert terms in offer and 'name="withdrawal_terms"' in offer
    refused = buy(client, s, catalogue, language=language, agree=False)
    assert refused.status_code == 302 and not Order.objects.filter(kind="addon").exists()
    page = client.get(refused["Location"]).content.decode()
    assert ("tick the box" if language == "en" else "동의") in page
    buy(client, s, catalogue, language=language)
    order = Order.objects.get(kind="addon")
    assert order.withdrawal_terms_language == language and order.withdrawal_agreed_at


def paid_addon(client, settings, server, photo_session, style):
    """Alice buys `style` through Checkout and Stripe says it is paid."""
    use_stripe(settings, server)
    response = buy(client, photo_session, style)
    order = Order.objects.get(photo_session=photo_session, kind="addon")
    assert response.status_code == 302 and response["Location"] == order.checkout_url
    assert order.amount == 500 and order.currency == "usd"
    assert list(order.styles.all()) == [style]
    body = event(order, payment_intent=paid_intent(server, order.amount))
    assert deliver(client, body).status_code == 200
    order.refresh_from_db()
    return order


def test_a_paid_order_is_one_generation_job_and_no_training(
    client,
    alice,
    paid_session,
    catalogue,
    settings,
    localstripe_server,  # noqa: F811
):
    s = delivered(paid_session, alice)
    client.force_login(alice)
    order = paid_addon(client, settings, localstripe_server, s, catalogue)
    assert order.status == "paid" and order.payment_intent_id.startswith("pi_")
    (job,) = GenerationJob.objects.filter(photo_session=s)
    assert (job.kind, job.state, job.order) == ("addon", "queued", order)
    assert job.progress_total == 2  # the plan's portraits for one style
    s.refresh_from_db()
    assert s.state == "delivered"
    # The session's first payment is not touched, and nothing is refunded.
    assert not Refund.objects.exists()
    # While it is made, no second add-on can be bought.
    assert "Your extra styles are being made" in gallery(client, s)


@pytest.mark.parametrize(
    ("language", "currency", "subject", "lines"),
    [
        (
            "en",
            "usd",
            "is paid",
            [
                "Styles: Business",
                "Amount paid: {money} (USD)",
                "cannot be withdrawn once it is paid",
                "will email you when they are in your gallery",
            ],
        ),
        (
            "ko",
            "krw",
            "결제",
            [
                "스타일: 비즈니스",
                "결제 금액: {money} (KRW)",
                "결제한 후에는 주문을 철회하실 수 없습니다",
                "갤러리에 추가되면 이메일로 알려 드리겠습니다",
            ],
        ),
    ],
)
def test_a_paid_addon_gets_its_own_receipt_by_email_in_the_customers_language(
    client,
    paid_session,
    catalogue,
    settings,
    localstripe_server,  # noqa: F811
    django_capture_on_commit_callbacks,
    mailoutbox,
    language,
    currency,
    subject,
    lines,
):
    """The receipt names what this order bought (not the session's own styles), its price,
    its own terms of withdrawal (not the session's) and the gallery the styles will join."""
    from pictureus.money import format_money
    from sessions_app.checkout import WITHDRAWAL_TERMS
    from tests.conftest import make_customer, purge_queues

    region = "KR" if language == "ko" else "US"
    customer = make_customer(f"{language}@example.com", region=region, language=language)
    s = delivered(paid_session, customer, currency=currency)
    client.force_login(customer)
    use_stripe(settings, localstripe_server)
    buy(client, s, catalogue, language=language)
    order = Order.objects.get(kind="addon")
    body = event(order, payment_intent=paid_intent(localstripe_server, order.amount))
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert deliver(client, body).status_code == 200
    finally:
        purge_queues()  # the add-on's job message: no worker runs here
    (receipt,) = mailoutbox
    assert receipt.to == [customer.email]
    assert f"#{order.pk}" in receipt.subject and subject in receipt.subject
    text = receipt.body
    for line in lines:
        line = line.format(money=format_money(order.amount, currency, language))
        assert line in text, line
    with translation.override(language):
        session_styles = [style.name for style in s.styles.all()]
        assert str(WITHDRAWAL_TERMS)[:40] not in text
    assert session_styles and not any(name in text for name in session_styles)
    assert f"/{language}/studio/{s.public_id}/" in text
    assert f"/sessions/{s.public_id}/" not in text
    html = receipt.alternatives[0][0]
    assert f"/{language}/studio/{s.public_id}/" in html and lines[-1] in html


def test_a_failed_addon_is_refunded_and_the_gallery_stays(
    client,
    alice,
    paid_session,
    catalogue,
    settings,
    localstripe_server,  # noqa: F811
    django_capture_on_commit_callbacks,
    mailoutbox,
):
    from generation.services.jobs import job_fail_and_refund

    s = delivered(paid_session, alice)
    client.force_login(alice)
    order = paid_addon(client, settings, localstripe_server, s, catalogue)
    job = GenerationJob.objects.get(order=order)
    with django_capture_on_commit_callbacks(execute=True):
        job_fail_and_refund(job_id=job.pk, error="RuntimeError: the GPU caught fire")
    refund = Refund.objects.get(order=order)
    assert refund.status == "succeeded" and refund.amount == 500
    assert refund.processor_refund_id.startswith("re_")
    s.refresh_from_db()
    assert s.state == "delivered"
    assert not s.orders.filter(kind="session", amount_refunded__gt=0).exists()
    (mail,) = [m for m in mailoutbox if "extra" in m.subject]
    assert "$5.00" in mail.body and "Business" in mail.body
    # Said again (a retried task): nothing more is refunded.
    with django_capture_on_commit_callbacks(execute=True):
        job_fail_and_refund(job_id=job.pk, error="again")
    assert Refund.objects.filter(order=order).count() == 1


@pytest.mark.promise("P16")
def test_a_payment_that_arrives_after_a_restriction_is_refunded_and_makes_nothing(
    client,
    alice,
    paid_session,
    catalogue,
    settings,
    localstripe_server,  # noqa: F811
    django_capture_on_commit_callbacks,
    mailoutbox,
):
    from privacy.services import restriction_place

    s = delivered(paid_session, alice)
    client.force_login(alice)
    use_stripe(settings, localstripe_server)
    buy(client, s, catalogue)
    order = Order.objects.get(kind="addon")
    # The customer restricts processing while on the payment page.
    restriction_place(user=alice, kind="restriction")
    body = event(order, payment_intent=paid_intent(localstripe_server, order.amount))
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(client, body).status_code == 200
    assert not GenerationJob.objects.filter(photo_session=s).exists()
    order.refresh_from_db()
    assert order.status == "paid" and order.amount_refunded == 500
    # The customer hears of the refund, and gets no receipt for an order that makes nothing.
    assert not [m for m in mailoutbox if "is paid" in m.subject]


def test_the_ready_email_offers_it_in_the_customers_language(paid_session, catalogue, mailoutbox):
    from generation.services.notify import email_customer
    from tests.conftest import make_customer

    minji = make_customer("minji@example.com", region="KR", language="ko")
    s = delivered(paid_session, minji, currency="krw")
    email_customer(s.pk, "ready")
    (mail,) = mailoutbox
    assert "스타일 추가:" in mail.body and "1개당 6,500원" in mail.body
    html = mail.alternatives[0][0]
    assert "data-addon-offer" in html and "6,500원" in html
    # Past the model's deletion date the email offers nothing.
    type(s).objects.filter(pk=s.pk).update(
        delivered_at=timezone.now() - datetime.timedelta(days=31)
    )
    email_customer(s.pk, "ready")
    assert "스타일 추가:" not in mailoutbox[1].body


@pytest.mark.promise("P03")
def test_withdrawing_consent_stops_a_waiting_addon_and_refunds_it(
    client,
    alice,
    paid_session,
    catalogue,
    settings,
    localstripe_server,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    s = delivered(paid_session, alice)
    client.force_login(alice)
    order = paid_addon(client, settings, localstripe_server, s, catalogue)
    job = GenerationJob.objects.get(order=order)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/en/privacy/centre/consent/",
            {"purpose": "face_photos", "granted": "0", "session": str(s.public_id)},
        )
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.state == "cancelled"
    assert not TrainingArtifact.objects.filter(photo_session=s).exists()
    order.refresh_from_db()
    assert order.amount_refunded == 500
    assert "Your personal model has been deleted" in gallery(client, s)


def test_an_addon_job_that_finds_its_session_refunded_refunds_its_order_too(
    client,
    alice,
    paid_session,
    catalogue,
    settings,
    localstripe_server,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    from generation.services.jobs import job_begin
    from sessions_app.models import PhotoSession

    s = delivered(paid_session, alice)
    client.force_login(alice)
    order = paid_addon(client, settings, localstripe_server, s, catalogue)
    job = GenerationJob.objects.get(order=order)
    # An operator ended the session meanwhile (its own order was local; the state is what counts).
    PhotoSession.objects.filter(pk=s.pk).update(state="refunded")
    with django_capture_on_commit_callbacks(execute=True):
        assert job_begin(job_id=job.pk, worker="test") is None
    job.refresh_from_db()
    order.refresh_from_db()
    assert job.state == "cancelled"
    assert order.amount_refunded == 500


def test_with_a_real_model_the_offer_needs_the_original_photos(
    client, alice, paid_session, catalogue, settings
):
    # Portraits are delivered only when they look like the customer's photos: with those
    # photos gone (a shorter period for originals than for the model), nothing could be.
    settings.PICTUREUS_BASE_MODEL = "/models/a-real-checkpoint"
    s = delivered(paid_session, alice)
    assert not s.photos.exists()
    client.force_login(alice)
    assert "Your original photos have been deleted" in gallery(client, s)
    buy(client, s, catalogue)
    assert not Order.objects.filter(kind="addon").exists()
