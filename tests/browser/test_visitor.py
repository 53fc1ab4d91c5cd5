"""A visitor reads the home page, answers the cookie banner, changes it later from the footer,
and finds the site fits a phone."""

import pytest

from privacy.models import ConsentRecord

from .checks import announced_errors, tab_to

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

    visit.at("the first click: Get started leads to sign-up, with a way to sign in")
    page = visit.goto(f"/{language}/")
    with page.expect_navigation():
        page.locator("main a.button-large").first.click()
    page = visit.check()
    assert f"/{language}/accounts/signup/" in page.url
    assert page.locator(f"main a[href^='/{language}/accounts/login/']").count() >= 1
    heading = {"en": "Create your account", "ko": "계정 만들기"}[language]
    assert page.locator("h1").inner_text() == heading
    rules = page.locator("#id_password1_helptext")
    assert rules.is_visible()
    first_rule = {"en": "At least 8 characters", "ko": "8자 이상"}[language]
    assert rules.inner_text().startswith(first_rule)


@pytest.mark.promise("P21")
def test_visitor_changes_the_cookie_choice_from_the_footer_with_the_keyboard(
    open_visit, catalogue, language
):
    visit = open_visit(language)
    visit.at("home: accept optional cookies")
    page = visit.goto(f"/{language}/")
    banner = page.locator("[data-cookie-banner]")
    banner.locator("button[value=accept]").click()
    banner.wait_for(state="detached")

    visit.at("a cached page: the footer's cookie settings, by keyboard")
    page = visit.goto(f"/{language}/faq/")
    assert page.locator("[data-cookie-banner]").count() == 0
    tab_to(page, "footer a[href$='/privacy/cookies/settings/']", limit=200)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page = visit.check()
    assert page.url.endswith(f"/{language}/privacy/cookies/settings/")
    assert page.is_checked("#cookie-choice-accept")

    visit.at("cookie settings: only necessary cookies, by keyboard")
    tab_to(page, "#cookie-choice-accept")
    page.keyboard.press("ArrowUp")  # the other choice in the group
    assert page.is_checked("#cookie-choice-reject")
    tab_to(page, "main form button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page = visit.check()
    assert page.is_checked("#cookie-choice-reject")
    assert announced_errors(page), "the saved choice is not announced"
    accepted, refused = ConsentRecord.objects.filter(
        purpose=ConsentRecord.Purpose.COOKIES_OPTIONAL
    ).order_by("id")
    assert (accepted.granted, refused.granted) == (True, False)
    assert accepted.browser_id == refused.browser_id
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    assert cookies["pu_consent"] == "reject" and cookies["pu_bid"] == refused.browser_id

    visit.at("the footer's privacy requests")
    page = visit.click(page.locator("footer a[href$='/privacy/request/']"))
    assert page.url.endswith(f"/{language}/privacy/request/")
    assert page.locator("[data-cookie-banner]").count() == 0


def test_pages_fit_a_360_pixel_phone(open_visit, catalogue, language):
    visit = open_visit(language, width=360, height=740)
    for path in ("/", "/faq/", "/features/"):
        visit.at(f"phone {path}")
        page = visit.goto(f"/{language}{path}")
        overflow = page.evaluate("() => document.documentElement.scrollWidth - innerWidth")
        assert overflow <= 0, f"{path} is {overflow}px wider than a 360px phone"
