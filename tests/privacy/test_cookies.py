"""Optional cookies: the banner and the cookie settings page record each choice (P21).

A visitor or customer chooses in the banner and changes their mind later from the footer's
"Cookie settings" page, without JavaScript; every choice is a ledger row with the browser's id
(and the account when signed in), and a refusal removes optional cookies already set.
"""

import re

import pytest
from django.test import Client

from privacy import services
from privacy.models import ConsentRecord

from .conftest import login

pytestmark = pytest.mark.django_db

COOKIES = ConsentRecord.Purpose.COOKIES_OPTIONAL
NECESSARY = {"csrftoken", "sessionid", "django_language", "messages", "pu_bid", "pu_consent"}
SETTINGS = "/{lang}/privacy/cookies/settings/"


def cookie_rows():
    return list(ConsentRecord.objects.filter(purpose=COOKIES).order_by("id"))


def choice_shown(client, lang="en") -> str:
    html = client.get(SETTINGS.format(lang=lang)).content.decode()
    return re.search(r'data-cookie-choice="(\w+)"', html).group(1)


def csrf_token_in(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


@pytest.mark.promise("P21")
@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_visitor_who_has_not_chosen_gets_only_necessary_cookies(client, lang):
    pages = ["", "faq/", "pricing/", "privacy/", "privacy/cookies/settings/", "privacy/request/"]
    for path in pages + ["accounts/login/", "support/"]:
        response = client.get(f"/{lang}/{path}")
        assert response.status_code == 200, path
        assert set(response.cookies) <= NECESSARY - {"pu_consent"}, path
    assert set(client.cookies) <= NECESSARY - {"pu_consent"}
    assert not ConsentRecord.objects.exists()


@pytest.mark.promise("P21")
def test_accepting_in_the_banner_records_the_choice_with_the_browser_id(client):
    response = client.get("/en/")
    assert set(response.cookies) <= NECESSARY - {"pu_consent"}
    assert not ConsentRecord.objects.exists()

    response = client.post("/en/privacy/cookies/", {"choice": "accept", "next": "/en/faq/"})
    assert response.status_code == 302 and response["Location"] == "/en/faq/"
    assert response.cookies["pu_consent"].value == "accept"
    [row] = cookie_rows()
    assert (row.granted, row.method, row.user) == (True, "cookie_banner", None)
    assert row.browser_id == response.cookies["pu_bid"].value
    assert row.policy_version is not None


@pytest.mark.promise("P21")
def test_a_signed_in_customer_accepting_in_the_banner_gets_a_row_for_the_account(client, alice):
    login(client, alice)
    client.cookies["pu_bid"] = "b" * 32
    response = client.post(
        "/en/privacy/cookies/", {"choice": "accept"}, HTTP_X_REQUESTED_WITH="fetch"
    )
    assert response.status_code == 204
    [row] = cookie_rows()
    assert (row.user, row.browser_id, row.granted) == (alice, "b" * 32, True)


@pytest.mark.promise("P21")
@pytest.mark.parametrize(
    "lang, allowed, necessary_only",
    [
        ("en", "Accept optional cookies", "Only necessary cookies"),
        ("ko", "선택 쿠키 허용", "필수 쿠키만 사용"),
    ],
)
def test_the_settings_page_shows_the_choice_and_a_refusal_removes_optional_cookies(
    client, lang, allowed, necessary_only
):
    page = client.get(f"/{lang}/").content.decode()
    assert f'href="/{lang}/privacy/cookies/settings/"' in page
    client.post(f"/{lang}/privacy/cookies/", {"choice": "accept", "next": f"/{lang}/"})
    # An optional cookie set after the visitor allowed them (analytics, say).
    client.cookies["pu_analytics"] = "visitor-123"

    html = client.get(SETTINGS.format(lang=lang)).content.decode()
    assert allowed in html and necessary_only in html
    assert choice_shown(client, lang) == "accept"
    assert "data-cookie-banner" not in html

    response = client.post(SETTINGS.format(lang=lang), {"choice": "reject"})
    assert response.status_code == 302 and response["Location"] == SETTINGS.format(lang=lang)
    assert response.cookies["pu_consent"].value == "reject"
    removed = response.cookies["pu_analytics"]
    assert removed.value == "" and removed["max-age"] == 0 and removed["samesite"] == "Lax"
    # The cookies the site needs stay.
    assert not {"pu_bid", "csrftoken", "sessionid"} & {
        name for name, c in response.cookies.items() if c["max-age"] == 0
    }
    first, second = cookie_rows()
    assert (first.granted, first.method) == (True, "cookie_banner")
    assert (second.granted, second.method) == (False, "form")
    assert first.browser_id == second.browser_id == client.cookies["pu_bid"].value
    assert choice_shown(client, lang) == "reject"

    # And back again: each change is one more row.
    client.post(SETTINGS.format(lang=lang), {"choice": "accept"})
    assert [r.granted for r in cookie_rows()] == [True, False, True]
    assert choice_shown(client, lang) == "accept"


@pytest.mark.promise("P21")
def test_the_settings_page_works_without_javascript_and_needs_the_forms_token():
    browser = Client(enforce_csrf_checks=True)
    html = browser.get("/en/privacy/cookies/settings/").content.decode()
    assert 'data-cookie-choice="none"' in html
    # Looking at the page chooses nothing and sets nothing optional.
    assert not ConsentRecord.objects.exists()
    assert set(browser.cookies) <= NECESSARY - {"pu_consent", "pu_bid"}
    form = re.search(
        r'<form method="post" action="/en/privacy/cookies/settings/".*?</form>', html, re.S
    )
    assert 'type="radio" name="choice" value="accept"' in form.group(0)
    assert '<button type="submit"' in form.group(0)

    refused = browser.post("/en/privacy/cookies/settings/", {"choice": "accept"})
    assert refused.status_code == 403 and not ConsentRecord.objects.exists()
    response = browser.post(
        "/en/privacy/cookies/settings/",
        {"choice": "accept", "csrfmiddlewaretoken": csrf_token_in(html)},
    )
    assert response.status_code == 302
    assert cookie_rows()[0].granted
    page = browser.get(response["Location"]).content.decode()
    assert "Your choice is saved" in page and "Recorded on" in page


def test_a_bad_choice_on_the_settings_page_records_nothing(client):
    response = client.post("/en/privacy/cookies/settings/", {"choice": "maybe"}, follow=True)
    assert "Choose to accept or reject optional cookies." in response.content.decode()
    assert not ConsentRecord.objects.exists()
    assert "pu_consent" not in client.cookies


@pytest.mark.promise("P21")
def test_a_changed_choice_shows_at_once_on_cached_pages(client):
    assert "data-cookie-banner" in client.get("/en/").content.decode()
    cached = client.get("/en/").content.decode()  # from the cache
    assert "data-cookie-banner" in cached
    assert 'href="/en/privacy/cookies/settings/"' in cached
    assert 'href="/en/privacy/request/"' in cached

    client.post("/en/privacy/cookies/settings/", {"choice": "accept"})
    assert "data-cookie-banner" not in client.get("/en/").content.decode()
    client.post("/en/privacy/cookies/settings/", {"choice": "reject"})
    page = client.get("/en/").content.decode()
    assert "data-cookie-banner" not in page
    assert 'href="/en/privacy/cookies/settings/"' in page
    # Another browser that has not chosen still gets the banner from the same cache.
    assert "data-cookie-banner" in Client().get("/en/").content.decode()


@pytest.mark.promise("P21")
def test_two_customers_on_two_browsers_never_get_each_others_choices(alice, bob):
    alice_browser, bob_browser = login(Client(), alice), login(Client(), bob)
    alice_browser.post("/en/privacy/cookies/", {"choice": "accept"})
    bob_browser.post("/en/privacy/cookies/settings/", {"choice": "reject"})

    assert choice_shown(alice_browser) == "accept"
    assert choice_shown(bob_browser) == "reject"
    alice_bid = alice_browser.cookies["pu_bid"].value
    bob_bid = bob_browser.cookies["pu_bid"].value
    assert alice_bid != bob_bid
    assert [(r.user, r.browser_id, r.granted) for r in cookie_rows()] == [
        (alice, alice_bid, True),
        (bob, bob_bid, False),
    ]
    # Bob signing in on Alice's browser later never sees her ledger row as his.
    alice_browser.post("/en/accounts/logout/")
    login(alice_browser, bob)
    assert services.cookie_choice_latest(browser_id=alice_bid, user=bob) is None
    assert services.cookie_choice_latest(browser_id=alice_bid, user=alice).user == alice
    assert services.cookie_choice_latest(browser_id=bob_bid, user=bob).user == bob


@pytest.mark.promise("P21")
def test_the_settings_page_dates_only_the_choice_in_effect(client, alice):
    client.post("/en/privacy/cookies/", {"choice": "accept"})  # as a visitor
    login(client, alice)
    client.post("/en/privacy/cookies/settings/", {"choice": "reject"})
    html = client.get("/en/privacy/cookies/settings/").content.decode()
    assert 'data-cookie-choice="reject"' in html and "Recorded on" in html

    client.post("/en/accounts/logout/")
    # Signed out, only the visitor's own row (an acceptance) is there: no date for the refusal.
    html = client.get("/en/privacy/cookies/settings/").content.decode()
    assert 'data-cookie-choice="reject"' in html and "Recorded on" not in html


@pytest.mark.promise("P21")
@pytest.mark.promise("P15")
def test_a_gpc_opt_out_later_does_not_pass_for_a_cookie_choice(client):
    client.post("/en/privacy/cookies/settings/", {"choice": "accept"})
    client.get("/en/", HTTP_SEC_GPC="1")
    assert ConsentRecord.objects.filter(purpose="sale_sharing", granted=False).exists()
    html = client.get(SETTINGS.format(lang="en")).content.decode()
    assert 'data-cookie-choice="accept"' in html and "Recorded on" in html
