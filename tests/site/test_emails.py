"""Every email the site sends, in English and in Korean: a plain-text and an HTML part, every
link alone on its line at the site's real address and in the recipient's language, written in
the product's words (never the framework's stock text), and links that open a real page."""

import datetime
import re

import pytest
from django.conf import settings
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from tests.conftest import make_customer

pytestmark = pytest.mark.django_db

SITE = "https://pictureus.example"
PASSWORD = "a-Long-pass-phrase-42"
URL = re.compile(r"https?://[^\s<>\"']+")
HREF = re.compile(r'href="([^"]+)"')
HANGUL = re.compile(r"[가-힣]")
# What the framework's stock emails say (allauth, in English and in its Korean catalogue).
STOCK = (
    "receiving this",
    "Hello from",
    "Thank you for using",
    "이 이메일을 받으셨습니다",
    "서비스를 이용해 주셔서 감사합니다",
    "을 클릭하세요",
)
LANGUAGES = pytest.mark.parametrize("language", ["en", "ko"])


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = SITE


def other(language):
    return "ko" if language == "en" else "en"


def check(message, language):
    """Check one email; return the links of its text part, in order."""
    assert message.from_email == settings.DEFAULT_FROM_EMAIL
    html = [content for content, kind in message.alternatives if kind == "text/html"]
    assert len(html) == 1, "one HTML part"
    html = html[0]
    text = message.body
    assert f'<html lang="{language}">' in html

    links = URL.findall(text)
    assert links, "the text part has links"
    for line in text.splitlines():
        if URL.search(line):
            # A link shares its line with nothing, so no word or particle runs into it.
            assert URL.fullmatch(line.strip()), f"a link shares its line: {line!r}"
    for link in links + HREF.findall(html):
        assert link.startswith(f"{SITE}/{language}/"), link

    everything = message.subject + text + html
    assert "127.0.0.1" not in everything and "testserver" not in everything
    for phrase in STOCK:
        assert phrase not in everything, phrase
    # Subject and text are in the recipient's language.
    for part in (message.subject, text):
        assert bool(HANGUL.search(part)) == (language == "ko"), part
    return links


def path_of(link):
    assert link.startswith(SITE)
    return link[len(SITE) :]


def only_link(links, fragment):
    (link,) = [link for link in links if fragment in link]
    return link


def sent_to(address):
    return [m for m in mail.outbox if m.to == [address]]


# --- sign-up and addresses -------------------------------------------------------------------


@LANGUAGES
def test_the_sign_up_confirmation_link_confirms_the_address(client, language):
    from accounts.models import User

    client.post(
        f"/{language}/accounts/signup/",
        {
            "email": "minji@example.com",
            "display_name": "Minji",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    (message,) = mail.outbox
    assert message.to == ["minji@example.com"]
    links = check(message, language)
    path = path_of(only_link(links, "/accounts/confirm-email/"))
    assert path.startswith(f"/{language}/accounts/confirm-email/")
    page = client.get(path)
    assert page.status_code == 200
    assert f'<html lang="{language}"' in page.content.decode()
    assert client.post(path).status_code == 302
    assert User.objects.get(email="minji@example.com").emailaddress_set.get().verified


@LANGUAGES
def test_signing_up_again_with_a_known_address_says_so_in_the_customers_language(client, language):
    make_customer("jun@example.com", language=language)
    client.post(
        f"/{other(language)}/accounts/signup/",
        {
            "email": "jun@example.com",
            "display_name": "Jun",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    (message,) = mail.outbox
    links = check(message, language)
    assert client.get(path_of(only_link(links, "/accounts/login/"))).status_code == 200
    assert client.get(path_of(only_link(links, "/accounts/password/reset/"))).status_code == 200


@LANGUAGES
def test_an_added_address_is_confirmed_and_the_old_one_told(client, language):
    user = make_customer("alice@example.com", language=language)
    client.force_login(user)
    new = {"action_add": "", "email": "alice.new@example.com"}
    client.post(f"/{language}/accounts/email/", new)
    (message,) = sent_to("alice.new@example.com")
    links = check(message, language)
    path = path_of(only_link(links, "/accounts/confirm-email/"))
    assert client.get(path).status_code == 200
    client.post(path)
    user.refresh_from_db()
    assert user.email == "alice.new@example.com"

    (notice,) = sent_to("alice@example.com")
    assert "alice.new@example.com" in notice.body
    links = check(notice, language)
    assert client.get(path_of(only_link(links, "/support/"))).status_code == 200


@LANGUAGES
def test_removing_an_address_is_told(client, language):
    from allauth.account.models import EmailAddress

    user = make_customer("alice@example.com", language=language)
    EmailAddress.objects.create(user=user, email="old@example.com", verified=True)
    client.force_login(user)
    client.post(f"/{language}/accounts/email/", {"action_remove": "", "email": "old@example.com"})
    (message,) = sent_to("alice@example.com")
    assert "old@example.com" in message.body
    check(message, language)


# --- passwords -------------------------------------------------------------------------------


@LANGUAGES
def test_a_password_reset_comes_in_the_customers_language_and_works(client, language):
    user = make_customer("alice@example.com", language=language)
    # Asked from a page in the other language: the email follows the customer's own.
    client.post(f"/{other(language)}/accounts/password/reset/", {"email": user.email})
    (message,) = mail.outbox
    links = check(message, language)
    response = client.get(path_of(only_link(links, "/accounts/password/reset/key/")))
    assert response.status_code == 302  # allauth hides the key behind a redirect
    assert response["Location"].startswith(f"/{language}/")
    new = "a-New-pass-phrase-77"
    client.post(response["Location"], {"password1": new, "password2": new})
    user.refresh_from_db()
    assert user.check_password(new)

    notice = mail.outbox[-1]
    assert notice is not message and notice.to == [user.email]
    links = check(notice, language)
    assert client.get(path_of(only_link(links, "/accounts/password/reset/"))).status_code == 200


@LANGUAGES
def test_a_reset_for_an_unknown_address_offers_sign_up(client, language):
    client.post(f"/{language}/accounts/password/reset/", {"email": "nobody@example.com"})
    (message,) = mail.outbox
    assert "nobody@example.com" in message.body
    links = check(message, language)
    assert client.get(path_of(only_link(links, "/accounts/signup/"))).status_code == 200


@LANGUAGES
def test_a_changed_password_is_told(client, language):
    user = make_customer("alice@example.com", language=language)
    client.force_login(user)
    new = "a-New-pass-phrase-77"
    client.post(
        f"/{language}/accounts/password/change/",
        {"oldpassword": "pw-Customer-123", "password1": new, "password2": new},
    )
    (message,) = mail.outbox
    check(message, language)


@LANGUAGES
def test_a_set_password_is_told(client, language):
    user = make_customer("alice@example.com", language=language)
    user.set_unusable_password()
    user.save()
    client.force_login(user)
    new = "a-New-pass-phrase-77"
    client.post(f"/{language}/accounts/password/set/", {"password1": new, "password2": new})
    (message,) = mail.outbox
    check(message, language)


# --- portraits -------------------------------------------------------------------------------


@pytest.fixture
def photo_session(db):
    """A customer's session, made through the real service; `make(language)`."""
    from sessions_app.models import Plan, PlanPrice, StylePack
    from sessions_app.services import session_create

    plan = Plan.objects.create(slug="starter", name_en="Starter", name_ko="스타터", styles_count=1)
    PlanPrice.objects.create(plan=plan, currency="usd", amount=1900)
    style = StylePack.objects.create(
        slug="studio", name_en="Studio", name_ko="스튜디오", prompt_template="{token}"
    )

    def make(language):
        user = make_customer(f"{language}@example.com", language=language)
        return session_create(user=user, plan=plan, styles=[style], currency="usd")

    return make


@LANGUAGES
@pytest.mark.parametrize("which", ["ready", "failed"])
def test_the_portrait_emails(client, photo_session, bob, language, which):
    from generation.services.notify import email_customer

    session = photo_session(language)
    email_customer(session.pk, which)
    (message,) = mail.outbox
    links = check(message, language)
    gallery = path_of(only_link(links, f"/studio/{session.public_id}/"))
    client.force_login(session.user)
    assert client.get(gallery).status_code == 200
    # The link is no key: another customer who gets hold of it finds nothing.
    client.force_login(bob)
    assert client.get(gallery).status_code == 404


# --- privacy ---------------------------------------------------------------------------------


@LANGUAGES
def test_a_visitors_privacy_request_emails_in_the_requests_language(client, language):
    make_customer("alice@example.com", language=language)
    client.post(
        f"/{language}/privacy/request/",
        {"email": "alice@example.com", "region": "US", "type": "correction", "details": ""},
    )
    (message,) = mail.outbox
    links = check(message, language)
    assert client.get(path_of(only_link(links, "/privacy/request/verify/"))).status_code == 200


@LANGUAGES
def test_every_step_of_a_privacy_request_is_emailed(language, staff):
    from privacy import services
    from privacy.models import DataSubjectRequest

    alice = make_customer("alice@example.com", language=language)
    dsr = services.dsr_create(
        type="correction", channel="visitor", email=alice.email, region="US", language=language
    )
    services.dsr_extend(dsr=dsr, actor=staff, reason="Many files to gather.")
    services.dsr_verify(dsr=dsr, actor=staff, method="phone call")
    services.dsr_fulfil(dsr=dsr, actor=staff, resolution="Display name changed to Alicia.")
    refused = services.dsr_create(
        type="correction", channel="visitor", email=alice.email, region="US", language=language
    )
    services.dsr_refuse(dsr=refused, actor=staff, reason="We could not confirm your identity.")
    services.dsr_create(
        type="objection",
        channel="agent",
        email=alice.email,
        region="US",
        language=language,
        agent_name="Agent Smith",
        agent_email="agent@example.net",
        agent_authority=SimpleUploadedFile("authority.pdf", b"%PDF-1.4 signed"),
    )

    to_alice = sent_to(alice.email)
    # received, extended, verified, fulfilled; received, refused; received from an agent.
    assert len(to_alice) == 7
    assert len({m.subject for m in to_alice}) == 5
    with translation.override(language):
        types = [
            str(t.label)
            for t in (DataSubjectRequest.Type.CORRECTION, DataSubjectRequest.Type.OBJECTION)
        ]
    for message in to_alice:
        check(message, language)
        # The request's type is named in the recipient's language, whoever acted on it.
        assert any(f"({label})" in message.body for label in types)
    (to_agent,) = sent_to("agent@example.net")
    check(to_agent, language)


@LANGUAGES
def test_a_data_export_link_opens_the_download(client, language):
    from django.utils import timezone

    from privacy.models import DataExport
    from privacy.services import export_notify

    alice = make_customer("alice@example.com", language=language)
    export = DataExport.objects.create(
        user=alice, status="ready", expires_at=timezone.now() + datetime.timedelta(days=7)
    )
    export_notify(export=export)
    (message,) = mail.outbox
    links = check(message, language)
    assert only_link(links, "/privacy/export/").startswith(f"{SITE}/{language}/privacy/export/")


@LANGUAGES
def test_the_gallery_reminder(client, photo_session, language):
    from privacy.models import RetentionPolicy
    from privacy.services import retention_reminders_send
    from sessions_app.services import session_transition

    session = photo_session(language)
    for step in ["awaiting_payment", "paid", "collecting_photos", "queued", "training"]:
        session = session_transition(photo_session=session, to_state=step, cause="test setup")
    for step in ["generating", "delivered"]:
        session = session_transition(photo_session=session, to_state=step, cause="test setup")
    policy = RetentionPolicy.objects.get(category=RetentionPolicy.Category.DELIVERABLES)
    later = session.delivered_at + datetime.timedelta(days=policy.period_days - 1)
    assert retention_reminders_send(now=later) == 1
    (message,) = mail.outbox
    links = check(message, language)
    client.force_login(session.user)
    assert client.get(path_of(only_link(links, "/sessions/"))).status_code == 200


# --- to the operators, in their one language -------------------------------------------------


def test_a_support_request_reaches_the_operators_in_english(
    client, settings, django_capture_on_commit_callbacks
):
    settings.OPERATORS_EMAIL = ["ops@pictureus.example"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/ko/support/",
            {
                "name": "Minji Park",
                "email": "minji@example.com",
                "topic": "photos",
                "message": "사진 한 장에 귀가 하나 더 있어요.",
            },
        )
    (message,) = mail.outbox
    assert message.reply_to == ["minji@example.com"]
    assert not HANGUL.search(message.subject)
    html = message.alternatives[0][0]
    assert "사진 한 장에" in message.body and "사진 한 장에" in html
    links = URL.findall(message.body)
    for line in message.body.splitlines():
        if URL.search(line):
            assert URL.fullmatch(line.strip())
    assert all(link.startswith(f"{SITE}/en/") for link in links)
    assert any("/backoffice/accounts/supportrequest/" in link for link in links)


def test_the_receipt_checkpoint_reaches_the_privacy_contact():
    from privacy.services.receipts import receipts_anchor

    receipts_anchor()
    (message,) = mail.outbox
    assert message.to == [settings.PRIVACY_CONTACT_EMAIL]
    check(message, "en")


def test_the_site_is_named_after_site_url():
    # allauth's current_site: every migrate (every deploy) renames it after SITE_URL.
    from django.contrib.sites.models import Site
    from django.core.management.sql import emit_post_migrate_signal

    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    site = Site.objects.get_current()
    assert (site.domain, site.name) == ("pictureus.example", "PictureUs")
