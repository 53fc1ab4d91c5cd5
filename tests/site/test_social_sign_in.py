"""Kakao and Naver sign-in, the whole OAuth round trip against a stand-in server on 127.0.0.1
(tests/oauth_standin.py): the browser's redirects are followed by hand, the site's own calls
to the token and profile endpoints go over the network to the stand-in."""

import json
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount, SocialToken
from django.core import mail
from django.test import Client

from accounts.models import User
from tests.oauth_standin import PLANTED, StandIn, provider_settings

from .helpers import page_text

pytestmark = pytest.mark.django_db
PROVIDERS = ["kakao", "naver"]


@pytest.fixture
def standin(settings):
    server = StandIn().start()
    settings.SOCIALACCOUNT_PROVIDERS = provider_settings(settings.SOCIALACCOUNT_PROVIDERS, server)
    yield server
    server.stop()


def _authorize(client, provider, language="ko"):
    """Press the provider's button; the stand-in answers as the person's browser sees it."""
    start = client.post(f"/{language}/accounts/{provider}/login/")
    assert start.status_code == 302
    return requests.get(start["Location"], allow_redirects=False, timeout=5)


def _callback(client, location):
    url = urlsplit(location)
    assert url.netloc == "testserver"
    return client.get(f"{url.path}?{url.query}")


def _sign_in(client, provider, language="ko"):
    return _callback(client, _authorize(client, provider, language).headers["Location"])


def _refusal(client, response):
    """Where a refused sign-in lands: the login page, saying why, and signed out."""
    assert response.status_code == 302
    assert response["Location"] == "/ko/accounts/login/"
    assert "_auth_user_id" not in client.session
    return page_text(client.get(response["Location"]))


def _nothing_created():
    assert not User.objects.exists()
    assert not SocialAccount.objects.exists() and not SocialToken.objects.exists()
    assert not EmailAddress.objects.exists()


def _customer(email, *, verified):
    user = User.objects.create_user(email=email, password="pw-Customer-123", display_name="Old")
    EmailAddress.objects.create(user=user, email=email, verified=verified, primary=True)
    return user


# --- the sign-in pages ------------------------------------------------------------------------


def test_the_korean_pages_offer_kakao_and_naver_before_the_email_form(client, standin):
    for page in ("login", "signup"):
        body = client.get(f"/ko/accounts/{page}/").content.decode()
        main = body[body.index("<main") :]
        kakao, naver = main.index("카카오로 계속하기"), main.index("네이버로 계속하기")
        assert kakao < naver < main.index('class="auth-form"')
        assert 'action="/ko/accounts/kakao/login/?process=login"' in main


def test_the_english_pages_offer_them_after_the_email_form(client, standin):
    for page in ("login", "signup"):
        body = client.get(f"/en/accounts/{page}/").content.decode()
        main = body[body.index("<main") :]
        assert main.index('class="auth-form"') < main.index("Continue with Kakao")
        assert "Continue with Naver" in main


def test_a_provider_without_keys_is_not_offered(client, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {
        **settings.SOCIALACCOUNT_PROVIDERS,
        "naver": {**settings.SOCIALACCOUNT_PROVIDERS["naver"], "APPS": []},
    }
    assert "네이버" not in page_text(client.get("/ko/accounts/login/"))
    assert client.post("/ko/accounts/naver/login/").status_code == 404
    # Unconfigured, as in the repository: no provider at all.
    assert "카카오" not in page_text(client.get("/ko/accounts/signup/"))


# --- a new customer -----------------------------------------------------------------------


@pytest.mark.promise("P01")
@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_new_customer_signs_in_and_only_name_and_email_are_kept(client, standin, provider):
    response = _sign_in(client, provider)
    assert response.status_code == 302 and response["Location"] == "/ko/sessions/"
    user = User.objects.get()
    assert client.session["_auth_user_id"] == str(user.pk)
    profile = standin.profiles[provider]
    expected = profile["kakao_account"] if provider == "kakao" else profile
    assert user.email == expected["email"]
    assert user.display_name == ("민지" if provider == "kakao" else "지수")
    assert user.preferred_language == "ko" and not user.has_usable_password()
    assert (user.region, user.age_attestation, user.time_zone) == ("", "", "")
    assert EmailAddress.objects.get(user=user).verified
    account = SocialAccount.objects.get(user=user, provider=provider)
    kept = json.dumps(account.extra_data, ensure_ascii=False)
    for value in PLANTED.values():
        assert value not in kept
    assert not SocialToken.objects.exists()
    if provider == "kakao":
        scope = standin.authorize_requests[0][1]["scope"]
        assert sorted(scope.split()) == ["account_email", "profile_nickname"]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_signing_in_again_reaches_the_same_account(client, standin, provider):
    _sign_in(client, provider)
    client.post("/ko/accounts/logout/")
    response = _sign_in(client, provider)
    assert response.status_code == 302
    assert User.objects.count() == 1 and SocialAccount.objects.count() == 1


def test_the_only_way_in_cannot_be_removed(client, standin):
    _sign_in(client, "kakao")
    account = SocialAccount.objects.get()
    response = client.post("/ko/accounts/3rdparty/", {"account": account.pk})
    assert response.status_code == 200
    assert SocialAccount.objects.filter(pk=account.pk).exists()
    assert not mail.outbox


def test_an_account_with_a_password_can_remove_kakao_and_is_told(client, standin):
    mine = _customer("minji@kakao.example", verified=True)
    User.objects.filter(pk=mine.pk).update(preferred_language="ko")
    _sign_in(client, "kakao")
    mail.outbox.clear()
    response = client.post("/ko/accounts/3rdparty/", {"account": SocialAccount.objects.get().pk})
    assert response.status_code == 302
    assert not SocialAccount.objects.exists()
    assert [m.subject for m in mail.outbox] == ["PictureUs 계정에서 카카오 로그인이 삭제되었습니다"]


@pytest.mark.promise("P17")
def test_region_and_age_are_still_asked_before_the_first_purchase(client, standin):
    _sign_in(client, "kakao")
    response = client.get("/ko/sessions/new/")
    assert response.status_code == 302
    assert response["Location"].startswith("/ko/account/region-and-age/")


# --- an address that is already an account's ---------------------------------------------


def test_a_confirmed_account_with_the_same_address_is_joined_and_told(client, standin, bob):
    mine = _customer("minji@kakao.example", verified=True)
    User.objects.filter(pk=mine.pk).update(preferred_language="ko")
    response = _sign_in(client, "kakao", language="en")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(mine.pk)
    assert User.objects.count() == 2
    assert SocialAccount.objects.get().user == mine
    mine.refresh_from_db()
    # The password still works: joining takes nothing from the account.
    assert mine.check_password("pw-Customer-123") and mine.display_name == "Old"
    # Told in the account's own language, whatever page the sign-in started from.
    assert [m.to for m in mail.outbox] == [["minji@kakao.example"]]
    assert mail.outbox[0].subject == "PictureUs 계정에 카카오 로그인이 추가되었습니다"
    assert "카카오에서 계정과 같은 이메일 주소를 확인했으므로" in mail.outbox[0].body


def test_an_unconfirmed_account_with_the_same_address_is_never_joined(client, standin):
    claim = _customer("minji@kakao.example", verified=False)
    text = _refusal(client, _sign_in(client, "kakao"))
    assert "이 이메일 주소를 쓰는 계정이 이미 있지만" in text
    assert not SocialAccount.objects.exists() and User.objects.get() == claim
    claim.refresh_from_db()
    assert claim.check_password("pw-Customer-123")
    assert not EmailAddress.objects.get().verified


# --- refusals -------------------------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_declined_consent_creates_nothing_and_says_so(client, standin, provider):
    standin.deny = True
    answer = _authorize(client, provider)
    assert "error=access_denied" in answer.headers["Location"]
    text = _refusal(client, _callback(client, answer.headers["Location"]))
    name = "카카오" if provider == "kakao" else "네이버"
    assert f"{name}에서 정보 제공에 동의하지 않으셨으므로" in text
    _nothing_created()


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_state_that_is_not_this_browsers_is_refused(client, standin, provider):
    location = _authorize(client, provider).headers["Location"]
    url = urlsplit(location)
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    forged = f"{url.path}?code={query['code']}&state=forged-{query['state']}"
    text = _refusal(client, client.get(forged))
    assert "로그인하지 못했습니다" in text
    _nothing_created()
    # The genuine answer, carried to another browser, is refused there too.
    other = Client()
    response = other.get(f"{url.path}?{url.query}")
    assert response.status_code == 302 and "_auth_user_id" not in other.session
    _nothing_created()


@pytest.mark.parametrize("flag", ["is_email_verified", "is_email_valid"])
def test_an_unconfirmed_or_lapsed_kakao_address_is_refused(client, standin, flag):
    # Unconfirmed, or confirmed once and no longer valid (Kakao's is_email_valid).
    standin.profiles["kakao"]["kakao_account"][flag] = False
    text = _refusal(client, _sign_in(client, "kakao"))
    assert "카카오에서 확인된 이메일 주소를 받지 못해" in text
    _nothing_created()


def test_naver_addresses_can_be_trusted_by_domain_only(client, standin, settings):
    providers = settings.SOCIALACCOUNT_PROVIDERS
    providers["naver"] = {**providers["naver"], "VERIFIED_EMAIL": ["naver.com"]}
    settings.SOCIALACCOUNT_PROVIDERS = providers
    text = _refusal(client, _sign_in(client, "naver"))
    assert "네이버에서 확인된 이메일 주소를 받지 못해" in text
    _nothing_created()
    standin.profiles["naver"]["email"] = "jisoo@naver.com"
    assert _sign_in(client, "naver")["Location"] == "/ko/sessions/"
    assert User.objects.get().email == "jisoo@naver.com"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_no_email_address_is_refused(client, standin, provider):
    profile = standin.profiles[provider]
    if provider == "kakao":
        # The person did not agree to share the address on Kakao's consent screen.
        profile["kakao_account"].pop("email")
        profile["kakao_account"]["email_needs_agreement"] = True
    else:
        profile.pop("email")
    text = _refusal(client, _sign_in(client, provider))
    assert "확인된 이메일 주소를 받지 못해" in text
    _nothing_created()


def test_a_refused_token_request_is_refused_here(client, standin):
    standin.clients["kakao"] = ("kakao-client", "a-secret-the-site-does-not-know")
    text = _refusal(client, _sign_in(client, "kakao"))
    assert "로그인하지 못했습니다" in text
    _nothing_created()


# --- the back office ---------------------------------------------------------------------


def test_the_back_office_shows_the_provider_but_holds_no_keys_or_tokens(client, standin, staff):
    _sign_in(Client(), "kakao")
    customer = User.objects.get(socialaccount__provider="kakao")
    client.force_login(staff)
    page = page_text(client.get(f"/en/backoffice/accounts/user/{customer.pk}/change/"))
    assert "Also signs in with: Kakao" in page
    # Keys live in the environment only; nothing here can repoint sign-in or read a token.
    for model in ("socialapp", "socialtoken", "socialaccount"):
        assert client.get(f"/en/backoffice/socialaccount/{model}/").status_code == 404


# --- export and erasure ---------------------------------------------------------------------


@pytest.mark.promise("P11")
@pytest.mark.promise("P12")
def test_export_and_erasure_cover_sign_in_accounts_and_tokens(client, standin, settings, bob):
    from privacy import services

    # Tokens are not kept; should that setting change, erasure must still reach them.
    settings.SOCIALACCOUNT_STORE_TOKENS = True
    _sign_in(client, "kakao")
    user = User.objects.get(email="minji@kakao.example")
    token = SocialToken.objects.get(account__user=user)
    bobs = SocialAccount.objects.create(user=bob, provider="naver", uid="nv-bob", extra_data={})
    SocialToken.objects.create(account=bobs, token="bob-token")

    exported = services.export_data(user=user)
    assert [row["uid"] for row in exported["sign_in_providers"]] == ["4242"]
    assert len(exported["sign_in_tokens"]) == 1
    dumped = json.dumps(exported, default=str)
    assert token.token not in dumped and token.token_secret not in dumped
    assert "nv-bob" not in dumped

    assert services.account_erase(user=user) is True
    assert not SocialAccount.objects.filter(provider="kakao").exists()
    assert SocialToken.objects.get().account == bobs
    # The same Kakao member signing in again starts afresh, not in the erased account.
    fresh = Client()
    response = _sign_in(fresh, "kakao")
    assert response.status_code == 302
    assert fresh.session["_auth_user_id"] != str(user.pk)
    assert SocialAccount.objects.get(provider="kakao").user.email == "minji@kakao.example"


# --- configuration from the environment ---------------------------------------------------

_SHOW = (
    "from django.conf import settings as s; import json; print(json.dumps({"
    "'apps': {k: v['APPS'] for k, v in s.SOCIALACCOUNT_PROVIDERS.items()},"
    "'form_action': s.CONTENT_SECURITY_POLICY['DIRECTIVES']['form-action']}))"
)


def _settings_with(tmp_path, **env):
    import os
    import subprocess
    import sys

    from .conftest import ROOT

    base = {k: v for k, v in os.environ.items() if not k.startswith(("KAKAO_", "NAVER_"))}
    base.update(PICTUREUS_DATA_DIR=str(tmp_path), **env)
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", _SHOW],
        cwd=ROOT, env=base, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_keys_come_from_the_environment_and_open_the_policy_to_that_provider(tmp_path):
    result = _settings_with(tmp_path, KAKAO_CLIENT_ID="kakao-rest-key", KAKAO_CLIENT_SECRET="s1")
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout.splitlines()[-1])
    assert shown["apps"] == {
        "kakao": [{"client_id": "kakao-rest-key", "secret": "s1"}],
        "naver": [],
    }
    assert "https://*.kakao.com" in shown["form_action"]
    assert not any("naver" in origin for origin in shown["form_action"])
    # Nothing in the repository: without the environment, no provider and no opening.
    shown = json.loads(_settings_with(tmp_path).stdout.splitlines()[-1])
    assert shown["apps"] == {"kakao": [], "naver": []}
    assert shown["form_action"] == ["'self'", "https://checkout.stripe.com"]


def test_a_naver_id_without_its_secret_stops_start_up(tmp_path):
    result = _settings_with(tmp_path, NAVER_CLIENT_ID="naver-id")
    assert result.returncode != 0
    assert "NAVER_CLIENT_ID is set without NAVER_CLIENT_SECRET" in result.stderr
