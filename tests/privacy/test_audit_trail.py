"""Every use of a privacy right, and every refusal, leaves an audit entry (P10, P13, P14).

The audit log is what an officer or a regulator reads afterwards: who withdrew what, which
restriction was lifted, who downloaded an export, why a link or a request was refused. Each
test reads the entries a real flow wrote and checks what they name.
"""

import datetime

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from privacy import services
from privacy.models import AuditEvent, ConsentRecord, DataExport, DataSubjectRequest

from .conftest import login

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
MARKETING = ConsentRecord.Purpose.MARKETING_LIKENESS


def events(action, **where):
    return list(AuditEvent.objects.filter(action=action, **where).order_by("id"))


def ready_export(user):
    export = DataExport.objects.create(user=user, status=DataExport.Status.READY)
    export.file.save("export.zip", ContentFile(b"PK\x05\x06" + b"\0" * 18))
    return export


@pytest.mark.promise("P10")
@pytest.mark.promise("P06")
def test_withdrawing_an_optional_use_is_audited_and_keeps_the_photos(alice, make_session):
    from sessions_app.models import SourcePhoto

    ps = make_session(alice)
    services.consent_record(user=alice, purpose=MARKETING, granted=True, method="form")
    record = services.consent_withdraw(user=alice, purpose=MARKETING)

    assert record.purpose == MARKETING and not record.granted and record.user == alice
    (event,) = events("consent.withdrawn")
    assert (event.actor, event.subject, event.object_id) == (alice, alice, str(record.pk))
    assert event.detail == {"purpose": MARKETING}
    # Only face-photo consent reaches the photos: an optional use withdrawn deletes nothing.
    assert SourcePhoto.objects.filter(photo_session=ps).count() == 3


@pytest.mark.promise("P10")
@pytest.mark.promise("P16")
def test_lifting_one_restriction_keeps_the_others_and_is_audited(alice, bob, staff):
    objection = services.restriction_place(user=alice, kind="objection")
    limit = services.restriction_place(user=alice, kind="limit_use")
    bobs = services.restriction_place(user=bob, kind="restriction")

    services.restriction_lift(restriction=objection, actor=staff)
    objection.refresh_from_db()
    assert objection.lifted_at is not None
    assert services.processing_restricted(user=alice), "the limit-use request still stands"
    limit.refresh_from_db()
    bobs.refresh_from_db()
    assert limit.lifted_at is None and bobs.lifted_at is None

    # Lifting again changes nothing: the first lifting's time stays.
    first = objection.lifted_at
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=1)):
        services.restriction_lift(restriction=objection, actor=staff)
    objection.refresh_from_db()
    assert objection.lifted_at == first

    services.restriction_lift(restriction=limit, actor=alice)
    assert not services.processing_restricted(user=alice)
    assert services.processing_restricted(user=bob)
    lifted = events("restriction.lifted")
    assert [(e.actor, e.subject, e.object_id) for e in lifted] == [
        (staff, alice, str(objection.pk)),
        (staff, alice, str(objection.pk)),
        (alice, alice, str(limit.pk)),
    ]


@pytest.mark.promise("P10")
@pytest.mark.promise("P12")
def test_an_export_is_audited_when_asked_for_and_when_downloaded(client, alice):
    login(client, alice)
    requested = services.export_request(user=alice)
    (asked,) = events("export.requested")
    assert (asked.actor, asked.subject, asked.object_id) == (alice, alice, str(requested.pk))

    older, newer = ready_export(alice), ready_export(alice)
    for export in (older, newer):
        response = client.get(services.export_link(export))
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == export.file.open("rb").read()
    downloads = events("export.downloaded")
    assert [(e.actor, e.object_id) for e in downloads] == [
        (alice, str(older.pk)),
        (alice, str(newer.pk)),
    ]


@pytest.mark.promise("P10")
@pytest.mark.promise("P12")
def test_an_export_link_that_is_expired_or_no_longer_ready_is_refused_and_audited(client, alice):
    login(client, alice)
    export = ready_export(alice)
    link = services.export_link(export)
    with time_machine.travel(timezone.now() + datetime.timedelta(days=8)):
        login(client, alice)
        assert client.get(link).status_code in (400, 404)
    DataExport.objects.filter(pk=export.pk).update(status=DataExport.Status.DELETED)
    assert client.get(link).status_code in (400, 404)
    refused = events("export.link_refused")
    assert [(e.actor, e.subject, e.detail) for e in refused] == [
        (alice, alice, {"why": "expired"}),
        (alice, alice, {"why": "invalid"}),
    ]
    assert not events("export.downloaded")


@pytest.mark.promise("P10")
@pytest.mark.promise("P13")
def test_a_wrong_or_expired_request_link_is_audited_with_why(alice):
    with time_machine.travel(datetime.datetime(2027, 1, 5, 12, tzinfo=UTC), tick=False):
        dsr = services.dsr_create(type="access", channel="visitor", email=alice.email, region="US")
        token = services.dsr_token(dsr, "visitor")
    with pytest.raises(services.PrivacyError):
        services.dsr_from_token(token[:-2] + "xx", "visitor")
    with (
        time_machine.travel(datetime.datetime(2027, 1, 10, 12, tzinfo=UTC), tick=False),
        pytest.raises(services.PrivacyError),
    ):
        services.dsr_from_token(token, "visitor")
    assert [e.detail for e in events("dsr.link_refused")] == [
        {"why": "invalid", "purpose": "visitor"},
        {"why": "expired", "purpose": "visitor"},
    ]


@pytest.mark.promise("P14")
def test_an_agent_request_without_authority_is_refused_and_audited_whatever_the_way_in(alice):
    with pytest.raises(services.PrivacyError):
        services.dsr_create(
            type="erasure", channel="agent", email=alice.email, region="US",
            agent_name="Agent Smith", agent_email="agent@example.com",
        )  # fmt: skip
    assert not DataSubjectRequest.objects.exists()
    (event,) = events("dsr.agent_refused")
    assert event.detail == {"reason": "no authority"}


@pytest.mark.promise("P14")
def test_the_customer_cannot_confirm_an_agent_request_whose_authority_is_gone(alice):
    authority = SimpleUploadedFile("authority.pdf", b"%PDF-1.4 signed", "application/pdf")
    dsr = services.dsr_create(
        type="access", channel="agent", email=alice.email, region="US",
        agent_name="Agent Smith", agent_email="agent@example.com", agent_authority=authority,
    )  # fmt: skip
    DataSubjectRequest.objects.filter(pk=dsr.pk).update(agent_authority="")
    dsr.refresh_from_db()
    with pytest.raises(services.PrivacyError):
        services.dsr_agent_confirm(dsr=dsr, user=alice)
    dsr.refresh_from_db()
    assert not dsr.is_verified and dsr.customer_confirmed_at is None
    (event,) = events("dsr.confirmation_refused")
    assert event.actor == alice and event.detail["why"] == "no authority"


@pytest.mark.promise("P12")
def test_an_extension_the_law_does_not_allow_is_refused_and_audited(alice, staff):
    dsr = services.dsr_create(
        type="access", channel="customer", email=alice.email, region="KR", user=alice,
        verified_by_reauthentication=True,
    )  # fmt: skip
    due = dsr.due_date
    with pytest.raises(services.PrivacyError):
        services.dsr_extend(dsr=dsr, actor=staff, reason="busy")
    dsr.refresh_from_db()
    assert dsr.due_date == due and dsr.extended_at is None
    (event,) = events("dsr.extend_refused")
    assert event.actor == staff and event.detail["why"] == "law allows none"


@pytest.mark.promise("P10")
@pytest.mark.promise("P03")
def test_stopping_a_sessions_jobs_is_audited_with_the_jobs_and_the_reason(alice, make_session):
    from generation.models import GenerationJob

    ps = make_session(alice, state="training", files=False)
    other = make_session(alice, state="training", files=False)
    queued = GenerationJob.objects.create(photo_session=ps, kind="training")
    running = GenerationJob.objects.create(photo_session=ps, kind="generation", state="running")
    untouched = GenerationJob.objects.create(photo_session=other, kind="training")
    services.consent_withdraw(user=alice, purpose="face_photos", photo_session=ps)

    (event,) = events("generation.jobs_cancelled")
    assert (event.subject, event.object_id) == (alice, str(ps.pk))
    assert sorted(event.detail["jobs"]) == sorted([queued.pk, running.pk])
    assert event.detail["reason"] == "withdrawal"
    untouched.refresh_from_db()
    assert untouched.state == "queued" and not untouched.cancel_requested
