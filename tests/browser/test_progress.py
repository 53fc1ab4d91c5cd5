"""A customer sends their photos off and watches the work: the session page follows training and
generation by itself, in the customer's language, and opens the gallery when it is done."""

import pytest
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


@pytest.fixture
def ready_session(catalogue, language):
    """A paid session with consent and the ten photos it needs, on a quick tiny-model plan."""
    Plan.objects.filter(slug="starter").update(train_steps=12, resolution=32, images_per_style=2)
    customer = make_customer(f"doyun-{language}@example.com", region="KR", language=language)
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
    panel = page.locator(".gen-progress")
    seen = []

    def gallery_opened():
        # The page asks for news every few seconds and opens the gallery by itself at the end.
        if "/studio/" in page.url:
            return True
        try:
            bar = panel.locator("[data-progress-bar]").get_attribute("value", timeout=1000)
            message = panel.locator("[data-progress-message]").inner_text(timeout=1000)
        except PlaywrightError:  # the gallery is loading in its place
            return False
        if not seen or seen[-1] != (bar, message):
            seen.append((bar, message))
        return False

    wait_for(gallery_opened, timeout=180, interval=0.3, message="the gallery to open by itself")
    page.wait_for_url(f"**/{language}/studio/{photo_session.public_id}/")
    visit.at("gallery")
    page = visit.check()
    assert page.locator(".gen-grid img").count() == 4

    # What the panel said changed in place while the customer watched, in their language.
    assert len({message for _, message in seen}) >= 2, seen
    if language == "ko":
        assert not untranslated_lines("\n".join(message for _, message in seen)), seen
