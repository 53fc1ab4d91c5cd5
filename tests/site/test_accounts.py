"""Accounts, end to end through the test client: sign-up with a verification email, login and
its rate limit, password reset, email change, settings, and the age gate before buying."""

import re

import pytest
from django.core import mail

from .helpers import html_lang, page_text

pytestmark = pytest.mark.django_db

PASSWORD = "a-Long-pass-phrase-42"


def _signup(client, email="minji@example.com", language="en", **extra):
    data = {
        "email": email,
        "display_name": "Minji",
        "password1": PASSWORD,
        "password2": PASSWORD,
        **extra,
    }
    return client.post(f"/{language}/accounts/signup/", data)


def _confirmation_path(message):
    url = re.search(r"https?://\S+/confirm-email/\S+/", message.body).group(0)
    return url[url.index("/", 8) :]


@pytest.mark.promise("P01")
def test_sign_up_asks_only_for_email_display_name_and_password(client):
    body = client.get("/en/accounts/signup/").content.decode()
    form = body[
        body.index("<form", body.index("<main")) : body.index("</form>", body.index("<main"))
    ]
    names = set(re.findall(r'<(?:input|select|textarea)[^>]*name="([^"]+)"', form))
    assert names == {"csrfmiddlewaretoken", "email", "display_name", "password1", "password2"}


@pytest.mark.promise("P01")
def test_sign_up_stores_nothing_more_than_it_asked(client):
    from accounts.models import User

    _signup(client, region="KR", age_attestation="of_age", first_name="Kim")
    user = User.objects.get(email="minji@example.com")
    assert user.display_name == "Minji"
    assert user.region == "" and user.age_attestation == ""


def test_sign_up_verify_email_then_log_in(client):
    from accounts.models import User

    response = _signup(client)
    assert response.status_code == 302
    assert response["Location"] == "/en/accounts/confirm-email/"
    # Mandatory verification: not signed in until the email is confirmed.
    assert "_auth_user_id" not in client.session
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["minji@example.com"]
    assert "example.com" not in message.subject.replace("minji@example.com", "")
    assert "PictureUs" in message.subject

    path = _confirmation_path(message)
    page = client.get(path)
    assert page.status_code == 200
    response = client.post(path)
    assert response.status_code == 302
    user = User.objects.get(email="minji@example.com")
    assert user.emailaddress_set.get().verified

    client.post("/en/accounts/logout/")
    response = client.post(
        "/en/accounts/login/", {"login": "minji@example.com", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == "/en/sessions/"
    assert client.session["_auth_user_id"] == str(user.pk)


def test_an_unverified_account_cannot_log_in(client):
    _signup(client)
    client.logout()
    response = client.post(
        "/en/accounts/login/", {"login": "minji@example.com", "password": PASSWORD}
    )
    assert "_auth_user_id" not in client.session
    assert response["Location"] == "/en/accounts/confirm-email/"


def test_sign_up_in_korean_keeps_korean(client):
    from accounts.models import User

    _signup(client, email="jiwoo@example.com", language="ko")
    assert User.objects.get(email="jiwoo@example.com").preferred_language == "ko"
    assert "/ko/accounts/confirm-email/" in _confirmation_path(mail.outbox[0])


def test_bad_sign_up_keeps_what_was_typed_and_explains(client):
    from accounts.models import User

    response = client.post(
        "/ko/accounts/signup/",
        {"email": "not-an-email", "display_name": "민지", "password1": "x", "password2": "y"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'value="not-an-email"' in body and 'value="민지"' in body
    assert 'class="errorlist' in body
    assert html_lang(response) == "ko"
    assert User.objects.count() == 0


def test_login_attempts_are_rate_limited(client, alice):
    for _ in range(5):
        response = client.post(
            "/en/accounts/login/", {"login": alice.email, "password": "wrong-password"}
        )
        assert response.status_code == 200
    # Even the right password is refused once the limit is reached.
    response = client.post(
        "/en/accounts/login/", {"login": alice.email, "password": "pw-Customer-123"}
    )
    assert "_auth_user_id" not in client.session
    assert "Too many failed login attempts" in page_text(response)


def test_log_in_lands_in_the_customers_language(client):
    from tests.conftest import make_customer

    make_customer("jun@example.com", language="ko")
    response = client.post(
        "/en/accounts/login/", {"login": "jun@example.com", "password": "pw-Customer-123"}
    )
    assert response["Location"] == "/ko/sessions/"


def test_password_reset_by_email(client, alice):
    response = client.post("/en/accounts/password/reset/", {"email": alice.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    url = re.search(r"https?://\S+/password/reset/key/\S+/", mail.outbox[0].body).group(0)
    path = url[url.index("/", 8) :]
    response = client.get(path)
    assert response.status_code == 302  # allauth hides the key behind a redirect
    form_path = response["Location"]
    response = client.post(
        form_path, {"password1": "a-New-pass-phrase-77", "password2": "a-New-pass-phrase-77"}
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("a-New-pass-phrase-77")


def test_email_change_needs_verification(client, alice):
    client.force_login(alice)
    response = client.post(
        "/en/accounts/email/", {"action_add": "", "email": "alice.new@example.com"}
    )
    assert response.status_code == 302
    assert mail.outbox[-1].to == ["alice.new@example.com"]
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"  # unchanged until the new address is confirmed
    client.post(_confirmation_path(mail.outbox[-1]))
    alice.refresh_from_db()
    assert alice.email == "alice.new@example.com"


def test_settings_change_display_name_and_language(client, alice):
    client.force_login(alice)
    response = client.get("/en/account/settings/")
    assert response.status_code == 200
    assert 'value="Alice"' in response.content.decode()
    response = client.post(
        "/en/account/settings/", {"display_name": "Alice K", "preferred_language": "ko"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/ko/account/settings/"
    assert response.cookies["django_language"].value == "ko"
    alice.refresh_from_db()
    assert alice.display_name == "Alice K" and alice.preferred_language == "ko"
    assert "설정을 저장했습니다." in page_text(client.get("/ko/account/settings/"))


def test_settings_refuse_a_blank_name(client, alice):
    client.force_login(alice)
    response = client.post(
        "/en/account/settings/", {"display_name": "   ", "preferred_language": "xx"}
    )
    assert response.status_code == 200
    alice.refresh_from_db()
    assert alice.display_name == "Alice" and alice.preferred_language == "en"


def test_settings_need_a_login(client):
    response = client.get("/en/account/settings/")
    assert response.status_code == 302
    assert response["Location"].startswith("/en/accounts/login/")


def test_pages_greet_a_signed_in_customer(client, alice):
    client.force_login(alice)
    text = page_text(client.get("/en/"))
    assert "My sessions" in text and "Log out" in text and "Log in" not in text


# --- region and age, before the first purchase (P17) ----------------------------------------


def _new_customer(email, **kwargs):
    from accounts.models import User
    from tests.conftest import make_customer

    user = make_customer(email, **kwargs)
    User.objects.filter(pk=user.pk).update(region="", age_attestation="")
    user.refresh_from_db()
    return user


@pytest.mark.promise("P17")
def test_buying_asks_region_and_age_first(client):
    user = _new_customer("dana@example.com")
    client.force_login(user)
    response = client.get("/en/sessions/new/")
    assert response.status_code == 302
    assert response["Location"].startswith("/en/account/region-and-age/")
    form = client.get(response["Location"])
    assert "Before your first session" in page_text(form)
    response = client.post(
        "/en/account/region-and-age/",
        {"region": "US", "of_age": "yes", "next": "/en/sessions/new/"},
    )
    assert response.status_code == 302 and response["Location"] == "/en/sessions/new/"
    user.refresh_from_db()
    assert user.can_buy and user.region == "US" and user.age_attested_at is not None
    # Asked once: the next purchase goes straight through.
    assert client.get("/en/sessions/new/").status_code == 200


@pytest.mark.promise("P17")
@pytest.mark.parametrize("region,age", [("KR", 14), ("US", 13)])
def test_an_under_age_account_cannot_buy(client, region, age):
    user = _new_customer("young@example.com")
    client.force_login(user)
    response = client.post("/ko/account/region-and-age/", {"region": region, "of_age": "no"})
    assert response.status_code == 403
    text = page_text(response)
    assert f"만 {age}세 이상" in text
    user.refresh_from_db()
    assert not user.can_buy
    # Later attempts to buy end on the same kind explanation, never the purchase page.
    response = client.get("/en/sessions/new/", follow=True)
    assert response.status_code == 403
    assert f"at least {age} years old" in page_text(response)


@pytest.mark.promise("P17")
def test_the_age_question_cannot_be_answered_twice(client):
    user = _new_customer("twice@example.com")
    client.force_login(user)
    client.post("/en/account/region-and-age/", {"region": "KR", "of_age": "no"})
    response = client.post("/en/account/region-and-age/", {"region": "KR", "of_age": "yes"})
    assert response.status_code == 403
    user.refresh_from_db()
    assert not user.can_buy


def test_the_age_form_rejects_bad_input_in_the_pages_language(client):
    user = _new_customer("blank@example.com")
    client.force_login(user)
    response = client.post("/ko/account/region-and-age/", {"region": "XX"})
    assert response.status_code == 200
    assert 'class="errorlist' in response.content.decode()
    assert "필수" in page_text(response) or "올바른" in page_text(response)
    user.refresh_from_db()
    assert user.age_attestation == ""


def test_region_and_age_ignore_an_outside_next(client):
    user = _new_customer("next@example.com")
    client.force_login(user)
    response = client.post(
        "/en/account/region-and-age/",
        {"region": "US", "of_age": "yes", "next": "https://evil.example/"},
    )
    assert response["Location"] == "/en/sessions/new/"
