"""A delivered customer buys one more style from the gallery: ticks it, pays (the local test
payment page), and the gallery says the extra style is on its way; then the offer is gone once
the personal model's deletion date has passed."""

import datetime
import hashlib

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from generation.models import GenerationJob, TrainingArtifact
from privacy.services import consent_record
from sessions_app.models import AddonPrice, Order, PhotoSession, Plan, StylePack

from .steps import log_in
from .test_gallery import delivered_session  # noqa: F401 - the fixture this journey starts from

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    # The offer ends with the model's retention date.
    pytest.mark.usefixtures("retention_policies"),
]

WAITING = {
    "en": "Your extra styles are waiting for a free studio machine.",
    "ko": "추가 스타일이 비어 있는 스튜디오 장비를 기다리고 있습니다.",
}
DELETED = {"en": "Your personal model was deleted on", "ko": "개인 모델을 삭제했으므로"}


@pytest.fixture
def kept_model(delivered_session, settings):  # noqa: F811
    settings.DEBUG = True
    settings.STRIPE_SECRET_KEY = ""
    settings.PAYMENT_BACKEND = "local"
    photo_session = delivered_session
    AddonPrice.objects.update_or_create(
        plan=Plan.objects.get(slug="starter"), currency="krw", defaults={"amount": 6500}
    )
    consent_record(
        user=photo_session.user,
        purpose="face_photos",
        granted=True,
        method="form",
        photo_session=photo_session,
    )
    weights = b"lora weights"
    artifact = TrainingArtifact(
        photo_session=photo_session, kind="lora", sha256=hashlib.sha256(weights).hexdigest()
    )
    artifact.file.save("pytorch_lora_weights.safetensors", ContentFile(weights), save=False)
    artifact.save()
    return photo_session


def test_customer_buys_one_more_style_from_the_gallery(open_visit, kept_model, language):
    photo_session = kept_model
    extra = StylePack.objects.exclude(pk__in=photo_session.styles.all()).order_by("order")[0]
    visit = open_visit(language)
    log_in(visit, language, photo_session.user.email)

    visit.at("the offer in the gallery")
    page = visit.goto(f"/{language}/studio/{photo_session.public_id}/")
    offer = page.locator("[data-addon]")
    assert "6,500" in offer.inner_text()
    page.check(f"[data-addon] input[name=styles][value='{extra.pk}']")
    page.check("[data-addon] input[name=withdrawal_terms]")
    page = visit.submit(page.locator("[data-addon] button[type=submit]"))

    visit.at("the test payment")
    assert page.url.endswith("/more-styles/pay/test/")
    page = visit.submit(page.locator("main form button[type=submit]"))

    visit.at("back in the gallery, the style on its way")
    assert f"/studio/{photo_session.public_id}/" in page.url
    assert WAITING[language] in page.locator("main").inner_text()
    order = Order.objects.get(photo_session=photo_session, kind="addon")
    assert order.status == "paid" and order.amount == 6500
    job = GenerationJob.objects.get(photo_session=photo_session, kind="addon")
    assert job.state == "queued" and list(job.order.styles.all()) == [extra]
    assert not GenerationJob.objects.filter(photo_session=photo_session, kind="training").exists()

    visit.at("after the model's deletion date")
    GenerationJob.objects.filter(pk=job.pk).update(state="succeeded", finished_at=timezone.now())
    PhotoSession.objects.filter(pk=photo_session.pk).update(
        delivered_at=timezone.now() - datetime.timedelta(days=31)
    )
    page = visit.goto(f"/{language}/studio/{photo_session.public_id}/")
    assert page.locator("[data-addon] input[name=styles]").count() == 0
    assert DELETED[language] in page.locator("[data-addon-closed]").inner_text()
