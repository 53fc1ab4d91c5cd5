"""Every session, whatever its state, has a deletion date that the customer sees and the sweep
keeps; withdrawals and restrictions asked for in any way take effect (P03, P08, P09, P16)."""

import datetime
import io
import re

import pytest
import time_machine
from django.core.management import call_command
from django.template.defaultfilters import date as date_filter
from django.utils import timezone

from privacy import services
from privacy.models import ConsentRecord, DataSubjectRequest, RetentionPolicy
from tests.conftest import day_on_their_calendar

from .conftest import login, stored_files

pytestmark = pytest.mark.django_db
FACE = ConsentRecord.Purpose.FACE_PHOTOS


def _left(ps):
    from generation.models import Portrait, TrainingArtifact
    from sessions_app.models import SourcePhoto

    return (
        SourcePhoto.objects.filter(photo_session=ps).count(),
        TrainingArtifact.objects.filter(photo_session=ps).count(),
        Portrait.objects.filter(photo_session=ps).count(),
        len(stored_files(f"sessions/{ps.public_id}")),
    )


def _ended(make_session, user, state):
    """A session with photos, weights and a portrait that ended in `state` without delivery."""
    from sessions_app.services import session_transition

    before = {"failed": "collecting_photos", "refunded": "paid"}.get(state, state)
    ps = make_session(user, state=before)
    if state != before:
        session_transition(photo_session=ps, to_state=state, cause="test setup")
        ps.refresh_from_db()
    return ps


def _sweep():
    out = io.StringIO()
    call_command("retention_sweep", stdout=out)
    return out.getvalue()


@pytest.mark.promise("P08")
@pytest.mark.parametrize("state", ["failed", "refunded", "paid", "collecting_photos", "training"])
def test_a_session_never_delivered_loses_its_face_data_on_the_abandoned_period(
    state, alice, bob, make_session
):
    RetentionPolicy.objects.filter(category="abandoned").update(period_days=30)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        ps = _ended(make_session, alice, state)
    with time_machine.travel(start + datetime.timedelta(days=20), tick=False):
        # The same customer's delivered session and another customer's recent one stay.
        delivered = make_session(alice)
        recent = _ended(make_session, bob, state)
    assert _left(ps) == (3, 2, 1, 3 * 2 + 2 + 2)
    with time_machine.travel(start + datetime.timedelta(days=29, hours=23), tick=False):
        _sweep()
    assert _left(ps)[0] == 3
    with time_machine.travel(start + datetime.timedelta(days=30, hours=1), tick=False):
        out = _sweep()
    assert _left(ps) == (0, 0, 0, 0), out
    assert _left(recent)[0] == 3 and _left(delivered)[0] == 3
    ps.refresh_from_db()
    assert ps.originals_deleted_at is not None
    # Deleted for the reason the sweep gives, with receipts that verify.
    assert services.receipts_verify() == []


@pytest.mark.promise("P08")
def test_training_artifacts_go_on_their_own_period(alice, make_session):
    RetentionPolicy.objects.filter(category="training_artifacts").update(period_days=7)
    ps = make_session(alice)
    with time_machine.travel(ps.delivered_at + datetime.timedelta(days=7, hours=1), tick=False):
        _sweep()
    photos, artifacts, portraits, _files = _left(ps)
    assert (photos, artifacts, portraits) == (3, 0, 1)
    ps.refresh_from_db()
    assert ps.state == "delivered"


@pytest.mark.promise("P09")
def test_the_date_shown_for_an_undelivered_session_is_the_date_it_goes(client, alice, make_session):
    RetentionPolicy.objects.filter(category="abandoned").update(period_days=12)
    ps = _ended(make_session, alice, "failed")
    due = services.retention_dates(photo_session=ps)["originals"]
    assert due == timezone.localdate(ps.updated_at + datetime.timedelta(days=12))
    login(client, alice)
    # The page shows the day it falls on where Alice lives.
    on_her_calendar = day_on_their_calendar(alice, ps.updated_at + datetime.timedelta(days=12))
    shown = date_filter(on_her_calendar, "DATE_FORMAT")
    for url in ("/en/sessions/", f"/en/sessions/{ps.public_id}/", "/en/privacy/centre/"):
        page = re.sub(r"\s+", " ", client.get(url).content.decode())
        assert f"deleted on {shown}" in page, url
    with time_machine.travel(ps.updated_at + datetime.timedelta(days=11, hours=23), tick=False):
        _sweep()
    assert _left(ps)[0] == 3
    with time_machine.travel(ps.updated_at + datetime.timedelta(days=12, minutes=1), tick=False):
        _sweep()
    assert _left(ps)[0] == 0


@pytest.mark.promise("P08")
def test_nothing_of_any_session_is_left_400_days_later(alice, make_session):
    sessions = [make_session(alice)] + [
        _ended(make_session, alice, s) for s in ("failed", "refunded", "paid", "queued")
    ]
    with time_machine.travel(timezone.now() + datetime.timedelta(days=400), tick=False):
        _sweep()
    assert [_left(ps) for ps in sessions] == [(0, 0, 0, 0)] * len(sessions)


@pytest.mark.promise("P09")
def test_the_policy_page_publishes_the_abandoned_session_period(
    client, django_capture_on_commit_callbacks
):
    page = client.get("/en/privacy/").content.decode()
    assert 'data-retention="abandoned"' in page
    policy = RetentionPolicy.objects.get(category="abandoned")
    policy.period_days = 21
    with django_capture_on_commit_callbacks(execute=True):
        policy.save()  # as the back office saves it
    row = re.search(
        r'data-retention="abandoned">(.*?)</tr>', client.get("/en/privacy/").content.decode()
    )
    assert "21 days" in row.group(1)


@pytest.mark.django_db(transaction=True)  # the erasure's bytes go at commit
@pytest.mark.promise("P03")
def test_an_officers_withdrawal_request_erases_every_session_whatever_the_latest_row(
    alice, bob, make_session, staff
):
    first, second = make_session(alice), make_session(alice)
    bobs = make_session(bob)
    for ps in (first, second):
        services.consent_record(
            user=alice, purpose=FACE, granted=True, method="form", photo_session=ps
        )
    services.consent_record(user=bob, purpose=FACE, granted=True, method="form", photo_session=bobs)
    # Her latest face-photo row is the withdrawal for the second session only.
    services.consent_withdraw(user=alice, purpose=FACE, photo_session=second)
    assert _left(first)[0] == 3 and _left(second)[0] == 0
    dsr = services.dsr_create(
        type="withdrawal", channel="customer", email=alice.email, region="US", user=alice,
        verified_by_reauthentication=True,
    )  # fmt: skip
    services.dsr_fulfil(dsr=dsr, actor=staff)
    assert _left(first) == (0, 0, 1, 2)  # the portrait stays: only face data goes
    assert not services.consent_is_current(user=alice, purpose=FACE, photo_session=first)
    assert _left(bobs)[0] == 3


@pytest.mark.promise("P03")
def test_withdrawing_face_photo_consent_account_wide_erases_every_session(alice, bob, make_session):
    first, second = make_session(alice), make_session(alice, state="training")
    bobs = make_session(bob)
    services.consent_withdraw(user=alice, purpose=FACE)
    assert _left(first)[:2] == (0, 0) and _left(second)[:2] == (0, 0)
    assert _left(bobs)[:2] == (3, 2)


@pytest.mark.promise("P16")
@pytest.mark.parametrize("kind", ["restriction", "objection", "limit_use"])
def test_a_verified_visitors_request_places_the_restriction(client, alice, bob, kind, mailoutbox):
    services.consent_record(user=alice, purpose="model_improvement", granted=True, method="form")
    response = client.post(
        "/en/privacy/request/",
        {"email": alice.email, "region": "US", "type": kind, "details": ""},
    )
    assert response.status_code == 200
    link = re.search(r"https?://[^\s]+/request/verify/[^\s/]+/", mailoutbox[-1].body).group(0)
    path = link[link.index("/en/") :] if "/en/" in link else link.split("//", 1)[1].split("/", 1)[1]
    client.post(path if path.startswith("/") else "/" + path, {"display_name": alice.display_name})
    dsr = DataSubjectRequest.objects.get(email=alice.email)
    assert dsr.is_verified
    assert services.processing_restricted(user=alice)
    assert not services.consent_is_current(user=alice, purpose="model_improvement")
    assert not services.processing_restricted(user=bob)


@pytest.mark.promise("P16")
def test_an_agents_objection_places_the_restriction_once_the_customer_confirms(
    client, alice, bob, mailoutbox
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        "/en/privacy/request/agent/",
        {
            "agent_name": "Agent Smith",
            "agent_email": "agent@example.net",
            "email": alice.email,
            "region": "US",
            "type": "objection",
            "details": "",
            "authority": SimpleUploadedFile("authority.pdf", b"%PDF-1.4 signed", "application/pdf"),
        },
    )
    assert response.status_code == 200
    assert not services.processing_restricted(user=alice)
    body = next(m.body for m in mailoutbox if alice.email in m.to)
    path = re.search(r"/\w\w/privacy/request/confirm/[^\s/]+/", body).group(0)
    login(client, alice)
    client.post(path, {"confirm": "on", "password": "pw-Customer-123"})
    assert DataSubjectRequest.objects.get(email=alice.email).is_verified
    assert services.processing_restricted(user=alice)
    assert not services.processing_restricted(user=bob)
