"""Selling again, end to end: a delivered gallery offers more styles in its email and page, the
customer pays through the Stripe stand-in's webhook, a real worker makes them on the kept model
(tiny model, no training) and they arrive in the same gallery, announced by email."""

import pytest

from generation.models import GenerationJob, Portrait
from sessions_app.models import AddonPrice, Order, StylePack
from tests.conftest import wait_for
from tests.sessions.conftest import localstripe_server  # noqa: F401 - a fixture used here
from tests.sessions.test_payments import deliver, event, paid_intent

from .conftest import state_of, submit
from .test_addons import use_stripe

pytestmark = [
    pytest.mark.ml,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("retention_policies"),
]


def _job_done(kind, photo_session, worker):
    def check():
        job = GenerationJob.objects.filter(photo_session=photo_session, kind=kind).first()
        if job is not None and job.state in ("failed", "cancelled"):
            raise AssertionError(f"{kind} job {job.state}: {job.error}\n{worker.log()}")
        return job is not None and job.state == "succeeded"

    wait_for(check, timeout=240, message=f"the {kind} job")


def test_more_styles_are_paid_made_on_the_kept_model_and_delivered_into_the_gallery(
    celery_worker,
    alice,
    bob,
    gen_plan,
    paid_session,
    client,
    settings,
    localstripe_server,  # noqa: F811
):
    AddonPrice.objects.create(plan=gen_plan, currency="usd", amount=500)
    session = paid_session(alice)
    # A style the session did not buy.
    business = StylePack.objects.create(
        slug="business",
        name_en="Business",
        name_ko="비즈니스",
        prompt_template="a {token} {class_word} portrait, business",
        order=5,
    )
    submit(session)
    _job_done("generation", session, celery_worker)
    wait_for(lambda: state_of(session) == "delivered", timeout=60, message="delivery")
    # The "ready" email offers more styles, with the price and the model's last day.
    ready = wait_for(
        lambda: [m for m in celery_worker.sent_mail() if "are ready" in m],
        timeout=30,
        message="the ready email",
    )
    assert "More styles: until" in ready[0] and "$5.00 each" in ready[0]

    use_stripe(settings, localstripe_server)
    client.force_login(bob)
    form = {"styles": business.pk, "withdrawal_terms": "on"}
    refused = client.post(f"/en/studio/{session.public_id}/more-styles/", form)
    assert refused.status_code == 404
    client.force_login(alice)
    response = client.post(f"/en/studio/{session.public_id}/more-styles/", form)
    order = Order.objects.get(photo_session=session, kind="addon")
    assert order.withdrawal_terms_version and order.withdrawal_agreed_at
    assert response["Location"] == order.checkout_url
    body = event(order, payment_intent=paid_intent(localstripe_server, order.amount))
    assert deliver(client, body).status_code == 200

    _job_done("addon", session, celery_worker)
    jobs = GenerationJob.objects.filter(photo_session=session)
    # Made on the model already trained: still one training job.
    assert jobs.filter(kind="training").count() == 1
    made = Portrait.objects.filter(photo_session=session, style=business)
    assert made.count() == gen_plan.images_per_style
    assert all(p.image and p.preview and p.job.kind == "addon" for p in made)
    assert state_of(session) == "delivered"
    assert set(session.styles.values_list("slug", flat=True)) == {"studio", "outdoor", "business"}

    page = client.get(f"/en/studio/{session.public_id}/").content.decode()
    assert f'<h2 id="style-{business.pk}">Business</h2>' in page
    for portrait in made:
        assert f"portraits/{portrait.pk}/preview/" in page
    # Every style is bought now: the offer says so instead of a form.
    assert "You already have every style we offer." in page
    announced = wait_for(
        lambda: [m for m in celery_worker.sent_mail() if "extra" in m and "are ready" in m],
        timeout=30,
        message="the add-on email",
    )
    assert "Business" in announced[0] and f"/en/studio/{session.public_id}/" in announced[0]

    client.force_login(bob)
    portrait = made.first()
    url = f"/en/studio/{session.public_id}/portraits/{portrait.pk}/full/"
    assert client.get(url).status_code == 404
