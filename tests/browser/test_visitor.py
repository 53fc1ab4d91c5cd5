"""A visitor reads the home page, answers the cookie banner, and finds the site fits a phone."""

import pytest

from privacy.models import ConsentRecord

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.mark.parametrize("choice", ["accept", "reject"])
def test_visitor_reads_the_home_page_and_answers_the_cookie_banner(
    open_visit, catalogue, language, choice
):
    visit = open_visit(language)
    visit.at("home")
    page = visit.goto(f"/{language}/")
    assert page.locator("html").get_attribute("lang") == language
    assert page.locator("h1").count() == 1
    # A real sample gallery: pictures, each described (axe holds the alt text).
    assert page.locator("main img").count() >= 3
    banner = page.locator("[data-cookie-banner]")
    assert banner.is_visible()
    # Until the visitor chooses, nothing optional is recorded or set (P21).
    assert ConsentRecord.objects.count() == 0

    visit.at(f"cookie banner: {choice}")
    banner.locator(f"button[value={choice}]").click()
    banner.wait_for(state="detached")
    record = ConsentRecord.objects.get(purpose=ConsentRecord.Purpose.COOKIES_OPTIONAL)
    assert record.granted is (choice == "accept")
    assert record.user is None
    assert record.browser_id

    visit.at("home again, choice remembered")
    page = visit.goto(f"/{language}/faq/")
    assert page.locator("[data-cookie-banner]").count() == 0
    assert ConsentRecord.objects.count() == 1


def test_pages_fit_a_360_pixel_phone(open_visit, catalogue, language):
    visit = open_visit(language, width=360, height=740)
    for path in ("/", "/faq/", "/features/"):
        visit.at(f"phone {path}")
        page = visit.goto(f"/{language}{path}")
        overflow = page.evaluate("() => document.documentElement.scrollWidth - innerWidth")
        assert overflow <= 0, f"{path} is {overflow}px wider than a 360px phone"
