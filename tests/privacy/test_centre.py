"""The customer's privacy centre: consents, export, deleting photos or the account."""

import io
import json
import zipfile
import zoneinfo

import pytest
from django.core import mail
from django.utils import timezone, translation
from django.utils.formats import date_format

from privacy import services
from privacy.models import AuditEvent, ConsentRecord, DataExport, DeletionReceipt, PolicyVersion

from .conftest import login, stored_files

FACE = ConsentRecord.Purpose.FACE_PHOTOS


@pytest.mark.django_db
def test_the_centre_needs_a_sign_in(client):
    response = client.get("/en/privacy/centre/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_granting_and_withdrawing_an_optional_use_take_one_click_each(client, alice):
    login(client, alice)
    data = {"purpose": "model_improvement", "granted": "1"}
    client.post("/en/privacy/centre/consent/", data)
    assert services.consent_is_current(user=alice, purpose="model_improvement")
    client.post("/en/privacy/centre/consent/", {**data, "granted": "0"})
    assert not services.consent_is_current(user=alice, purpose="model_improvement")
    page = client.get("/en/privacy/centre/").content.decode()
    assert page.count("Use of my photos to improve the models") >= 3  # choice + 2 history rows


@pytest.mark.django_db(transaction=True)  # the erasure's bytes go at commit
@pytest.mark.promise("P03")
def test_withdrawing_face_photo_consent_cancels_jobs_and_deletes_face_data(
    client, alice, bob, make_session
):
    from generation.models import GenerationJob, Portrait, TrainingArtifact
    from sessions_app.models import SourcePhoto

    ps = make_session(alice, state="training")
    services.consent_record(user=alice, purpose=FACE, granted=True, method="form", photo_session=ps)
    job = GenerationJob.objects.create(photo_session=ps, kind="training")
    running = GenerationJob.objects.create(photo_session=ps, kind="generation", state="running")
    files_before = stored_files(f"sessions/{ps.public_id}")
    assert any("/originals/" in f for f in files_before)
    assert any("/training/" in f for f in files_before)

    # Bob cannot withdraw for Alice's session.
    login(client, bob)
    data = {"purpose": FACE, "granted": "0", "session": str(ps.public_id)}
    assert client.post("/en/privacy/centre/consent/", data).status_code == 404
    assert SourcePhoto.objects.filter(photo_session=ps).count() == 3

    login(client, alice)
    client.post("/en/privacy/centre/consent/", data)
    assert not services.consent_is_current(user=alice, purpose=FACE, photo_session=ps)
    job.refresh_from_db()
    running.refresh_from_db()
    assert job.state == "cancelled" and running.cancel_requested
    assert not SourcePhoto.objects.filter(photo_session=ps).exists()
    assert not TrainingArtifact.objects.filter(photo_session=ps).exists()
    left = stored_files(f"sessions/{ps.public_id}")
    assert not [f for f in left if "/originals/" in f or "/thumbs/" in f or "/training/" in f]
    # Portraits are not face data of the withdrawal; they stay until the customer deletes them.
    assert Portrait.objects.filter(photo_session=ps).exists()
    assert DeletionReceipt.objects.filter(subject=alice, reason="withdrawal").count() >= 8


@pytest.mark.django_db
@pytest.mark.promise("P20")
def test_after_a_material_change_the_centre_asks_for_consent_again(client, alice, make_session):
    import datetime

    ps = make_session(alice, files=False)
    services.consent_record(user=alice, purpose=FACE, granted=True, method="form", photo_session=ps)
    today = datetime.date.today()
    PolicyVersion.objects.create(
        kind="privacy", version="v2.0", effective_date=today, last_updated=today,
        material_change=True, text_sha256="c" * 64,
    )  # fmt: skip
    assert not services.consent_is_current(user=alice, purpose=FACE, photo_session=ps)
    login(client, alice)
    page = client.get("/en/privacy/centre/").content.decode()
    assert "Our privacy policy has changed" in page and "v2.0" in page
    client.post("/en/privacy/centre/consent/renew/")
    assert services.consent_is_current(user=alice, purpose=FACE, photo_session=ps)
    latest = services.consent_latest(user=alice, purpose=FACE, photo_session=ps)
    assert latest.policy_version.version == "v2.0"
    assert (
        "Our privacy policy has changed" not in client.get("/en/privacy/centre/").content.decode()
    )


@pytest.mark.django_db(transaction=True)  # the erasure's bytes go at commit
@pytest.mark.promise("P08")
def test_delete_my_photos_now_deletes_originals_and_training_artifacts(
    client, alice, bob, make_session
):
    from generation.models import Portrait, TrainingArtifact
    from sessions_app.models import SourcePhoto

    ps = make_session(alice)
    other = make_session(bob)
    login(client, alice)
    wrong = client.post("/en/privacy/centre/delete-photos/", {"password": "nope"})
    assert wrong.status_code == 302
    assert SourcePhoto.objects.filter(photo_session=ps).count() == 3
    client.post("/en/privacy/centre/delete-photos/", {"password": "pw-Customer-123"})
    assert not SourcePhoto.objects.filter(photo_session=ps).exists()
    assert not TrainingArtifact.objects.filter(photo_session=ps).exists()
    assert Portrait.objects.filter(photo_session=ps).exists()
    assert not [f for f in stored_files(f"sessions/{ps.public_id}") if "/originals/" in f]
    # Bob's photos are untouched.
    assert SourcePhoto.objects.filter(photo_session=other).count() == 3


def _erase_account_and_check(client, alice, bob, make_session):
    from generation.models import Portrait, TrainingArtifact
    from sessions_app.models import Order, PhotoSession, SourcePhoto

    ps = make_session(alice)
    Order.objects.create(photo_session=ps, backend="local", status="paid", currency="usd",
                         amount=1900)  # fmt: skip
    bobs = make_session(bob)
    login(client, alice)
    client.post("/en/privacy/centre/consent/", {"purpose": "model_improvement", "granted": "1"})
    response = client.post("/en/privacy/centre/delete-account/", {"password": "pw-Customer-123"})
    assert response.status_code == 200 and "Your account is deleted" in response.content.decode()
    # Signed out, and the account cannot sign in again.
    assert client.get("/en/privacy/centre/").status_code == 302
    assert not client.login(email="alice@example.com", password="pw-Customer-123")
    alice.refresh_from_db()
    assert alice.email.endswith("@erased.invalid") and not alice.is_active
    assert alice.display_name == "" and not alice.has_usable_password()
    # No file of Alice's remains in the storage; Bob's are all there.
    assert stored_files(f"sessions/{ps.public_id}") == []
    assert len(stored_files(f"sessions/{bobs.public_id}")) == 3 * 2 + 2 + 2
    assert not SourcePhoto.objects.filter(photo_session=ps).exists()
    assert not TrainingArtifact.objects.filter(photo_session=ps).exists()
    assert not Portrait.objects.filter(photo_session=ps).exists()
    # The order stays, tied to the anonymised account (the law requires it).
    order = Order.objects.get(photo_session=ps)
    assert order.amount == 1900 and PhotoSession.objects.get(pk=ps.pk).user == alice
    assert services.receipts_verify() == []
    assert AuditEvent.objects.filter(action="account.erased", subject=alice).exists()


@pytest.mark.django_db(transaction=True)  # the erasure's bytes go at commit
@pytest.mark.promise("P11")
def test_account_deletion_erases_every_file_in_the_filesystem_storage(
    client, alice, bob, make_session
):
    _erase_account_and_check(client, alice, bob, make_session)


@pytest.mark.django_db(transaction=True)  # the erasure's bytes go at commit
@pytest.mark.s3
@pytest.mark.promise("P11")
def test_account_deletion_erases_every_file_on_s3(
    client, alice, bob, make_session, s3_private_storage
):
    _erase_account_and_check(client, alice, bob, make_session)
    keys = s3_private_storage.client.list_objects_v2(Bucket=s3_private_storage.name)
    names = [o["Key"] for o in keys.get("Contents", [])]
    assert names and all("sessions/" in n for n in names)
    receipt = DeletionReceipt.objects.filter(category="originals").first()
    assert receipt.storage_location.startswith(f"s3://{s3_private_storage.name}/")


@pytest.mark.django_db(transaction=True)  # the erasure's bytes go at commit
@pytest.mark.promise("P11")
def test_a_legal_hold_keeps_what_it_names_and_erasure_resumes_on_release(
    client, alice, make_session, staff
):
    from sessions_app.models import SourcePhoto

    held = make_session(alice)
    free = make_session(alice)
    hold = services.hold_place(
        user=alice, scope="session", photo_session=held, reason="Court order 12", actor=staff
    )
    login(client, alice)
    client.post("/en/privacy/centre/delete-account/", {"password": "pw-Customer-123"})
    alice.refresh_from_db()
    assert not alice.is_active
    assert SourcePhoto.objects.filter(photo_session=held).count() == 3
    assert not SourcePhoto.objects.filter(photo_session=free).exists()
    assert stored_files(f"sessions/{free.public_id}") == []
    assert alice.email == "alice@example.com"  # identity kept while the hold names it

    client.force_login(staff)
    client.post(
        "/en/backoffice/privacy/legalhold/",
        {"action": "release", "_selected_action": [hold.pk]},
    )
    alice.refresh_from_db()
    assert not SourcePhoto.objects.filter(photo_session=held).exists()
    assert stored_files(f"sessions/{held.public_id}") == []
    assert alice.email.endswith("@erased.invalid")


@pytest.mark.django_db
@pytest.mark.promise("P10")
def test_receipts_outlive_the_data_and_hold_no_content(client, alice, bob, make_session):
    ps = make_session(alice)
    login(client, alice)
    client.post("/en/privacy/centre/delete-photos/", {"password": "pw-Customer-123"})
    receipts = DeletionReceipt.objects.filter(subject=alice)
    assert receipts.count() >= 8
    for r in receipts:
        assert "photo 0 of" not in r.what and len(r.what) < 80
    page = client.get("/en/privacy/centre/").content.decode()
    assert "Deletion receipts" in page and receipts.first().entry_hash[:10] in page
    login(client, bob)
    assert (
        receipts.first().entry_hash[:10] not in client.get("/en/privacy/centre/").content.decode()
    )
    # The receipts speak the customer's language: categories are labelled, not codes.
    login(client, alice)
    korean = client.get("/ko/privacy/centre/").content.decode()
    assert "원본 사진" in korean and ">originals " not in korean
    assert str(ps.public_id) not in korean


@pytest.mark.django_db(transaction=True)
@pytest.mark.promise("P12")
def test_download_my_data_builds_a_zip_off_request_and_emails_a_link(
    client, celery_worker, make_session
):
    from tests.conftest import make_customer, wait_for

    alice = make_customer("alice@example.com")
    make_customer("bob@example.com")
    ps = make_session(alice)
    services.consent_record(user=alice, purpose=FACE, granted=True, method="form", photo_session=ps)
    login(client, alice)
    client.post("/en/privacy/centre/export/")
    export = wait_for(
        lambda: DataExport.objects.filter(user=alice, status="ready").first(),
        timeout=90,
        message="the export",
    )
    message = wait_for(celery_worker.sent_mail, message="the export email")[0]
    assert "/en/privacy/export/" in message or "/privacy/export/" in message
    link = services.export_link(export)
    response = client.get(link)
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    data = json.loads(archive.read("data.json"))
    assert data["account"]["email"] == "alice@example.com"
    assert {"sessions", "orders", "consents", "requests"} <= set(data)
    assert data["consents"][0]["purpose"] == FACE
    names = archive.namelist()
    assert sum(n.startswith("files/photos/") for n in names) == 3
    assert sum(n.startswith("files/portraits/") for n in names) == 1
    # Weights are listed in the JSON but are model internals, not handed over as files.
    assert len(data["training_artifacts"]) == 2
    assert not any("training" in n for n in names if n.startswith("files/"))

    # Bob cannot use Alice's link; a tampered link is refused with a message.
    login(client, make_customer("carol@example.com"))
    assert client.get(link).status_code == 400
    login(client, alice)
    tampered = client.get(link[:-3] + "xx/")
    assert tampered.status_code == 400 and "not valid" in tampered.content.decode()
    assert AuditEvent.objects.filter(action="export.link_refused").count() == 2


@pytest.mark.django_db
def test_an_expired_export_link_is_refused(client, alice, make_session):
    import datetime

    import time_machine

    make_session(alice)
    export = DataExport.objects.create(user=alice)
    services.export_build(export=export)
    link = services.export_link(export)
    login(client, alice)
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=8)
    with time_machine.travel(later, tick=False):
        client.force_login(alice)
        response = client.get(link)
    assert response.status_code == 400 and "expired" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.promise("P25")
def test_exercising_rights_changes_no_price_or_service(client, alice, bob, make_session, plan):
    from sessions_app.services import session_create

    for user in (alice, bob):
        login(client, user)
    login(client, alice)
    client.post("/en/privacy/centre/consent/", {"purpose": "sale_sharing", "granted": "0"})
    client.post("/en/privacy/centre/consent/", {"purpose": "model_improvement", "granted": "0"})
    client.post(
        "/en/privacy/centre/request/",
        {"type": "objection", "details": "", "password": "pw-Customer-123"},
    )
    services.restriction_lift(restriction=alice.processing_restrictions.get())
    a = session_create(user=alice, plan=plan, styles=plan and [], currency="usd")
    b = session_create(user=bob, plan=plan, styles=[], currency="usd")
    assert (a.amount, a.currency, a.plan_id) == (b.amount, b.currency, b.plan_id)
    assert client.get("/en/pricing/").status_code == 200
    assert mail.outbox  # the customer was told, not penalised


@pytest.mark.django_db
@pytest.mark.promise("P10")
@pytest.mark.promise("P26")
def test_every_receipt_names_what_went_in_the_readers_language(client, alice):
    services.receipt_append(
        subject=alice, category="agent_authority", what="authority.pdf", reason="retention"
    )
    services.receipt_append(subject=alice, category="originals", what="x.jpg", reason="request")
    services.receipt_append(
        subject=alice, category="training_checkpoint", what="ckpt.pt", reason="superseded"
    )
    login(client, alice)
    english = client.get("/en/privacy/centre/").content.decode()
    assert "<td>Authorised agent&#x27;s document</td>" in english
    assert "<td>Original photos</td>" in english
    # A checkpoint replaced minutes into training is not the model kept for 30 days.
    assert "<td>Training checkpoint (an unfinished step)</td>" in english
    assert "<td>Replaced by a later step of the training</td>" in english
    korean = client.get("/ko/privacy/centre/").content.decode()
    assert "<td>대리인 위임 서류</td>" in korean and "<td>원본 사진</td>" in korean


@pytest.mark.django_db
@pytest.mark.promise("P12")
def test_a_ready_export_is_emailed_and_closes_only_a_request_still_open(alice, make_session):
    make_session(alice, files=False)
    own = DataExport.objects.create(user=alice)
    services.export_build(export=own)
    mail.outbox.clear()
    services.export_notify(export=own)
    (email,) = mail.outbox
    assert email.to == [alice.email] and "/privacy/export/" in email.body
    # In Alice's own zone (her region's, the US east coast), named.
    expires = timezone.localtime(own.expires_at, zoneinfo.ZoneInfo("America/New_York"))
    with translation.override("en"):
        assert date_format(expires, "DATETIME_FORMAT") in email.body
    assert expires.tzname() in email.body

    def requested_export(**state):
        dsr = services.dsr_create(
            type="access", channel="customer", email=alice.email, region="GB", user=alice,
            verified_by_reauthentication=True,
        )  # fmt: skip
        type(dsr).objects.filter(pk=dsr.pk).update(**state)
        export = DataExport.objects.create(user=alice, request=dsr)
        services.export_build(export=export)
        mail.outbox.clear()
        return dsr, export

    closed, export = requested_export(status="fulfilled", closed_at="2026-01-02T00:00:00Z")
    services.export_notify(export=export)
    closed.refresh_from_db()
    assert len(mail.outbox) == 1 and closed.closed_at.year == 2026 and closed.closed_at.month == 1

    still_open, export = requested_export(status="in_progress")
    services.export_notify(export=export)
    still_open.refresh_from_db()
    assert still_open.status == "fulfilled" and len(mail.outbox) == 2
