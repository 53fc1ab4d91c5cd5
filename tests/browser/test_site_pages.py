"""Every page of the site in a real browser, in both languages and at phone width: axe, the
HTML checker, Korean with no English left, no CSP violation, a visible keyboard focus."""

import pytest

from tests.browser.checks import tab_to

pytestmark = [
    pytest.mark.browser,
    # Like every journey: the next serialized test then starts from an empty database.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PUBLIC = [
    "",
    "how-it-works/",
    "features/",
    "faq/",
    "pricing/",
    "terms/",
    "privacy/",
    "support/",
    "accounts/login/",
    "accounts/signup/",
    "accounts/password/reset/",
    "accounts/password/reset/done/",
    "accounts/password/reset/key/1-expired/",
    "accounts/password/reset/key/done/",
    "accounts/confirm-email/",
    "accounts/confirm-email/expired-key/",
    "accounts/inactive/",
    "no-such-page/",
]
SIGNED_IN = [
    "account/settings/",
    "accounts/email/",
    "accounts/password/change/",
    "accounts/reauthenticate/",
    "accounts/logout/",
]


def _hide_cookie_banner(visit, live_server):
    # The cookie banner is the privacy pages' own journey; here it would cover the page.
    visit.page.context.add_cookies(
        [{"name": "pu_consent", "value": "reject", "url": live_server.url}]
    )


@pytest.mark.promise("P26")
def test_every_site_page_passes_the_checks(open_visit, catalogue, language, live_server):
    from accounts.models import User
    from tests.conftest import make_customer

    visit = open_visit(language)
    _hide_cookie_banner(visit, live_server)
    for path in PUBLIC:
        visit.at(path or "home")
        visit.goto(f"/{language}/{path}")

    visit.at("support form with an error")
    page = visit.goto(f"/{language}/support/")
    page.fill("input[name=name]", "Minji")
    page.fill("input[name=email]", "minji@example.com")
    page.fill("textarea[name=message]", "short")
    page = visit.submit(page.locator("main form button[type=submit]"))
    assert page.locator("#id_message_error").is_visible()
    assert page.locator("input[name=name]").input_value() == "Minji"

    user = make_customer(f"browser-{language}@example.com", language=language)
    User.objects.filter(pk=user.pk).update(region="", age_attestation="")
    visit.at("log in with a wrong password")
    page = visit.goto(f"/{language}/accounts/login/?next=/{language}/account/settings/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", "not-the-password")
    page = visit.submit(page.locator("main form button[type=submit]"))
    assert page.locator("main [role=alert]").is_visible()

    visit.at("log in")
    page.fill("input[name=password]", "pw-Customer-123")
    visit.submit(page.locator("main form button[type=submit]"))
    for path in SIGNED_IN:
        visit.at(path)
        visit.goto(f"/{language}/{path}")

    visit.at("region and age: under age")
    page = visit.goto(f"/{language}/account/region-and-age/")
    page.select_option("select[name=region]", "KR")
    page.check("input[name=of_age][value=no]")
    page = visit.submit(page.locator("main form button[type=submit]"))
    assert page.locator("h1").count() == 1


def test_the_site_fits_a_phone_and_works_by_keyboard(open_visit, catalogue, live_server):
    visit = open_visit("en", width=360, height=740)
    _hide_cookie_banner(visit, live_server)
    for path in ["", "pricing/", "privacy/", "support/", "accounts/signup/", "accounts/login/"]:
        visit.at(path or "home")
        page = visit.goto(f"/en/{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"/en/{path} scrolls sideways ({width}px)"

    visit.at("menu")
    page = visit.goto("/en/")
    assert not page.locator(".main-nav").is_visible()
    page.locator(".nav-toggle").click()
    assert page.locator(".main-nav").is_visible()
    assert page.locator(".nav-toggle").get_attribute("aria-expanded") == "true"

    visit.at("keyboard")
    page = visit.goto("/en/support/")
    tab_to(page, "main form button[type=submit]")
