"""A customer sends their photos off and watches the work: the session page follows training and
generation by itself, in the customer's language, its state badge saying what the panel says,
with the time left and a word that the page may be closed, and opens the gallery when done."""

import pytest
from django.utils import translation
from playwright.sync_api import Error as PlaywrightError

from sessions_app import services as session_services
from sessions_app.models import Plan
from tests.conftest import make_customer, wait_for

from .checks import untranslated_lines
from .steps import log_in, session_with_photos

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# What the page shows at one moment, read in one go so that the badge, the message and the
# time left all come from the same update.
SNAPSHOT = """() => {
  const panel = document.querySelector(".gen-progress");
  const badge = document.querySelector("[data-session-state]");
  if (!panel || !badge) { return null; }
  const text = (selector) => panel.querySelector(selector).textContent.trim();
  return {
    badge: badge.textContent.trim(),
    message: text("[data-progress-message]"),
    eta: text("[data-progress-eta]"),
    bar: panel.querySelector("[data-progress-bar]").getAttribute("value"),
  };
}"""


@pytest.fixture
def ready_session(catalogue, language):
    """A paid session with consent and the ten photos it needs, on a quick tiny-model plan."""
    # Enough steps that training lasts several of the page's updates.
    Plan.objects.filter(slug="starter").update(train_steps=300, resolution=32, images_per_style=2)
    customer = make_customer(f"doyun-{language}@example.com", region="KR", language=language)
    customer.display_name = "도윤"
    customer.save(update_fields=["display_name"])
    return session_with_photos(customer, photos=session_services.MIN_PHOTOS)


def test_customer_watches_their_portraits_being_made(
    open_visit, ready_session, language, celery_worker
):
    photo_session = ready_session
    visit = open_visit(language)
    log_in(visit, language, photo_session.user.email)

    visit.at("send the photos")
    page = visit.goto(f"/{language}/sessions/{photo_session.public_id}/photos/")
    page = visit.submit(page.locator("#submit-button"))

    visit.at("progress")
    leave = page.locator(".gen-progress [data-progress-leave]")
    assert leave.is_visible()
    assert leave.locator("a").get_attribute("href") == f"/{language}/sessions/"
    closing = {"en": "You can close this page", "ko": "이 페이지를 닫으셔도 됩니다"}[language]
    assert closing in leave.inner_text()
    seen = []

    def gallery_opened():
        # The page asks for news every few seconds and opens the gallery by itself at the end.
        if "/studio/" in page.url:
            return True
        try:
            now = page.evaluate(SNAPSHOT)
        except PlaywrightError:  # the gallery is loading in its place
            return False
        if now and (not seen or seen[-1] != now):
            seen.append(now)
        return False

    wait_for(gallery_opened, timeout=180, interval=0.3, message="the gallery to open by itself")
    page.wait_for_url(f"**/{language}/studio/{photo_session.public_id}/")
    visit.at("gallery")
    page = visit.check()
    assert page.locator(".gen-grid img").count() == 4

    # What the panel said changed in place while the customer watched, in their language.
    assert len({now["message"] for now in seen}) >= 2, seen
    if language == "ko":
        lines = [line for now in seen for line in (now["badge"], now["message"], now["eta"])]
        assert not untranslated_lines("\n".join(lines)), seen
    with translation.override(language):
        queued, training_label, generating = (
            translation.gettext(label)
            for label in ("In the queue", "Learning your likeness", "Creating your portraits")
        )
        under_a_minute = translation.gettext("Less than a minute left.")
        estimating = translation.gettext("Estimating the time left…")
    # While the work went on, the badge said what the panel said and the time left was there.
    stages = {queued, training_label, generating}
    working = [n for n in seen if n["badge"] in stages or n["message"].split(":")[0] in stages]
    assert working, seen
    for now in working:
        assert now["message"].startswith(f"{now['badge']}:"), now
        assert now["eta"], now
    training = [now for now in working if now["badge"] == training_label]
    assert training, seen
    # While training ran, the time left was given (no portrait timed yet: the training's own
    # from its measured steps), and never "less than a minute" before a step was measured.
    assert any(now["eta"] != estimating for now in training), training
    assert all(now["eta"] != under_a_minute for now in training if now["bar"] == "0"), training
