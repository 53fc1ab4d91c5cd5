"""The account pages (sign up, log in, passwords, email address) in the product's words, in
English and Korean: each page has its own heading, labels tied to their inputs, the password
rules as one sentence, and none of the framework's stock text; the forms still do their job."""

import re

import pytest
from django.conf import settings
from django.contrib.auth import password_validation
from django.core import mail
from django.utils import translation

from accounts.allauth_forms import DESCRIBED_VALIDATORS
from tests.conftest import make_customer

from .helpers import html_lang, page_text

pytestmark = pytest.mark.django_db

PASSWORD = "pw-Customer-123"
NEW_PASSWORD = "a-New-pass-phrase-77"

# What allauth's stock pages say, in English and in its Korean catalogue.
STOCK = (
    "Remember Me",
    "Sign In",
    "Sign Up",
    "Signup",
    "Sign Out",
    "Password (again)",
    "Password Reset",
    "Reset My Password",
    "Current Password",
    "Bad Token",
    "Email Addresses",
    "Confirm Access",
    "Account Inactive",
    "Verify Your Email Address",
    "Are you sure you want to sign out",
    "and/or password",
    "You must type the same password",
    "아이디 저장",
    "비밀번호 (확인)",
    "비밀번호 초기화",
    "비밀번호를 잊으셨나요",
    "회원가입",
    "이메일 계정",
    "계정 비활성",
    "접근 확인",
    "이메일을 인증하세요",
    "동일한 비밀번호를 입력해야 합니다",
    "올바르지 않은 비밀번호",
    "당신의",
)

# path after the language prefix, who looks, the heading in English and in Korean.
PAGES = [
    ("accounts/login/", None, "Welcome back", "다시 오신 것을 환영합니다"),
    ("accounts/signup/", None, "Create your account", "계정 만들기"),
    ("accounts/password/reset/", None, "Reset your password", "비밀번호 재설정"),
    ("accounts/password/reset/done/", None, "Check your email", "이메일을 확인해 주세요"),
    ("accounts/password/reset/key/1-bad/", None, "This link has expired", "링크가 만료되었습니다"),
    (
        "accounts/password/reset/key/done/",
        None,
        "Your password is changed",
        "비밀번호가 변경되었습니다",
    ),
    ("accounts/confirm-email/", None, "Check your email", "이메일을 확인해 주세요"),
    ("accounts/confirm-email/no-such-key/", None, "This link has expired", "링크가 만료되었습니다"),
    ("accounts/inactive/", None, "This account is closed", "사용할 수 없는 계정입니다"),
    ("accounts/logout/", "alice", "Log out of PictureUs?", "PictureUs에서 로그아웃하시겠습니까?"),
    ("accounts/email/", "alice", "Your email address", "내 이메일 주소"),
    ("accounts/password/change/", "alice", "Change your password", "비밀번호 변경"),
    ("accounts/password/set/", "no_password", "Set a password", "비밀번호 설정"),
    ("accounts/reauthenticate/", "alice", "Confirm it is you", "본인 확인"),
]


def _customer(who):
    user = make_customer(f"{who.replace('_', '-')}@example.com")
    if who == "no_password":
        user.set_unusable_password()
        user.save()
    return user


def _h1(response) -> list[str]:
    headings = re.findall(r"<h1[^>]*>(.*?)</h1>", response.content.decode(), flags=re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", h).split()) for h in headings]


def _validator_bullets(language) -> list[str]:
    with translation.override(language):
        return [str(text) for text in password_validation.password_validators_help_texts()]


def _main(response) -> str:
    body = response.content.decode()
    return body[body.index("<main") : body.index("</main>")]


def _inputs(response) -> dict[str, str]:
    """The visible inputs of the page's main part, by name: their whole tag."""
    tags = re.findall(r"<(?:input|select|textarea)\b[^>]*>", _main(response))
    return {
        re.search(r'name="([^"]+)"', tag).group(1): tag
        for tag in tags
        if 'type="hidden"' not in tag
    }


def _unlabelled(response) -> list[str]:
    """The visible inputs of the page's main part that no label names."""
    main = _main(response)
    tags = re.findall(r"<(?:input|select|textarea)\b[^>]*>", main)
    return [
        tag
        for tag in tags
        if 'type="hidden"' not in tag and f'<label for="{_attr(tag, "id")}"' not in main
    ]


def _attr(tag, name) -> str | None:
    match = re.search(rf'\b{name}="([^"]*)"', tag)
    return match.group(1) if match else None


@pytest.mark.parametrize("language", ["en", "ko"])
@pytest.mark.parametrize("path,who,english,korean", PAGES)
def test_each_account_page_speaks_in_the_products_words(
    client, language, path, who, english, korean
):
    if who:
        client.force_login(_customer(who))
    response = client.get(f"/{language}/{path}")
    assert response.status_code == 200
    assert html_lang(response) == language
    assert _h1(response) == [english if language == "en" else korean]
    text = page_text(response)
    for phrase in STOCK + tuple(_validator_bullets(language)):
        assert phrase not in text, phrase
    if language == "ko":
        assert english not in text
    # Every field a person fills in has a label tied to it.
    assert _unlabelled(response) == []


@pytest.mark.parametrize("language", ["en", "ko"])
def test_sign_up_shows_the_password_rules_as_one_sentence(client, language):
    response = client.get(f"/{language}/accounts/signup/")
    text = page_text(response)
    rules = {
        "en": "At least 8 characters, not only numbers, not a commonly used password and not "
        "too similar to your email address.",
        "ko": "8자 이상이어야 하며, 숫자로만 이루어지거나 흔히 쓰이는 비밀번호, 이메일 주소와 "
        "비슷한 비밀번호는 쓸 수 없습니다.",
    }[language]
    assert rules in text
    password = _inputs(response)["password1"]
    help_id = _attr(password, "aria-describedby")
    assert f'id="{help_id}">{rules}<' in response.content.decode()


def test_the_password_sentence_describes_the_configured_validators():
    from accounts.models import User

    configured = {v["NAME"].rsplit(".", 1)[-1] for v in settings.AUTH_PASSWORD_VALIDATORS}
    assert configured == DESCRIBED_VALIDATORS, "reword accounts.allauth_forms.password_rules()"
    # "not too similar to your email address": the only attribute the similarity check finds.
    (similarity,) = [
        v
        for v in password_validation.get_default_password_validators()
        if isinstance(v, password_validation.UserAttributeSimilarityValidator)
    ]
    compared = [a for a in similarity.user_attributes if hasattr(User, a)]
    assert compared == ["email"]


def test_the_password_sentence_follows_the_minimum_length(client, settings):
    from accounts.models import User

    settings.AUTH_PASSWORD_VALIDATORS = [
        *settings.AUTH_PASSWORD_VALIDATORS[:1],
        {
            "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
            "OPTIONS": {"min_length": 12},
        },
        *settings.AUTH_PASSWORD_VALIDATORS[2:],
    ]
    assert "At least 12 characters" in page_text(client.get("/en/accounts/signup/"))
    assert "12자 이상" in page_text(client.get("/ko/accounts/signup/"))
    short = "Kx-93-qz-b1"  # 11 characters
    client.post(
        "/en/accounts/signup/",
        {"email": "min@example.com", "display_name": "Min", "password1": short, "password2": short},
    )
    assert not User.objects.filter(email="min@example.com").exists()


def test_forms_ask_the_browser_for_the_right_autofill(client, alice):
    def autocomplete(path):
        return {name: _attr(tag, "autocomplete") for name, tag in _inputs(client.get(path)).items()}

    assert autocomplete("/en/accounts/login/") == {
        "login": "email",
        "password": "current-password",
        "remember": None,
    }
    assert autocomplete("/en/accounts/signup/") == {
        "email": "email",
        "display_name": "nickname",
        "password1": "new-password",
        "password2": "new-password",
    }
    assert autocomplete("/en/accounts/password/reset/") == {"email": "email"}
    client.force_login(alice)
    assert autocomplete("/en/accounts/password/change/") == {
        "oldpassword": "current-password",
        "password1": "new-password",
        "password2": "new-password",
    }
    assert autocomplete("/en/accounts/email/") == {"email": "email"}


# --- the forms still work -------------------------------------------------------------------


def _log_in(client, language="en", **extra):
    return client.post(
        f"/{language}/accounts/login/",
        {"login": "alice@example.com", "password": PASSWORD, **extra},
    )


def test_keep_me_signed_in_keeps_the_session_after_the_browser_closes(client, alice):
    response = _log_in(client, remember="on")
    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert int(cookie["max-age"]) == settings.SESSION_COOKIE_AGE
    assert not client.session.get_expire_at_browser_close()


def test_without_keep_me_signed_in_the_session_ends_with_the_browser(client, alice):
    response = _log_in(client)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(alice.pk)
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["max-age"] == "" and cookie["expires"] == ""
    assert client.session.get_expire_at_browser_close()


def test_logging_in_says_which_account_in_the_customers_language(client):
    make_customer("jun@example.com", language="ko")
    response = client.post(
        "/ko/accounts/login/", {"login": "jun@example.com", "password": PASSWORD}, follow=True
    )
    assert "jun@example.com 계정으로 로그인되어 있습니다." in page_text(response)


@pytest.mark.parametrize(
    "language,message",
    [
        ("en", "That email address and password do not match. Please check both and try again."),
        ("ko", "이메일 주소와 비밀번호가 일치하지 않습니다. 둘 다 확인한 뒤 다시 시도해 주세요."),
    ],
)
def test_a_wrong_password_is_explained_and_logs_nobody_in(client, alice, language, message):
    response = _log_in(client, language, password="not-the-password")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    body = response.content.decode()
    alert = re.search(r'<div class="auth-alert" role="alert">(.*?)</div>', body, flags=re.S)
    assert alert and message in alert.group(1)
    # What was typed stays, except the password.
    assert 'value="alice@example.com"' in body and "not-the-password" not in body


@pytest.mark.parametrize(
    "language,message",
    [
        ("en", "That is not your current password. Please type it again."),
        ("ko", "현재 비밀번호가 맞지 않습니다. 다시 입력해 주세요."),
    ],
)
def test_a_wrong_current_password_changes_nothing(client, alice, language, message):
    client.force_login(alice)
    response = client.post(
        f"/{language}/accounts/password/change/",
        {"oldpassword": "not-the-password", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD) and not alice.check_password(NEW_PASSWORD)
    assert mail.outbox == []
    # The message is tied to the field it is about, so a screen reader reads it with it.
    field = _inputs(response)["oldpassword"]
    assert _attr(field, "aria-invalid") == "true"
    (error_id,) = _attr(field, "aria-describedby").split()
    error = re.search(rf'<ul class="errorlist" id="{error_id}">(.*?)</ul>', _main(response))
    assert error and message in error.group(1)


def test_two_different_new_passwords_are_refused_in_the_products_words(client):
    from accounts.models import User

    response = client.post(
        "/ko/accounts/signup/",
        {
            "email": "minji@example.com",
            "display_name": "민지",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD + "x",
        },
    )
    assert response.status_code == 200
    assert "두 비밀번호가 서로 다릅니다. 같은 비밀번호를 두 번 입력해 주세요." in page_text(
        response
    )
    assert not User.objects.exists()


def test_sign_up_then_confirm_the_email_address_in_korean(client):
    from accounts.models import User

    response = client.post(
        "/ko/accounts/signup/",
        {
            "email": "minji@example.com",
            "display_name": "민지",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
        follow=True,
    )
    assert _h1(response) == ["이메일을 확인해 주세요"]
    assert "minji@example.com 주소로 확인 링크를 보냈습니다." in page_text(response)
    (message,) = mail.outbox
    url = re.search(r"https?://\S+/confirm-email/\S+/", message.body).group(0)
    path = url[url.index("/", 8) :]
    page = client.get(path)
    assert _h1(page) == ["이메일 주소 확인"]
    assert "minji@example.com" in page_text(page)
    response = client.post(path, follow=True)
    assert User.objects.get(email="minji@example.com").emailaddress_set.get().verified
    assert "감사합니다. minji@example.com 주소를 확인했습니다." in page_text(response)


@pytest.mark.parametrize("language", ["en", "ko"])
def test_a_reset_request_sends_the_link_and_says_so(client, language):
    customer = make_customer("jiwoo@example.com", language=language)
    response = client.post(
        f"/{language}/accounts/password/reset/", {"email": customer.email}, follow=True
    )
    assert response.redirect_chain[-1][0] == f"/{language}/accounts/password/reset/done/"
    assert _h1(response) == [{"en": "Check your email", "ko": "이메일을 확인해 주세요"}[language]]
    (message,) = mail.outbox
    url = re.search(r"https?://\S+/password/reset/key/\S+/", message.body).group(0)
    page = client.get(url[url.index("/", 8) :], follow=True)
    assert _h1(page) == [{"en": "Choose a new password", "ko": "새 비밀번호 정하기"}[language]]
    assert {"password1", "password2"} == set(_inputs(page))


def test_an_email_change_waits_for_confirmation_and_can_be_cancelled(client, alice):
    client.force_login(alice)
    response = client.post(
        "/ko/accounts/email/", {"action_add": "", "email": "alice.new@example.com"}, follow=True
    )
    text = page_text(response)
    assert "확인 대기 중 alice.new@example.com" in text
    assert "alice.new@example.com 주소로 확인 링크를 보냈습니다." in text
    response = client.post(
        "/ko/accounts/email/",
        {"action_remove": "", "email": "alice.new@example.com"},
        follow=True,
    )
    assert "확인 대기 중" not in page_text(response)
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"
    assert not alice.emailaddress_set.filter(email="alice.new@example.com").exists()


def test_logging_out_asks_first_then_says_goodbye(client, alice):
    client.force_login(alice)
    response = client.get("/ko/accounts/logout/")
    assert "_auth_user_id" in client.session
    assert (
        '<button type="submit" class="auth-submit">로그아웃</button>' in response.content.decode()
    )
    response = client.post("/ko/accounts/logout/", follow=True)
    assert "_auth_user_id" not in client.session
    assert "로그아웃되었습니다. 다음에 또 뵙겠습니다." in page_text(response)


def test_confirming_it_is_you_takes_the_password_only(client, alice):
    client.force_login(alice)
    page = client.get("/en/accounts/reauthenticate/")
    # No "send me a sign-in code": the site has no sign-in codes, and their page is refused.
    assert "/reauthenticate/code/" not in page.content.decode()
    assert client.get("/en/accounts/reauthenticate/code/").status_code == 403
    response = client.post("/ko/accounts/reauthenticate/", {"password": "wrong"})
    assert "비밀번호가 맞지 않습니다. 다시 입력해 주세요." in page_text(response)
    response = client.post("/ko/accounts/reauthenticate/", {"password": PASSWORD})
    assert response.status_code == 302


def test_too_many_tries_get_a_page_that_says_to_wait(client, alice):
    client.force_login(alice)
    wrong = {
        "oldpassword": "not-the-password",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
    }
    for _ in range(5):
        assert client.post("/ko/accounts/password/change/", wrong).status_code == 200
    response = client.post("/ko/accounts/password/change/", wrong)
    assert response.status_code == 429
    assert html_lang(response) == "ko"
    assert _h1(response) == ["잠시 기다려 주세요"]
    assert "Too Many Requests" not in page_text(response)


@pytest.fixture
def address_list(settings, monkeypatch):
    """allauth's list of several addresses, the page it shows when ACCOUNT_CHANGE_EMAIL is off."""
    from allauth.account.views import EmailView

    settings.ACCOUNT_CHANGE_EMAIL = False
    monkeypatch.setattr(EmailView, "template_name", "account/email.html")


@pytest.mark.parametrize(
    "language,heading,confirmed,main_address",
    [
        ("en", "Your email addresses", "Confirmed", "Main address"),
        ("ko", "내 이메일 주소", "확인됨", "대표 주소"),
    ],
)
def test_several_addresses_are_listed_in_the_products_words(
    client, alice, address_list, language, heading, confirmed, main_address
):
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=alice, email="alice@work.example", verified=True)
    client.force_login(alice)
    response = client.get(f"/{language}/accounts/email/")
    assert _h1(response) == [heading]
    text = page_text(response)
    assert f"alice@example.com {confirmed} {main_address}" in text
    for phrase in STOCK:
        assert phrase not in text, phrase
    assert _unlabelled(response) == []
    client.post(
        f"/{language}/accounts/email/", {"action_primary": "", "email": "alice@work.example"}
    )
    alice.refresh_from_db()
    assert alice.email == "alice@work.example"
