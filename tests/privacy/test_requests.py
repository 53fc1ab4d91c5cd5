"""Data-subject requests: channels, verification before fulfilment, deadlines, the officer."""

import datetime

import pytest
import time_machine
from django.core import mail, signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from privacy import services
from privacy.models import AuditEvent, DataSubjectRequest, ProcessingRestriction

from .conftest import login

pytestmark = pytest.mark.django_db
UTC = datetime.UTC
D = datetime.date


def at(y, m, d, hour=12):
    return time_machine.travel(datetime.datetime(y, m, d, hour, tzinfo=UTC), tick=False)


@pytest.fixture
def officer(db):
    from django.contrib.auth.models import Group

    from accounts.models import User

    user = User.objects.create_user(
        email="officer@example.com", password="pw-Officer-123", is_staff=True
    )
    user.groups.add(Group.objects.get(name="Privacy officer"))
    return user


def customer_request(client, user, type="correction", details="My name is wrong"):
    return client.post(
        "/en/privacy/centre/request/",
        {"type": type, "details": details, "password": "pw-Customer-123"},
    )


# --- deadlines, with frozen time ------------------------------------------------------------


# The rules themselves, weekends and public holidays included: test_deadlines.py.


@pytest.mark.parametrize(
    "region, due, receipt_due",
    [
        # 28 Feb 2027 is a Sunday: a month's deadline ends on the next working day.
        ("DE", D(2027, 3, 1), None),
        ("GB", D(2027, 3, 1), None),
        ("US", D(2027, 3, 17), D(2027, 2, 12)),
        ("KR", D(2027, 2, 10), None),
    ],
)
def test_a_request_made_at_a_month_end_gets_its_jurisdictions_deadline(
    client, region, due, receipt_due
):
    from tests.conftest import make_customer

    user = make_customer(f"{region.lower()}@example.com", region=region)
    with at(2027, 1, 31):
        login(client, user)
        response = customer_request(client, user)
    assert response.status_code == 302
    dsr = DataSubjectRequest.objects.get(user=user)
    assert (dsr.due_date, dsr.receipt_due_date) == (due, receipt_due)
    assert dsr.receipt_confirmed_at is not None
    assert "received your privacy request" in mail.outbox[0].subject


@pytest.mark.promise("P12")
def test_extension_is_allowed_only_before_the_deadline_with_a_reason(client, alice, officer):
    with at(2027, 1, 31):
        dsr = services.dsr_create(
            type="access", channel="customer", email=alice.email, region="DE", user=alice,
            verified_by_reauthentication=True,
        )  # fmt: skip
    url = f"/en/backoffice/privacy/datasubjectrequest/{dsr.pk}/extend/"
    with at(2027, 3, 2):
        client.force_login(officer)
        response = client.post(url, {"reason": "Many files to gather"}, follow=True)
    assert "The deadline has passed" in response.content.decode()
    dsr.refresh_from_db()
    assert dsr.due_date == D(2027, 3, 1) and dsr.extended_at is None
    assert AuditEvent.objects.filter(action="dsr.extend_refused").exists()

    mail.outbox.clear()
    with at(2027, 2, 20):
        client.force_login(officer)
        client.post(url, {"reason": ""})
        dsr.refresh_from_db()
        assert dsr.extended_at is None
        client.post(url, {"reason": "Many files to gather"})
    dsr.refresh_from_db()
    assert dsr.due_date == D(2027, 4, 30) and dsr.extension_reason == "Many files to gather"
    assert len(mail.outbox) == 1 and "Many files to gather" in mail.outbox[0].body
    assert AuditEvent.objects.filter(action="dsr.extended", object_id=str(dsr.pk)).exists()


def test_korean_requests_cannot_be_extended(alice):
    with at(2027, 1, 31):
        dsr = services.dsr_create(
            type="access", channel="customer", email=alice.email, region="KR", user=alice,
            verified_by_reauthentication=True,
        )  # fmt: skip
        with pytest.raises(services.PrivacyError):
            services.dsr_extend(dsr=dsr, actor=None, reason="busy")


# --- verification (P13) and agents (P14) -----------------------------------------------------


@pytest.mark.promise("P13")
def test_no_fulfilment_before_verification_is_recorded(client, alice, officer):
    with at(2027, 1, 5):
        client.post(
            "/en/privacy/request/",
            {"email": alice.email, "region": "US", "type": "erasure", "details": ""},
        )
    dsr = DataSubjectRequest.objects.get()
    assert dsr.status == "awaiting_verification" and dsr.user is None
    client.force_login(officer)
    response = client.post(
        f"/en/backoffice/privacy/datasubjectrequest/{dsr.pk}/fulfil/", {"resolution": ""},
        follow=True,
    )  # fmt: skip
    assert "cannot be fulfilled before identity is verified" in response.content.decode()
    dsr.refresh_from_db()
    assert dsr.status == "awaiting_verification"
    assert AuditEvent.objects.filter(action="dsr.fulfil_refused").exists()
    alice.refresh_from_db()
    assert alice.is_active and alice.email == "alice@example.com"


@pytest.mark.promise("P13")
def test_a_visitor_verifies_by_email_link_and_a_second_data_point(client, alice):
    client.post(
        "/en/privacy/request/",
        {"email": alice.email, "region": "US", "type": "access", "details": ""},
    )
    dsr = DataSubjectRequest.objects.get()
    body = mail.outbox[0].body
    link = next(line for line in body.splitlines() if "/privacy/request/verify/" in line)
    path = link[link.index("/en/") :]
    wrong = client.post(path, {"display_name": "Mallory"})
    assert "could not verify" in wrong.content.decode()
    dsr.refresh_from_db()
    assert not dsr.is_verified
    assert AuditEvent.objects.filter(action="dsr.verification_failed").exists()
    ok = client.post(path, {"display_name": "alice"})
    assert ok.status_code == 200
    dsr.refresh_from_db()
    assert dsr.is_verified and dsr.user == alice and dsr.status == "verified"


def test_a_wrong_or_expired_verification_link_is_refused(client, alice):
    with at(2027, 1, 5):
        dsr = services.dsr_create(type="access", channel="visitor", email=alice.email, region="US")
        token = services.dsr_token(dsr, "visitor")
    tampered = client.get(f"/en/privacy/request/verify/{token[:-2]}xx/")
    assert tampered.status_code == 400 and "not valid" in tampered.content.decode()
    with at(2027, 1, 10):
        expired = client.post(f"/en/privacy/request/verify/{token}/", {"display_name": "alice"})
    assert expired.status_code == 400 and "expired" in expired.content.decode()
    dsr.refresh_from_db()
    assert not dsr.is_verified
    assert AuditEvent.objects.filter(action="dsr.link_refused").count() == 2


@pytest.mark.promise("P14")
def test_an_agent_without_signed_authority_is_refused(client, alice):
    response = client.post(
        "/en/privacy/request/agent/",
        {
            "agent_name": "Agent Smith",
            "agent_email": "agent@example.com",
            "email": alice.email,
            "region": "US",
            "type": "erasure",
        },
    )
    assert response.status_code == 200
    assert "must upload the signed authority" in response.content.decode()
    assert not DataSubjectRequest.objects.exists()
    assert AuditEvent.objects.filter(action="dsr.agent_refused").exists()


@pytest.mark.promise("P14")
def test_an_agent_request_waits_for_authority_and_the_customers_confirmation(
    client, alice, bob, officer
):
    authority = SimpleUploadedFile("authority.pdf", b"%PDF-1.4 signed", "application/pdf")
    client.post(
        "/en/privacy/request/agent/",
        {
            "agent_name": "Agent Smith",
            "agent_email": "agent@example.com",
            "email": alice.email,
            "region": "US",
            "type": "access",
            "authority": authority,
        },
    )
    dsr = DataSubjectRequest.objects.get()
    assert dsr.channel == "agent" and dsr.agent_authority and not dsr.is_verified
    # The officer cannot verify or fulfil it yet.
    client.force_login(officer)
    base = f"/en/backoffice/privacy/datasubjectrequest/{dsr.pk}"
    page = client.post(f"{base}/verify/", {"method": "phone call"}, follow=True)
    assert "own confirmation before it can be verified" in page.content.decode()
    client.post(f"{base}/fulfil/", {"resolution": ""})
    dsr.refresh_from_db()
    assert dsr.status == "awaiting_verification"
    # Bob cannot confirm Alice's request.
    confirm = next(m for m in mail.outbox if m.to == [alice.email]).body
    path = confirm[confirm.index("/en/privacy/request/confirm/") :].split()[0]
    login(client, bob)
    refused = client.post(path, {"password": "pw-Customer-123"})
    assert refused.status_code == 400
    dsr.refresh_from_db()
    assert dsr.customer_confirmed_at is None
    login(client, alice)
    client.post(path, {"password": "pw-Customer-123"})
    dsr.refresh_from_db()
    assert dsr.customer_confirmed_at and dsr.is_verified and dsr.user == alice


# --- fulfilment, refusal, restriction ------------------------------------------------------


@pytest.mark.promise("P12")
def test_refusal_records_the_reason_and_tells_how_to_complain(client, alice, officer):
    dsr = services.dsr_create(type="erasure", channel="visitor", email=alice.email, region="GB")
    client.force_login(officer)
    url = f"/en/backoffice/privacy/datasubjectrequest/{dsr.pk}/refuse/"
    client.post(url, {"reason": ""})
    dsr.refresh_from_db()
    assert dsr.status == "awaiting_verification"
    mail.outbox.clear()
    client.post(url, {"reason": "We could not confirm your identity."})
    dsr.refresh_from_db()
    assert dsr.status == "refused" and dsr.refusal_reason
    (message,) = mail.outbox
    assert "could not confirm your identity" in message.body
    assert "complain" in message.body and "ico.org.uk" in message.body
    assert AuditEvent.objects.filter(action="dsr.refused", object_id=str(dsr.pk)).exists()


@pytest.mark.promise("P12")
@pytest.mark.promise("P16")
@pytest.mark.parametrize("kind", ["restriction", "objection", "limit_use"])
def test_a_restriction_request_blocks_processing_while_it_stands(client, alice, bob, kind):
    services.consent_record(user=alice, purpose="face_photos", granted=True, method="form")
    services.consent_record(user=alice, purpose="model_improvement", granted=True, method="form")
    login(client, alice)
    response = customer_request(client, alice, type=kind, details="Please stop")
    assert response.status_code == 302
    assert services.processing_restricted(user=alice)
    for purpose in ("face_photos", "model_improvement"):
        assert not services.consent_is_current(user=alice, purpose=purpose)
    assert not services.processing_restricted(user=bob)
    page = client.get("/en/privacy/centre/")
    assert "Processing is restricted" in page.content.decode()


def test_a_wrong_password_makes_no_request(client, alice):
    login(client, alice)
    response = client.post(
        "/en/privacy/centre/request/",
        {"type": "restriction", "details": "", "password": "wrong"},
    )
    assert response.status_code == 200 and "not right" in response.content.decode()
    assert not DataSubjectRequest.objects.exists()
    assert not ProcessingRestriction.objects.exists()


@pytest.mark.promise("P12")
def test_correction_is_fulfilled_by_the_officer_with_a_note(client, alice, officer):
    login(client, alice)
    customer_request(client, alice, type="correction", details="Display name should be Alicia")
    dsr = DataSubjectRequest.objects.get()
    assert dsr.is_verified and dsr.verification_method == "reauthentication"
    client.force_login(officer)
    mail.outbox.clear()
    client.post(
        f"/en/backoffice/privacy/datasubjectrequest/{dsr.pk}/fulfil/",
        {"resolution": "Display name changed to Alicia."},
    )
    dsr.refresh_from_db()
    assert dsr.status == "fulfilled"
    assert "Display name changed to Alicia." in mail.outbox[0].body
    actions = list(
        AuditEvent.objects.filter(object_id=str(dsr.pk), action__startswith="dsr.")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["dsr.received", "dsr.verified", "dsr.in_progress", "dsr.fulfilled"]


# --- the officer's queue in both languages -------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_officers_queue_shows_due_dates_and_filters_in_both_languages(client, officer, lang):
    with at(2027, 1, 1):
        late = services.dsr_create(type="access", channel="visitor", email="a@x.com", region="KR")
    with at(2027, 1, 20):
        soon = services.dsr_create(type="erasure", channel="visitor", email="b@x.com", region="KR")
    with at(2027, 1, 25):
        client.force_login(officer)
        base = f"/{lang}/backoffice/privacy/datasubjectrequest/"
        page = client.get(base).content.decode()
        overdue = client.get(base + "?due=overdue").content.decode()
        due_soon = client.get(base + "?due=soon").content.decode()
        with translation.override(lang):
            overdue_label = str(translation.gettext("Overdue"))
            title = str(DataSubjectRequest._meta.verbose_name_plural)
    assert title in page and overdue_label in page
    assert "a@x.com" in overdue and "b@x.com" not in overdue
    assert "b@x.com" in due_soon and "a@x.com" not in due_soon
    assert late.due_date < soon.due_date
    if lang == "ko":
        assert "기한 초과" in page


def test_support_staff_cannot_open_the_request_queue(client, db):
    from django.contrib.auth.models import Group

    from accounts.models import User

    support = User.objects.create_user(email="s@example.com", password="x", is_staff=True)
    support.groups.add(Group.objects.get(name="Support"))
    client.force_login(support)
    assert client.get("/en/backoffice/privacy/datasubjectrequest/").status_code == 403
    assert client.get("/en/backoffice/sessions_app/photosession/").status_code == 200


def test_a_tampered_signature_never_names_another_request(alice):
    dsr = services.dsr_create(type="access", channel="visitor", email=alice.email, region="US")
    forged = signing.dumps(str(dsr.public_id), salt="privacy.dsr.agent")
    with pytest.raises(services.PrivacyError):
        services.dsr_from_token(forged[:-3] + "abc", "visitor")


@pytest.mark.django_db(transaction=True)
@pytest.mark.promise("P12")
def test_the_officer_fulfils_access_and_erasure_as_tasks(client, celery_worker):
    from accounts.models import User
    from privacy.models import DataExport
    from tests.conftest import make_customer, wait_for

    alice = make_customer("alice@example.com")
    bob = make_customer("bob@example.com")
    # Earlier transactional tests flush the groups the migration made; an admin will do here.
    officer = User.objects.create_superuser(email="po@example.com", password="x")
    access = services.dsr_create(
        type="access", channel="customer", email=bob.email, region="US", user=bob,
        verified_by_reauthentication=True,
    )  # fmt: skip
    erasure = services.dsr_create(
        type="erasure", channel="customer", email=alice.email, region="DE", user=alice,
        verified_by_reauthentication=True,
    )  # fmt: skip
    client.force_login(officer)
    for dsr in (access, erasure):
        url = f"/en/backoffice/privacy/datasubjectrequest/{dsr.pk}/fulfil/"
        page = client.post(url, {}, follow=True).content.decode()
        assert "is being fulfilled" in page
    wait_for(
        lambda: DataSubjectRequest.objects.filter(status="fulfilled").count() == 2,
        timeout=90,
        message="both requests fulfilled",
    )
    alice.refresh_from_db()
    assert alice.email.endswith("@erased.invalid") and not alice.is_active
    assert DataExport.objects.get(user=bob).status == "ready"
    bob.refresh_from_db()
    assert bob.is_active
    sent = "\n".join(celery_worker.sent_mail())
    assert "/privacy/export/" in sent and "privacy request is complete" in sent


# --- verification by the officer, and by the visitor's own details (P13) ---------------------


@pytest.mark.promise("P13")
def test_the_officer_verifies_only_with_a_method_and_links_the_account_by_its_email(
    client, alice, bob, officer
):
    dsr = services.dsr_create(type="access", channel="visitor", email=bob.email, region="GB")
    client.force_login(officer)
    url = f"/en/backoffice/privacy/datasubjectrequest/{dsr.pk}/verify/"
    page = client.post(url, {"method": "   "}, follow=True)
    assert page.status_code == 200 and "This field is required" in page.content.decode()
    with pytest.raises(services.PrivacyError, match="Say how the identity was verified"):
        services.dsr_verify(dsr=dsr, actor=officer, method="   ")
    dsr.refresh_from_db()
    assert not dsr.is_verified and dsr.user is None
    assert not AuditEvent.objects.filter(action="dsr.verified").exists()

    client.post(url, {"method": "  video call, passport shown  "})
    dsr.refresh_from_db()
    assert dsr.is_verified and dsr.user == bob and dsr.verified_by == officer
    assert dsr.verification_method == "video call, passport shown"
    (event,) = AuditEvent.objects.filter(action="dsr.verified")
    assert event.actor == officer and event.detail["method"] == "video call, passport shown"


@pytest.mark.promise("P13")
def test_a_visitor_is_verified_only_against_the_active_account_of_their_address(client, alice):
    from accounts.models import User

    closed = User.objects.create_user(
        email="carol@example.com", password="pw-Customer-123", display_name="carol",
        is_active=False,
    )  # fmt: skip
    bob = User.objects.create_user(
        email="bob@example.com", password="pw-Customer-123", display_name="bob"
    )
    # An account that is closed cannot be verified into, even with its own name.
    closed_dsr = services.dsr_create(
        type="access", channel="visitor", email=closed.email, region="US"
    )
    with pytest.raises(services.PrivacyError):
        services.dsr_visitor_verify(dsr=closed_dsr, display_name="carol")
    failed = AuditEvent.objects.get(action="dsr.verification_failed")
    assert failed.detail["method"] == "email+display_name"

    dsr = services.dsr_create(type="access", channel="visitor", email=bob.email, region="US")
    with pytest.raises(services.PrivacyError):
        services.dsr_visitor_verify(dsr=dsr, display_name="alice")  # Alice's name, Bob's address
    services.dsr_visitor_verify(dsr=dsr, display_name=" BOB ")
    dsr.refresh_from_db()
    assert dsr.user == bob and dsr.verification_method == "email link + display name"
    verified_at = dsr.verified_at
    # The link used again once verified changes nothing, whatever is typed.
    services.dsr_visitor_verify(dsr=dsr, display_name="someone else")
    dsr.refresh_from_db()
    assert dsr.verified_at == verified_at and dsr.user == bob
    assert AuditEvent.objects.filter(action="dsr.verified").count() == 1


@pytest.mark.promise("P15")
def test_an_opt_out_of_sale_request_records_the_opt_out_on_the_ledger(alice, officer):
    from privacy.models import ConsentRecord

    services.consent_record(user=alice, purpose="sale_sharing", granted=True, method="form")
    dsr = services.dsr_create(
        type="opt_out_sale", channel="customer", email=alice.email, region="US", user=alice,
        verified_by_reauthentication=True,
    )  # fmt: skip
    services.dsr_fulfil(dsr=dsr, actor=officer)
    latest = services.consent_latest(user=alice, purpose="sale_sharing")
    assert latest.granted is False and latest.method == ConsentRecord.Method.FORM
    dsr.refresh_from_db()
    assert dsr.status == "fulfilled"


@pytest.mark.promise("P02")
@pytest.mark.promise("P16")
def test_nobody_signed_in_has_no_consent_and_no_restriction_to_look_up(db):
    from django.contrib.auth.models import AnonymousUser

    for nobody in (None, AnonymousUser()):
        assert services.consent_is_current(user=nobody, purpose="face_photos") is False
        assert services.processing_restricted(user=nobody) is False


@pytest.mark.promise("P13")
@pytest.mark.promise("P16")
def test_a_visitor_writing_from_another_confirmed_address_of_the_account_is_that_account(
    client, alice, bob
):
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=alice, email="alice.work@example.com", verified=True)
    # An address added but never confirmed proves nothing: Bob cannot claim it as his.
    EmailAddress.objects.create(user=bob, email="someone@example.com", verified=False)

    restriction = services.dsr_create(
        type="restriction", channel="visitor", email="Alice.Work@example.com", region="US"
    )
    services.dsr_visitor_verify(dsr=restriction, display_name="alice")
    restriction.refresh_from_db()
    assert restriction.is_verified and restriction.user == alice
    assert services.processing_restricted(user=alice)
    assert not services.processing_restricted(user=bob)

    unconfirmed = services.dsr_create(
        type="restriction", channel="visitor", email="someone@example.com", region="US"
    )
    with pytest.raises(services.PrivacyError):
        services.dsr_visitor_verify(dsr=unconfirmed, display_name="bob")
    assert not services.processing_restricted(user=bob)
