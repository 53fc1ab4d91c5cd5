"""The services other areas call: consent ledger, file erasure with receipts, retention dates."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from privacy import services
from privacy.models import ConsentRecord, DeletionReceipt, PendingFileDeletion, PolicyVersion

FACE = ConsentRecord.Purpose.FACE_PHOTOS
pytestmark = pytest.mark.django_db


def test_consent_is_current_follows_the_latest_ledger_row(alice, bob):
    assert not services.consent_is_current(user=alice, purpose=FACE)
    services.consent_record(user=alice, purpose=FACE, granted=True, method="form")
    assert services.consent_is_current(user=alice, purpose=FACE)
    assert not services.consent_is_current(user=bob, purpose=FACE)
    services.consent_record(user=alice, purpose=FACE, granted=False, method="form")
    assert not services.consent_is_current(user=alice, purpose=FACE)


def test_consent_rows_carry_version_hash_and_hashed_ip(alice, rf):
    request = rf.post("/", HTTP_USER_AGENT="UA/1.0", REMOTE_ADDR="203.0.113.9")
    row = services.consent_record(
        user=alice, purpose=FACE, granted=True, method="form", request=request
    )
    policy = PolicyVersion.current()
    assert row.policy_version == policy and row.text_sha256 == policy.text_sha256
    assert row.user_agent == "UA/1.0" and row.jurisdiction == "US"
    assert row.ip_hash and "203.0.113.9" not in row.ip_hash


@pytest.mark.promise("P20")
def test_a_material_policy_version_asks_for_consent_again(alice, client):
    services.consent_record(user=alice, purpose=FACE, granted=True, method="form")
    PolicyVersion.objects.create(
        kind="privacy",
        version="v2.0",
        effective_date=datetime.date.today(),
        last_updated=datetime.date.today(),
        material_change=True,
        text_sha256="b" * 64,
    )
    assert not services.consent_is_current(user=alice, purpose=FACE)
    assert services.consent_needs_renewal(user=alice)
    services.consent_record(user=alice, purpose=FACE, granted=True, method="form")
    assert services.consent_is_current(user=alice, purpose=FACE)


def test_a_minor_policy_version_keeps_consent_current(alice):
    services.consent_record(user=alice, purpose=FACE, granted=True, method="form")
    PolicyVersion.objects.create(
        kind="privacy",
        version="v1.1.1",
        effective_date=datetime.date.today(),
        last_updated=datetime.date.today(),
        material_change=False,
    )
    assert services.consent_is_current(user=alice, purpose=FACE)


def test_the_ledger_refuses_updates_and_deletes_in_the_model(alice):
    row = services.consent_record(user=alice, purpose=FACE, granted=True, method="form")
    row.granted = False
    with pytest.raises(ValidationError):
        row.save()
    with pytest.raises(ValidationError):
        row.delete()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="database triggers: PostgreSQL")
def test_the_database_refuses_updates_and_deletes_of_the_ledgers(alice):
    row = services.consent_record(user=alice, purpose=FACE, granted=True, method="form")
    receipt = services.receipt_append(subject=alice, category="x", what="y", reason="request")
    for qs, change in (
        (ConsentRecord.objects.filter(pk=row.pk), {"granted": False}),
        (DeletionReceipt.objects.filter(pk=receipt.pk), {"what": "edited"}),
    ):
        with pytest.raises(Exception, match="append-only"), transaction.atomic():
            qs.update(**change)
        with pytest.raises(Exception, match="append-only"), transaction.atomic():
            qs._raw_delete(qs.db)
    assert ConsentRecord.objects.get(pk=row.pk).granted


@pytest.mark.django_db(transaction=True)  # the erasure's bytes go at commit
def test_file_erase_deletes_bytes_and_writes_a_content_free_receipt(alice, make_session):
    from sessions_app.models import SourcePhoto

    make_session(alice)
    photo = SourcePhoto.objects.first()
    storage, name = photo.image.storage, photo.image.name
    assert storage.exists(name)
    receipt = services.file_erase(
        fieldfile=photo.image, subject=alice, reason="request", category="originals"
    )
    assert not storage.exists(name)
    assert receipt.content_sha256 == photo.sha256 or len(receipt.content_sha256) == 64
    assert receipt.subject_ref == f"user:{alice.pk}" and "photo" not in receipt.detail
    # A file that is already gone is tolerated.
    again = services.file_erase(
        fieldfile=photo.image, subject=alice, reason="request", category="originals"
    )
    assert again.detail == "file was already missing"
    assert services.receipts_verify() == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.promise("P08")
def test_a_photo_deletion_rolled_back_keeps_the_photo_its_bytes_and_writes_no_receipt(
    alice, make_session
):
    from sessions_app.models import SourcePhoto
    from sessions_app.services import photo_delete

    photo_session = make_session(alice, state="collecting_photos")
    photo, kept = SourcePhoto.objects.filter(photo_session=photo_session)[:2]
    storage, names = photo.image.storage, [photo.image.name, photo.thumbnail.name]
    photo_pk, receipts = photo.pk, DeletionReceipt.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        photo_delete(photo=photo, reason="request")
        raise RuntimeError("a later step of the same request fails")
    assert SourcePhoto.objects.filter(pk=photo_pk).exists()
    assert all(storage.exists(name) for name in names)
    assert DeletionReceipt.objects.count() == receipts
    assert not PendingFileDeletion.objects.exists()
    # Committed, the bytes go with the row, and nothing is left pending.
    photo_delete(photo=SourcePhoto.objects.get(pk=photo_pk), reason="request")
    assert not any(storage.exists(name) for name in names)
    assert storage.exists(kept.image.name) and not PendingFileDeletion.objects.exists()


@pytest.mark.promise("P08")
def test_bytes_left_by_a_process_that_stopped_after_the_commit_go_at_the_next_sweep(
    alice, bob, make_session
):
    from sessions_app.models import SourcePhoto

    erased = SourcePhoto.objects.filter(photo_session=make_session(alice)).first()
    other = SourcePhoto.objects.filter(photo_session=make_session(bob)).first()
    storage = erased.image.storage
    # What a worker killed between the erasure's commit and the deletion of its bytes leaves.
    PendingFileDeletion.objects.create(name=erased.image.name)
    result = services.retention_sweep()
    assert result["files_deleted"] == 1 and not PendingFileDeletion.objects.exists()
    assert not storage.exists(erased.image.name)
    assert storage.exists(other.image.name) and storage.exists(other.thumbnail.name)


@pytest.mark.promise("P09")
def test_retention_dates_come_from_the_policy_records(alice, make_session):
    from privacy.models import RetentionPolicy

    RetentionPolicy.objects.filter(category="training_artifacts").update(period_days=14)
    ps = make_session(alice)
    dates = services.retention_dates(photo_session=ps)
    delivered = ps.delivered_at.date()
    assert dates == {
        "originals": delivered + datetime.timedelta(days=30),
        "training_artifacts": delivered + datetime.timedelta(days=14),
        "gallery": delivered + datetime.timedelta(days=90),
        "delivered": True,
    }
    RetentionPolicy.objects.filter(category="deliverables").update(period_days=60)
    assert services.retention_dates(photo_session=ps)["gallery"] == delivered + datetime.timedelta(
        days=60
    )


@pytest.mark.promise("P08")
def test_a_session_never_delivered_has_dates_from_the_abandoned_period(alice, make_session):
    from privacy.models import RetentionPolicy

    RetentionPolicy.objects.filter(category="abandoned").update(period_days=21)
    for state in ("draft", "paid", "collecting_photos", "training"):
        ps = make_session(alice, state=state, files=False)
        due = ps.updated_at.date() + datetime.timedelta(days=21)
        assert services.retention_dates(photo_session=ps) == {
            "originals": due,
            "training_artifacts": due,
            "gallery": due,
            "delivered": False,
        }, state


def test_processing_restricted_while_a_restriction_stands(alice, bob):
    restriction = services.restriction_place(user=alice, kind="restriction")
    services.consent_record(user=alice, purpose=FACE, granted=True, method="form")
    assert services.processing_restricted(user=alice)
    assert not services.consent_is_current(user=alice, purpose=FACE)
    assert not services.processing_restricted(user=bob)
    services.restriction_lift(restriction=restriction)
    assert not services.processing_restricted(user=alice)
    assert services.consent_is_current(user=alice, purpose=FACE)


def test_two_receipts_can_never_share_a_predecessor(alice):
    first = services.receipt_append(subject=alice, category="x", what="a", reason="request")
    fork = DeletionReceipt(
        subject_ref="user:1", category="x", what="b", reason="request",
        deleted_at=first.deleted_at, prev_hash=first.prev_hash, entry_hash="f" * 64,
    )  # fmt: skip
    with pytest.raises(IntegrityError), transaction.atomic():
        fork.save()
