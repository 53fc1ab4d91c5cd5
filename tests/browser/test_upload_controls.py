"""Controls that look like what they do: "Make my portraits" looks disabled and says why until
enough photos are in, "Add photos" sends each chosen file at once with its own progress and
verdict, and the consent boxes are all drawn the same, comfortable size."""

import pytest
from django.utils import translation

from sessions_app import services as session_services
from sessions_app.photos import REASONS
from tests.conftest import make_customer
from tests.sessions.images import face_jpeg

from .steps import log_in, paid_session, session_with_photos

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

MIN = session_services.MIN_PHOTOS
# What a customer with `count` photos reads beside the disabled button.
TOO_FEW = {
    "en": "Add at least 10 photos to continue — {count} so far.",
    "ko": "계속하려면 사진을 10장 이상 추가해 주세요. 지금까지 {count}장입니다.",
}

_LOOK = """el => {
  const s = getComputedStyle(el);
  return {cursor: s.cursor, background: s.backgroundColor, color: s.color, opacity: s.opacity};
}"""

_DESCRIPTION = """el => (el.getAttribute("aria-describedby") || "").split(/\\s+/)
  .map(id => document.getElementById(id)).filter(Boolean)
  .map(d => d.innerText.trim()).join(" ")"""


def named_customer(email, language):
    customer = make_customer(email, region="KR", language=language)
    customer.display_name = "서연"
    customer.save(update_fields=["display_name"])
    return customer


def look(locator) -> dict:
    return locator.evaluate(_LOOK)


def hovered_look(page, locator) -> dict:
    box = locator.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    hovered = look(locator)
    page.mouse.move(0, 0)
    return hovered


def test_make_my_portraits_says_why_it_waits_and_each_file_gets_its_verdict(
    open_visit, catalogue, language
):
    customer = named_customer(f"seoyeon-{language}@example.com", language)
    photo_session = session_with_photos(customer, photos=MIN - 2)
    visit = open_visit(language)
    log_in(visit, language, customer.email)

    visit.at("photos page: not enough photos yet")
    page = visit.goto(f"/{language}/sessions/{photo_session.public_id}/photos/")
    button = page.locator("#submit-button")
    assert button.is_disabled()
    disabled = look(button)
    assert disabled["cursor"] == "not-allowed"
    # Pointing at it lights nothing up.
    assert hovered_look(page, button) == disabled
    reason = TOO_FEW[language].format(count=MIN - 2)
    described_by = page.locator(f"#{button.get_attribute('aria-describedby')}")
    assert described_by.is_visible()
    assert described_by.inner_text() == reason
    assert button.evaluate(_DESCRIPTION) == reason

    visit.at("photos page: one control adds photos")
    upload_form = page.locator("#upload-form")
    assert upload_form.locator("button:visible").count() == 0, "a second upload button shows"
    add = upload_form.locator("label[for=id_photos]")
    assert add.is_visible() and look(add)["cursor"] == "pointer"

    visit.at("photos page: two photos and a file that is not one")
    with translation.override(language):
        not_a_photo = str(REASONS["not_an_image"])
    page.set_input_files(
        "#id_photos",
        [
            {"name": f"selfie-{n}.jpg", "mimeType": "image/jpeg", "buffer": face_jpeg(n)}
            for n in (MIN - 2, MIN - 1)
        ]
        + [{"name": "notes.txt", "mimeType": "text/plain", "buffer": b"my shopping list"}],
    )
    rows = page.locator("#upload-progress li")
    assert rows.count() == 3
    assert rows.locator("progress").count() == 3
    page.wait_for_function(
        "() => document.querySelectorAll('#upload-progress .verdict-ok, "
        "#upload-progress .verdict-rejected').length === 3"
    )
    assert [rows.nth(n).locator(".upload-name").inner_text() for n in range(3)] == [
        "selfie-8.jpg",
        "selfie-9.jpg",
        "notes.txt",
    ]
    refused = page.locator("#upload-progress .verdict-rejected")
    assert refused.count() == 1
    assert "notes.txt" in refused.inner_text() and not_a_photo in refused.inner_text()
    assert page.locator("#upload-progress .verdict-ok").count() == 2
    assert all(rows.nth(n).locator("progress").get_attribute("value") == "100" for n in range(3))
    assert photo_session.photos.count() == MIN

    visit.at("photos page: enough photos")
    assert button.is_enabled()
    enabled = look(button)
    assert enabled["cursor"] == "pointer"
    assert enabled["background"] != disabled["background"]
    assert button.get_attribute("aria-describedby") is None
    assert not page.locator("#submit-reason").is_visible()
    assert page.locator(".photo-grid .photo-tile").count() == MIN
    page = visit.check()

    visit.at("photos page: a photo deleted again")
    page.locator(".photo-grid .photo-tile button").last.click()
    page.wait_for_function("() => document.getElementById('submit-button').disabled")
    assert button.evaluate(_DESCRIPTION) == TOO_FEW[language].format(count=MIN - 1)
    assert page.locator(".photo-grid .photo-tile").count() == MIN - 1
    assert photo_session.photos.count() == MIN - 1
    visit.check()


@pytest.mark.parametrize("width", [1280, 360])
def test_consent_boxes_are_all_the_same_comfortable_size(open_visit, catalogue, language, width):
    customer = named_customer(f"jiho-{language}@example.com", language)
    photo_session = paid_session(customer)
    visit = open_visit(language, width=width)
    log_in(visit, language, customer.email)

    visit.at("consent")
    page = visit.goto(f"/{language}/sessions/{photo_session.public_id}/consent/")
    sizes = {}
    for name in ("face_photos", "only_me", "model_improvement", "marketing_likeness"):
        box = page.locator(f"input[name={name}]").bounding_box()
        sizes[name] = (round(box["width"], 1), round(box["height"], 1))
    assert len(set(sizes.values())) == 1, sizes
    width_px, height_px = sizes["face_photos"]
    assert width_px >= 24 and height_px >= 24, sizes
