"""A Korean visitor signs up with Kakao in a real browser, against the stand-in OAuth server,
and is asked region and age before buying; another declines consent on Naver and is told why."""

import pytest

from accounts.models import User
from tests.oauth_standin import StandIn, provider_settings

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def standin(settings):
    server = StandIn().start()
    settings.SOCIALACCOUNT_PROVIDERS = provider_settings(settings.SOCIALACCOUNT_PROVIDERS, server)
    # What SOCIAL_SIGN_IN_FORM_ACTION does for the real providers' pages, for the stand-in's.
    policy = settings.CONTENT_SECURITY_POLICY
    directives = policy["DIRECTIVES"]
    settings.CONTENT_SECURITY_POLICY = {
        **policy,
        "DIRECTIVES": {**directives, "form-action": [*directives["form-action"], server.base]},
    }
    yield server
    server.stop()


def test_a_korean_visitor_signs_up_with_kakao_then_is_asked_region_and_age(
    open_visit, catalogue, standin
):
    visit = open_visit("ko")
    visit.at("the Korean login page: Kakao and Naver above the email form")
    page = visit.goto("/ko/accounts/login/")
    page.locator("[data-cookie-banner] button[value=reject]").click()
    buttons = page.locator("main button.auth-provider")
    assert buttons.all_inner_texts() == ["카카오로 계속하기", "네이버로 계속하기"]

    visit.at("Kakao's consent, then back signed in")
    page = visit.click(page.locator("main button.auth-provider-kakao"))
    assert page.url.endswith("/ko/sessions/")
    user = User.objects.get(socialaccount__provider="kakao")
    assert (user.email, user.display_name) == ("minji@kakao.example", "민지")
    assert "minji@kakao.example" in page.locator(".messages").inner_text()

    visit.at("the first purchase asks region and age")
    page = visit.goto("/ko/sessions/new/")
    assert "/ko/account/region-and-age/" in page.url
    user.refresh_from_db()
    assert not user.can_buy


def test_a_declined_naver_consent_is_explained_in_korean(open_visit, catalogue, standin):
    standin.deny = True
    accounts = User.objects.count()
    visit = open_visit("ko")
    visit.at("the Korean sign-up page")
    page = visit.goto("/ko/accounts/signup/")
    page.locator("[data-cookie-banner] button[value=reject]").click()

    visit.at("Naver's consent declined: back on the login page, told why")
    page = visit.click(page.locator("main button.auth-provider-naver"))
    assert page.url.endswith("/ko/accounts/login/")
    message = page.locator(".messages").inner_text()
    assert "네이버에서 정보 제공에 동의하지 않으셨으므로" in message
    assert User.objects.count() == accounts
