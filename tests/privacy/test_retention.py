"""Retention: the sweep, its schedule, legal holds, reminders and the receipt chain."""

import datetime
import io

import pytest
import time_machine
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from privacy import services
from privacy.models import DeletionReceipt, RetentionPolicy

from .conftest import stored_files

pytestmark = pytest.mark.django_db


def days_after(ps, days, hour=1):
    moment = ps.delivered_at + datetime.timedelta(days=days, hours=hour)
    return time_machine.travel(moment, tick=False)


def sweep(*args):
    out = io.StringIO()
    call_command("retention_sweep", *args, stdout=out)
    return out.getvalue()


def test_the_sweep_is_scheduled_and_editable_in_admin(client, staff):
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(name="Retention sweep")
    assert task.task == "privacy.tasks.retention_sweep" and task.enabled
    client.force_login(staff)
    assert (
        client.get(f"/en/backoffice/django_celery_beat/periodictask/{task.pk}/change/").status_code
        == 200
    )
    assert client.get("/en/backoffice/privacy/retentionpolicy/").status_code == 200


@pytest.mark.promise("P08")
def test_originals_and_training_artifacts_go_30_days_after_delivery(alice, bob, make_session):
    from generation.models import Portrait, TrainingArtifact
    from sessions_app.models import SourcePhoto

    ps = make_session(alice)
    with days_after(ps, 25):
        # Still generating, and recent: its photos are in use.
        undelivered = make_session(bob, state="generating")
    with days_after(ps, 29):
        sweep()
    assert SourcePhoto.objects.filter(photo_session=ps).count() == 3
    with days_after(ps, 30):
        dry = sweep("--dry-run")
        assert str(ps.public_id) in dry and "3 photo(s)" in dry
        assert SourcePhoto.objects.filter(photo_session=ps).count() == 3
        out = sweep()
    assert "Deleted" in out
    assert not SourcePhoto.objects.filter(photo_session=ps).exists()
    assert not TrainingArtifact.objects.filter(photo_session=ps).exists()
    left = stored_files(f"sessions/{ps.public_id}")
    assert left and all("/portraits/" in f or "/previews/" in f for f in left)
    assert Portrait.objects.filter(photo_session=ps).exists()
    ps.refresh_from_db()
    assert ps.state == "originals_deleted" and ps.originals_deleted_at
    assert SourcePhoto.objects.filter(photo_session=undelivered).count() == 3
    assert DeletionReceipt.objects.filter(subject=alice, reason="retention").count() >= 8


@pytest.mark.promise("P09")
def test_the_gallery_goes_on_the_date_the_customer_was_shown(client, alice, make_session):
    from generation.models import Portrait

    from .conftest import login

    RetentionPolicy.objects.filter(category="deliverables").update(period_days=60)
    ps = make_session(alice)
    shown = services.retention_dates(photo_session=ps)["gallery"]
    assert shown == (ps.delivered_at + datetime.timedelta(days=60)).date()
    login(client, alice)
    page = client.get("/en/privacy/centre/").content.decode()
    from django.utils import timezone
    from django.utils.formats import date_format

    from pictureus.timezones import zone_for_user

    # Shown as the day it falls on where Alice lives.
    with timezone.override(zone_for_user(alice)):
        on_her_calendar = services.retention_dates(photo_session=ps)["gallery"]
    assert date_format(on_her_calendar, "DATE_FORMAT") in page
    # The gallery shows the same date, and its page is now kept in the cache.
    gallery = f"/en/studio/{ps.public_id}/"
    page = client.get(gallery).content.decode()
    assert date_format(on_her_calendar, "DATE_FORMAT") in page and "/portraits/" in page
    with time_machine.travel(
        datetime.datetime.combine(shown, datetime.time(0, 0), tzinfo=datetime.UTC)
        - datetime.timedelta(hours=1),
        tick=False,
    ):
        sweep()
    assert Portrait.objects.filter(photo_session=ps).exists()
    with days_after(ps, 60):
        sweep()
    assert not Portrait.objects.filter(photo_session=ps).exists()
    assert stored_files(f"sessions/{ps.public_id}") == []
    ps.refresh_from_db()
    assert ps.state == "expired"
    # The cached page does not outlive what it showed.
    assert "/portraits/" not in client.get(gallery).content.decode()


def test_a_reminder_goes_out_once_a_few_days_before_the_gallery_is_deleted(alice, make_session):
    ps = make_session(alice, files=False)
    with days_after(ps, 80):
        sweep()
    assert not mail.outbox
    with days_after(ps, 86):
        sweep()
        sweep()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [alice.email] and "deleted soon" in mail.outbox[0].subject


@pytest.mark.promise("P11")
def test_a_hold_keeps_its_session_from_the_sweep_until_released(alice, make_session, staff):
    from sessions_app.models import SourcePhoto

    held = make_session(alice)
    free = make_session(alice)
    hold = services.hold_place(user=alice, scope="account", reason="Litigation", actor=staff)
    with days_after(held, 31):
        sweep()
    assert SourcePhoto.objects.filter(photo_session=held).count() == 3
    assert SourcePhoto.objects.filter(photo_session=free).count() == 3
    services.hold_release(hold=hold, actor=staff)
    with days_after(held, 32):
        sweep()
    assert not SourcePhoto.objects.filter(photo_session__in=[held, free]).exists()


def test_a_hold_must_name_a_session_of_the_same_customer(client, alice, bob, make_session, staff):
    bobs = make_session(bob, files=False)
    client.force_login(staff)
    response = client.post(
        "/en/backoffice/privacy/legalhold/add/",
        {"scope": "session", "user": alice.pk, "photo_session": bobs.pk, "reason": "x"},
    )
    assert response.status_code == 200
    assert "another customer" in response.content.decode()
    assert not alice.legal_holds.exists()


@pytest.mark.promise("P10")
def test_verify_receipts_detects_an_edited_or_missing_entry(alice):
    for n in range(4):
        services.receipt_append(
            subject=alice, category="originals", what=f"file {n}", reason="retention"
        )
    out = io.StringIO()
    call_command("verify_receipts", stdout=out)
    assert "chain intact" in out.getvalue()
    second, third = DeletionReceipt.objects.order_by("id")[1:3]

    def tamper(sql, params):
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # The append-only trigger must be bypassed to simulate an attacker with DB access.
                cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(sql, params)

    tamper("UPDATE privacy_deletionreceipt SET what = %s WHERE id = %s", ["edited", second.pk])
    with pytest.raises(CommandError):
        call_command("verify_receipts", stdout=io.StringIO(), stderr=io.StringIO())
    assert services.receipts_verify() == [f"receipt {second.pk}: content altered"]
    tamper("UPDATE privacy_deletionreceipt SET what = %s WHERE id = %s", [second.what, second.pk])
    assert services.receipts_verify() == []
    tamper("DELETE FROM privacy_deletionreceipt WHERE id = %s", [third.pk])
    problems = services.receipts_verify()
    assert problems and "missing" in problems[0]
