"""Account erasure and export reach every store of a customer, and only theirs (P11, P12).

Alice and Bob each get one of everything the product keeps: a delivered session with files, a
refund, a second address, a support message sent signed in and one sent signed out, an export
zip, an agent's request with its signed authority, login sessions in two browsers, a cached
page, a back-office log entry, a restriction, consent grants and withdrawals, a cookie choice
and a GPC signal. Alice erases her account; every one of hers goes, none of Bob's does.
"""

import json
import zipfile

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.test import Client

from pictureus.storage import private_storage
from privacy import services
from privacy.models import ConsentRecord, DataExport, DataSubjectRequest, ProcessingRestriction

from .conftest import login

pytestmark = pytest.mark.django_db
PASSWORD = "pw-Customer-123"


def _plant(user, make_session, staff, *, second_address):
    from allauth.account.models import EmailAddress

    from accounts.models import SupportRequest
    from sessions_app.models import Order, Refund

    ps = make_session(user)
    order = Order.objects.create(
        photo_session=ps, backend="local", status="paid", currency="usd", amount=1900
    )
    Refund.objects.create(order=order, amount=500, reason="one style failed", status="succeeded")
    EmailAddress.objects.create(user=user, email=second_address, verified=True, primary=False)
    SupportRequest.objects.create(
        user=user, name="Me", email=user.email, topic="order", message="signed in", language="en"
    )
    # Sent signed out, from the second address of the account.
    SupportRequest.objects.create(
        user=None, name="Me", email=second_address, topic="photos", message="signed out",
        language="en",
    )  # fmt: skip
    export = DataExport.objects.create(user=user, status="ready")
    export.file.save("export.zip", ContentFile(b"PK old export"), save=True)
    authority = ContentFile(b"%PDF signed authority", name="authority.pdf")
    services.dsr_create(
        type="access",
        channel="agent",
        email=user.email,
        region="US",
        details=f"Please send {user.display_name}'s data",
        agent_name="Agent Smith",
        agent_email="agent@example.net",
        agent_authority=authority,
    )
    services.restriction_place(user=user, kind="objection")
    for granted in (True, False):
        services.consent_record(
            user=user, purpose="marketing_likeness", granted=granted, method="form"
        )
    browser = f"browser{user.pk}"
    services.consent_record(
        user=user, purpose="cookies_optional", granted=True, method="cookie_banner",
        browser_id=browser,
    )  # fmt: skip
    services.consent_record(
        user=None, purpose="sale_sharing", granted=False, method="gpc", browser_id=browser
    )
    LogEntry.objects.log_actions(
        user_id=staff.pk,
        queryset=[user],
        action_flag=CHANGE,
        change_message=f"Changed display name of {user.email}",
        single_object=True,
    )
    LogEntry.objects.create(
        user=staff,
        content_type=ContentType.objects.get_for_model(ps),
        object_id=str(ps.pk),
        object_repr=str(ps),
        action_flag=CHANGE,
        change_message="[]",
    )
    from privacy.services import audit_photo_view

    audit_photo_view(actor=staff, photo=ps.photos.first())
    return ps


def _browsers_signed_in(user, count=2):
    clients = []
    for _ in range(count):
        browser = Client()
        login(browser, user)
        assert browser.get("/en/sessions/").status_code == 200  # a cached page, too
        clients.append(browser)
    return clients


@pytest.fixture
def planted(alice, bob, make_session, staff):
    return {
        "alice": _plant(alice, make_session, staff, second_address="alice.work@example.com"),
        "bob": _plant(bob, make_session, staff, second_address="bob.work@example.com"),
    }


@pytest.mark.promise("P12")
def test_the_export_holds_every_store_of_the_customer_and_nothing_of_anyone_else(
    alice, bob, planted
):
    data = services.export_data(user=alice)
    text = json.dumps(data, default=str)
    assert "bob" not in text.lower()
    assert {a["email"] for a in data["email_addresses"]} == {
        "alice@example.com",
        "alice.work@example.com",
    }
    assert {m["message"] for m in data["support_messages"]} == {"signed in", "signed out"}
    assert [r["amount"] for r in data["refunds"]] == [500]
    assert len(data["photos"]) == 3
    assert all({"sharpness", "face_box", "width", "phash"} <= set(p) for p in data["photos"])
    assert len(data["jobs"]) == 1
    assert [r["kind"] for r in data["restrictions"]] == ["objection"]
    views = [e for e in data["audit_events"] if e["action"] == "staff.photo_view"]
    assert len(views) == 1 and "actor" not in views[0]
    purposes = [(c["purpose"], c["granted"]) for c in data["consents"]]
    assert ("marketing_likeness", False) in purposes  # withdrawals, not only grants
    assert ("cookies_optional", True) in purposes
    assert ("sale_sharing", False) in purposes  # the GPC signal of the browser she used
    assert len(data["requests"]) == 1 and data["requests"][0]["agent_name"] == "Agent Smith"
    assert data["account"]["email"] == "alice@example.com" and "password" not in data["account"]
    assert all(s["deletion_dates"]["originals"] for s in data["sessions"])


@pytest.mark.promise("P12")
def test_the_export_zip_carries_the_photos_and_portraits_but_no_earlier_export(alice, bob, planted):
    from privacy.models import AuditEvent
    from sessions_app.models import SourcePhoto

    bobs = DataExport.objects.get(user=bob)
    bobs_before = (bobs.status, bobs.file.name, bobs.size, bobs.ready_at)
    export = DataExport.objects.create(user=alice)
    export = services.export_build(export=export)
    # Building hers leaves Bob's export as it was, and is audited with its size.
    bobs.refresh_from_db()
    assert (bobs.status, bobs.file.name, bobs.size, bobs.ready_at) == bobs_before
    ready = AuditEvent.objects.get(action="export.ready", object_id=str(export.pk))
    assert ready.subject_id == alice.pk
    assert ready.detail == {"size": export.size} and export.size == export.file.size > 0
    with export.file.open("rb") as fh, zipfile.ZipFile(fh) as archive:
        names = archive.namelist()
        data = json.loads(archive.read("data.json"))
        # Each photo is there whole, as stored: her own bytes, not an empty or partial file.
        for record in data["photos"]:
            stored = SourcePhoto.objects.get(pk=record["id"], photo_session__user=alice).image
            with stored.open("rb") as original:
                expected = original.read()
            assert expected and archive.read(record["image"]) == expected
    files = [n for n in names if n.startswith("files/")]
    assert sum(n.startswith("files/photos/") for n in files) == 3
    assert sum(n.startswith("files/portraits/") for n in files) == 1
    assert sum(n.startswith("files/requests/") for n in files) == 1  # the agent's authority
    assert not any(n.startswith(("files/exports/", "files/training")) for n in files)
    photo_ids = {f"{p['id']}-" for p in data["photos"]}
    assert all(any(i in n for i in photo_ids) for n in files if n.startswith("files/photos/"))


@pytest.mark.django_db(transaction=True)  # the erasure's bytes go at commit
@pytest.mark.promise("P11")
def test_account_erasure_leaves_nothing_of_the_customer_in_any_store(client, alice, bob, planted):
    from accounts.models import LoginSession, SupportRequest

    browsers = _browsers_signed_in(alice)
    _browsers_signed_in(bob, count=1)
    alice_pages = cache.get(f"pagecache:viewer:{alice.pk}")
    bob_pages = cache.get(f"pagecache:viewer:{bob.pk}")
    assert alice_pages and bob_pages
    alice_sessions = list(
        LoginSession.objects.filter(user=alice).values_list("session_key", flat=True)
    )
    assert len(alice_sessions) == 2
    alice_files = [
        DataSubjectRequest.objects.get(email=alice.email).agent_authority.name,
        DataExport.objects.get(user=alice).file.name,
    ]
    bob_files = [
        DataSubjectRequest.objects.get(email=bob.email).agent_authority.name,
        DataExport.objects.get(user=bob).file.name,
    ]

    login(client, alice)
    response = client.post("/en/privacy/centre/delete-account/", {"password": PASSWORD})
    assert response.status_code == 200

    # Support messages, signed in or signed out with any address of hers, are gone.
    assert (
        not SupportRequest.objects.filter(message__in=["signed in", "signed out"])
        .exclude(email__startswith="bob")
        .exists()
    )
    assert SupportRequest.objects.filter(email__startswith="bob").count() == 2
    # Her export zips, bytes included; Bob's stays.
    assert not DataExport.objects.filter(user=alice).exists()
    assert [e.user_id for e in DataExport.objects.all()] == [bob.pk]
    storage = private_storage()
    assert not any(storage.exists(name) for name in alice_files)
    assert all(storage.exists(name) for name in bob_files)
    # The agent's authority file is erased and the request cut to the minimum record.
    request = DataSubjectRequest.objects.get(subject_ref=f"user:{alice.pk}")
    assert (request.email, request.details, request.agent_name, request.agent_email) == ("",) * 4
    assert not request.agent_authority and request.user is None
    assert request.type == "access" and request.received_at and request.due_date
    bobs_request = DataSubjectRequest.objects.get(email="bob@example.com")
    assert bobs_request.agent_authority and bobs_request.agent_name == "Agent Smith"
    # Every login session of hers: rows and their cached copies; her other browsers are out.
    assert not LoginSession.objects.filter(user=alice).exists()
    assert LoginSession.objects.filter(user=bob).exists()
    for key in alice_sessions:
        assert cache.get(f"accounts.sessions{key}") is None
    for browser in browsers:
        assert browser.get("/en/sessions/").status_code == 302
    # Her rendered pages are gone from the cache; Bob's are not.
    assert all(cache.get(key) is None for key in alice_pages)
    assert all(cache.get(key) is not None for key in bob_pages)
    # The back office's log no longer names her; Bob's entries are untouched.
    assert not LogEntry.objects.filter(object_repr__icontains="alice").exists()
    assert not LogEntry.objects.filter(change_message__icontains="alice").exists()
    assert LogEntry.objects.filter(object_repr__icontains="bob@example.com").count() == 2
    # Restrictions go with the account; the consent ledger stays as proof, pseudonymous.
    assert not ProcessingRestriction.objects.filter(user=alice).exists()
    assert ProcessingRestriction.objects.filter(user=bob).exists()
    assert ConsentRecord.objects.filter(user=alice).exists()
    assert services.receipts_verify() == []
