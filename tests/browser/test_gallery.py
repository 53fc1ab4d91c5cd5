"""A customer opens their gallery, marks a favourite with the keyboard, downloads one portrait
and then all of them as a zip."""

import io
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from generation.models import GenerationJob, Portrait
from sessions_app.models import PhotoSession, Plan, StylePack
from tests.conftest import make_customer

from .checks import tab_to
from .steps import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def image_bytes(fmt, colour):
    out = io.BytesIO()
    Image.new("RGB", (96, 96), colour).save(out, fmt)
    return out.getvalue()


@pytest.fixture
def delivered_session(catalogue, language):
    customer = make_customer(f"haneul-{language}@example.com", region="KR", language=language)
    photo_session = PhotoSession.objects.create(
        user=customer,
        plan=Plan.objects.get(slug="starter"),
        state=PhotoSession.State.DELIVERED,
        currency="krw",
        amount=25000,
        delivered_at=timezone.now(),
        state_changed_at=timezone.now(),
    )
    styles = list(StylePack.objects.order_by("order")[:2])
    photo_session.styles.set(styles)
    # The gallery shows what a finished generation job made.
    job = GenerationJob.objects.create(
        photo_session=photo_session,
        kind=GenerationJob.Kind.GENERATION,
        state=GenerationJob.State.SUCCEEDED,
    )
    for i in range(4):
        portrait = Portrait(
            photo_session=photo_session,
            job=job,
            style=styles[i % 2],
            index=i // 2,
            seed=i,
            width=96,
            height=96,
        )
        colour = (40 * i, 120, 200)
        portrait.image.save("p.png", ContentFile(image_bytes("PNG", colour)), save=False)
        portrait.preview.save("p.webp", ContentFile(image_bytes("WEBP", colour)), save=False)
        portrait.save()
    return photo_session


def test_customer_favourites_and_downloads_from_the_gallery(
    open_visit, delivered_session, language
):
    visit = open_visit(language)
    page = log_in(visit, language, delivered_session.user.email)

    visit.at("the session")
    page = visit.click(page.locator(f"main a[href$='/{delivered_session.public_id}/']").first)
    visit.at("the gallery")
    page = visit.click(page.locator("main a[href*='/studio/']").first)
    assert page.locator("main img").count() == 4

    visit.at("favourite with the keyboard")
    button = page.locator("[data-favourite-form] button").first
    tab_to(page, "[data-favourite-form] button")
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => document.querySelector('[data-favourite-form] button')"
        ".getAttribute('aria-pressed') === 'true'"
    )
    assert button.get_attribute("aria-pressed") == "true"
    assert Portrait.objects.filter(favourite=True).count() == 1

    visit.at("download one")
    with page.expect_download() as one:
        page.locator("main a[href$='/full/']").first.click()
    assert one.value.path().read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    visit.at("download all")
    with page.expect_download() as everything:
        page.locator("main a[href$='/download.zip']").click()
    archive = zipfile.ZipFile(everything.value.path())
    assert sum(name.endswith(".png") for name in archive.namelist()) == 4
