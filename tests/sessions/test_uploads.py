"""Consent gate, uploads and their checks, private files, submission."""

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from privacy.models import ConsentRecord
from sessions_app.models import SourcePhoto

from . import images


def upload(client, s, *files, json=False, language="en"):
    extra = {"HTTP_ACCEPT": "application/json"} if json else {}
    return client.post(
        f"/{language}/sessions/{s.public_id}/photos/",
        {"photos": [SimpleUploadedFile(name, data, "image/jpeg") for name, data in files]},
        **extra,
    )


def stored_files():
    root = Path(settings.STORAGES["private"]["OPTIONS"]["location"])
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def fill(client, s, count):
    for n in range(count):
        result = upload(client, s, (f"face{n}.jpg", images.face_jpeg(n)), json=True).json()
        assert result["results"][0]["accepted"], result


# --- consent gate ---------------------------------------------------------------------------


@pytest.mark.promise("P02")
@pytest.mark.promise("P06")
def test_the_consent_gate_offers_separate_unticked_choices(client, alice, make_session, policy):
    s = make_session(alice, "paid")
    client.force_login(alice)
    # A paid session sends the customer to the gate before the upload page.
    assert client.get(f"/en/sessions/{s.public_id}/photos/")["Location"].endswith("/consent/")
    html = client.get(f"/en/sessions/{s.public_id}/consent/").content.decode()
    for name in ("face_photos", "only_me", "model_improvement", "marketing_likeness"):
        tag = html.split(f'name="{name}"')[1].split(">")[0]
        assert "checked" not in tag, name
    assert html.count('type="checkbox"') == 4


@pytest.mark.promise("P02")
def test_without_face_photo_consent_nothing_is_recorded_or_opened(
    client, alice, make_session, policy
):
    s = make_session(alice, "paid")
    client.force_login(alice)
    response = client.post(f"/en/sessions/{s.public_id}/consent/", {"only_me": "on"})
    assert response.status_code == 200
    assert b"We cannot make your portraits without this consent." in response.content
    s.refresh_from_db()
    assert s.state == "paid"
    assert not ConsentRecord.objects.exists()


@pytest.mark.promise("P06")
def test_each_choice_is_its_own_ledger_row_and_declining_the_options_works(
    client, alice, collecting_session
):
    rows = {r.purpose: r for r in ConsentRecord.objects.filter(user=alice)}
    assert set(rows) == {"face_photos", "model_improvement", "marketing_likeness"}
    assert rows["face_photos"].granted and rows["face_photos"].photo_session == collecting_session
    assert not rows["model_improvement"].granted
    assert not rows["marketing_likeness"].granted
    assert all(r.policy_version is not None and r.method == "form" for r in rows.values())
    from privacy.models import AuditEvent

    assert AuditEvent.objects.filter(action="consent.only_me_confirmed", subject=alice).exists()
    # The service works fully with both options declined.
    response = upload(client, collecting_session, ("me.jpg", images.face_jpeg(0)), json=True)
    assert response.json()["results"][0]["accepted"]


@pytest.mark.promise("P06")
def test_optional_choices_are_recorded_as_grants_when_ticked(client, alice, make_session, policy):
    s = make_session(alice, "paid")
    client.force_login(alice)
    client.post(
        f"/en/sessions/{s.public_id}/consent/",
        {"face_photos": "on", "only_me": "on", "model_improvement": "on"},
    )
    latest = {
        p: ConsentRecord.objects.filter(user=alice, purpose=p).latest("created_at").granted
        for p in ("model_improvement", "marketing_likeness")
    }
    assert latest == {"model_improvement": True, "marketing_likeness": False}


@pytest.mark.promise("P02")
def test_uploads_without_current_consent_get_403_and_store_nothing(
    client, alice, collecting_session
):
    from privacy.services import consent_record

    consent_record(
        user=alice,
        purpose="face_photos",
        granted=False,
        method="form",
        photo_session=collecting_session,
    )
    before = stored_files()
    response = upload(client, collecting_session, ("me.jpg", images.face_jpeg(0)))
    assert response.status_code == 403
    assert stored_files() == before
    assert not SourcePhoto.objects.exists()


@pytest.mark.promise("P02")
def test_a_material_policy_change_stops_uploads_until_consent_is_renewed(
    client, alice, collecting_session
):
    from django.utils import timezone

    from privacy.models import PolicyVersion

    today = timezone.localdate()
    PolicyVersion.objects.create(
        kind="privacy",
        version="v2.0-test",
        effective_date=today,
        last_updated=today,
        material_change=True,
    )
    assert upload(client, collecting_session, ("me.jpg", images.face_jpeg(0))).status_code == 403
    page = client.get(f"/en/sessions/{collecting_session.public_id}/photos/")
    assert page["Location"].endswith("/consent/")
    client.post(
        f"/en/sessions/{collecting_session.public_id}/consent/",
        {"face_photos": "on", "only_me": "on"},
    )
    assert upload(client, collecting_session, ("me.jpg", images.face_jpeg(0))).status_code == 200


def test_a_restriction_stops_uploads(client, alice, collecting_session):
    from privacy.services import restriction_place

    restriction_place(user=alice, kind="restriction")
    assert upload(client, collecting_session, ("me.jpg", images.face_jpeg(0))).status_code == 403
    assert not SourcePhoto.objects.exists()


# --- the pipeline ---------------------------------------------------------------------------


def test_an_accepted_photo_is_oriented_stripped_and_reencoded(client, collecting_session):
    face = images.face_image(0)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    exif[0x010F] = "CameraMaker"
    exif.get_ifd(0x8825)[1] = "N"  # GPS latitude reference
    stored_sideways = face.transpose(Image.Transpose.ROTATE_90)
    data = images.encode(stored_sideways, "JPEG", exif=exif.tobytes(), comment=b"secret note")
    result = upload(client, collecting_session, ("IMG_0001.jpg", data), json=True).json()
    assert result["results"][0]["accepted"], result
    photo = SourcePhoto.objects.get()
    with photo.image.open("rb") as fh:
        kept = fh.read()
    out = Image.open(io.BytesIO(kept))
    assert out.format == "JPEG"
    assert out.size == face.size == (photo.width, photo.height)
    assert not out.getexif()
    assert "comment" not in out.info and "icc_profile" not in out.info and "exif" not in out.info
    assert b"CameraMaker" not in kept and b"secret note" not in kept


def test_a_phone_jpeg_with_an_extra_mpf_picture_is_accepted(client, collecting_session):
    data = images.phone_jpeg_with_extra_picture()
    result = upload(client, collecting_session, ("IMG_1.jpg", data), json=True).json()
    assert result["results"][0]["accepted"], result


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "HEIF"])
def test_png_webp_and_heic_are_accepted(client, collecting_session, fmt):
    data = images.encode(images.face_image(0), fmt)
    result = upload(client, collecting_session, ("photo.bin", data), json=True).json()
    assert result["results"][0]["accepted"], result


BAD_FILES = {
    "truncated": (images.truncated, "damaged or incomplete"),
    "zero_bytes": (lambda: b"", "The file is empty."),
    "wrong_extension_text": (lambda: b"hello, this is a text file", "not a photo we can read"),
    "png_bomb": (images.png_bomb, "far too large"),
    "huge_exif": (images.huge_exif_jpeg, "hidden data"),
    "cmyk": (images.cmyk_jpeg, "CMYK"),
    "sixteen_bit": (images.png16, "16-bit"),
    "animated": (images.animated_webp, "Animated images"),
    "animated_png": (images.apng, "Animated images"),
    "gif_named_jpg": (images.animated_gif_named_jpg, "not a photo we can read"),
    "svg_named_jpg": (lambda: images.SVG, "not a photo we can read"),
    "html_named_jpg": (lambda: images.HTML, "not a photo we can read"),
    "polyglot": (images.polyglot, "something other than a photo"),
    "no_face": (images.cat_jpeg, "could not find a face"),
    "two_people": (images.two_people, "more than one face"),
    "too_small": (lambda: images.face_jpeg(0, size=300), "too small"),
}


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_bad_files_are_refused_with_a_reason_and_leave_nothing(client, collecting_session, kind):
    make, reason = BAD_FILES[kind]
    before = stored_files()
    response = upload(client, collecting_session, ("photo.jpg", make()), json=True)
    assert response.status_code == 200
    verdict = response.json()["results"][0]
    assert not verdict["accepted"]
    assert reason in verdict["reason"]
    assert stored_files() == before
    assert not SourcePhoto.objects.exists()


def test_markup_is_found_anywhere_in_any_case_as_a_plain_search_finds_it():
    # `_hidden_content` searches the bytes in a faster way: its answer is a substring search's.
    import numpy as np

    from sessions_app.photos import _MARKUP, _ZIP_END, _hidden_content

    def plain(data):
        lowered = data.lower()
        return any(m in lowered for m in _MARKUP) or _ZIP_END in data[-(65535 + 22) :]

    rng = np.random.default_rng(12)
    checked = {True: 0, False: 0}
    for _ in range(2000):
        data = bytearray(rng.integers(0, 256, int(rng.integers(0, 400)), dtype=np.uint8).tobytes())
        marker = _MARKUP[int(rng.integers(len(_MARKUP)))]
        # Any letter in either case; sometimes cut short (not a match), sometimes at the very end.
        marker = bytes(b ^ 0x20 if chr(b).isalpha() and rng.random() < 0.5 else b for b in marker)
        marker = marker[: int(rng.integers(1, len(marker) + 1))]
        at = len(data) if rng.random() < 0.2 else int(rng.integers(0, len(data) + 1))
        data[at:at] = marker
        data = bytes(data)
        assert _hidden_content(data) == plain(data), data
        checked[plain(data)] += 1
    assert min(checked.values()) > 200
    photo = images.face_jpeg(0)
    assert not _hidden_content(photo)
    assert _hidden_content(photo + b"<ScRiPt>") and _hidden_content(b"%PDF-" + photo)


def test_a_bad_file_without_javascript_gets_the_page_with_its_reason(client, collecting_session):
    response = upload(client, collecting_session, ("evil.jpg", images.SVG))
    assert response.status_code == 200
    assert b"Not accepted" in response.content
    assert b"not a photo we can read" in response.content


def test_reasons_are_in_the_customers_language(client, collecting_session):
    response = client.post(
        f"/ko/sessions/{collecting_session.public_id}/photos/",
        {"photos": [SimpleUploadedFile("a.jpg", b"", "image/jpeg")]},
        HTTP_ACCEPT="application/json",
    )
    from django.utils import translation

    from sessions_app.photos import REASONS

    with translation.override("ko"):
        expected = str(REASONS["empty"])
    assert response.json()["results"][0]["reason"] == expected


def test_blurry_and_duplicate_photos_are_refused(client, collecting_session):
    from PIL import ImageFilter

    blurry = images.encode(images.face_image(0).filter(ImageFilter.GaussianBlur(4)), "JPEG")
    assert (
        "too blurry"
        in upload(client, collecting_session, ("b.jpg", blurry), json=True).json()["results"][0][
            "reason"
        ]
    )
    assert upload(client, collecting_session, ("a.jpg", images.face_jpeg(0)), json=True).json()[
        "results"
    ][0]["accepted"]
    # The same photo, recoloured and re-saved: a near-duplicate.
    again = images.encode(images.face_image(0, tint=(0.9, 1.0, 1.0)), "JPEG", quality=70)
    verdict = upload(client, collecting_session, ("a2.jpg", again), json=True).json()
    assert "almost the same" in verdict["results"][0]["reason"]
    assert SourcePhoto.objects.count() == 1


def test_several_files_at_once_without_javascript(client, collecting_session):
    response = upload(
        client,
        collecting_session,
        ("one.jpg", images.face_jpeg(1)),
        ("two.jpg", images.face_jpeg(2)),
        ("cat.jpg", images.cat_jpeg()),
    )
    assert response.status_code == 200
    assert SourcePhoto.objects.count() == 2
    assert response.content.count(b"verdict-ok") == 2


@pytest.mark.promise("P23")
def test_only_technical_measures_are_stored(client, collecting_session):
    upload(client, collecting_session, ("me.jpg", images.face_jpeg(0)))
    words = {w for f in SourcePhoto._meta.get_fields() for w in f.name.split("_")}
    for trait in ("age", "gender", "sex", "ethnicity", "race", "emotion", "expression", "beauty"):
        assert trait not in words, trait
    photo = SourcePhoto.objects.get()
    assert len(photo.face_box) == 4 and photo.sharpness > 0 and len(photo.phash) == 16


# --- private files, deletion, submission ----------------------------------------------------


def test_photos_are_served_to_their_owner_only(client, alice, bob, collecting_session):
    upload(client, collecting_session, ("me.jpg", images.face_jpeg(0)))
    photo = SourcePhoto.objects.get()
    base = f"/en/sessions/{collecting_session.public_id}/photos/{photo.pk}"
    response = client.get(f"{base}/image/")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert "no-store" in response["Cache-Control"]
    assert client.get(f"{base}/thumb/")["Content-Type"] == "image/webp"
    client.force_login(bob)
    for url in (
        f"{base}/image/",
        f"{base}/thumb/",
        f"/en/sessions/{collecting_session.public_id}/photos/",
        f"/en/sessions/{collecting_session.public_id}/consent/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"{base}/delete/").status_code == 404
    assert upload(client, collecting_session, ("x.jpg", images.face_jpeg(1))).status_code == 404
    assert client.post(f"/en/sessions/{collecting_session.public_id}/submit/").status_code == 404
    assert SourcePhoto.objects.count() == 1
    # Photo files are nowhere under a public URL.
    client.logout()
    assert client.get(f"{base}/image/").status_code == 302


def test_bobs_session_id_with_alices_photo_id_is_404(
    client, alice, bob, collecting_session, make_session
):
    upload(client, collecting_session, ("me.jpg", images.face_jpeg(0)))
    photo = SourcePhoto.objects.get()
    bobs = make_session(bob, "collecting_photos")
    client.force_login(bob)
    assert client.get(f"/en/sessions/{bobs.public_id}/photos/{photo.pk}/image/").status_code == 404


@pytest.mark.django_db(transaction=True)  # the erasure's bytes go at commit
@pytest.mark.promise("P08")
def test_the_customer_deletes_an_accepted_photo_and_what_was_made_from_it(
    client, alice, collecting_session, make_session
):
    from django.core.files.base import ContentFile

    from generation.models import TrainingArtifact
    from pictureus.storage import private_storage
    from privacy.models import DeletionReceipt

    upload(client, collecting_session, ("me.jpg", images.face_jpeg(0)))
    upload(client, collecting_session, ("me2.jpg", images.face_jpeg(1)))
    photo, kept = SourcePhoto.objects.order_by("pk")
    # Latents cached from the session's photos (a training that was stopped), and another
    # session of the same customer with a photo and weights of its own.
    other = make_session(alice, "collecting_photos")
    for session in (collecting_session, other):
        artifact = TrainingArtifact(photo_session=session, kind="latents", sha256="0" * 64)
        artifact.file.save("latents.safetensors", ContentFile(b"latents"), save=False)
        artifact.save()
    other_photo = SourcePhoto(photo_session=other, sha256="1" * 64, width=8, height=8)
    other_photo.image.save("x.jpg", ContentFile(b"other"), save=False)
    other_photo.save()
    storage = private_storage()
    names = {
        "photo": [photo.image.name, photo.thumbnail.name],
        "latents": [TrainingArtifact.objects.get(photo_session=collecting_session).file.name],
        "kept": [kept.image.name, other_photo.image.name]
        + [a.file.name for a in TrainingArtifact.objects.filter(photo_session=other)],
    }
    assert all(storage.exists(n) for group in names.values() for n in group)
    response = client.post(f"/en/sessions/{collecting_session.public_id}/photos/{photo.pk}/delete/")
    assert response.status_code == 302
    assert list(SourcePhoto.objects.filter(photo_session=collecting_session)) == [kept]
    assert not any(storage.exists(n) for n in names["photo"] + names["latents"])
    assert all(storage.exists(n) for n in names["kept"])
    # What was made from the photo goes with it; nothing of the other session does.
    assert not TrainingArtifact.objects.filter(photo_session=collecting_session).exists()
    assert TrainingArtifact.objects.filter(photo_session=other).exists()
    assert SourcePhoto.objects.filter(pk=other_photo.pk).exists()
    # A content-free receipt stays for each file.
    assert DeletionReceipt.objects.filter(category="originals").count() == 2
    assert DeletionReceipt.objects.filter(category="training_cache").count() == 1
    # The audit log says who deleted which photo, and why.
    from privacy.models import AuditEvent

    (event,) = AuditEvent.objects.filter(action="photo.deleted")
    assert (event.actor, event.subject, event.object_id) == (
        alice, alice, str(collecting_session.pk),
    )  # fmt: skip
    assert event.detail == {"photo": photo.pk, "reason": "request"}


def test_submit_needs_ten_photos_then_queues_for_generation(client, collecting_session):
    from generation.models import GenerationJob

    fill(client, collecting_session, 9)
    client.post(f"/en/sessions/{collecting_session.public_id}/submit/")
    collecting_session.refresh_from_db()
    assert collecting_session.state == "collecting_photos"
    fill_one = upload(client, collecting_session, ("10.jpg", images.face_jpeg(9)), json=True)
    assert fill_one.json()["can_submit"]
    response = client.post(f"/en/sessions/{collecting_session.public_id}/submit/")
    assert response.status_code == 302
    collecting_session.refresh_from_db()
    assert collecting_session.state == "queued"
    assert GenerationJob.objects.filter(photo_session=collecting_session).exists()
    # The session page now shows generation's progress panel.
    page = client.get(f"/en/sessions/{collecting_session.public_id}/")
    assert b"gen-progress" in page.content
    # No more uploads once queued.
    late = upload(client, collecting_session, ("11.jpg", images.face_jpeg(10)), json=True)
    assert late.status_code == 409


@pytest.mark.django_db(transaction=True)  # the erasure's bytes go at commit
def test_s3_private_storage_keeps_photos_private(client, collecting_session, s3_private_storage):
    import urllib.request

    upload(client, collecting_session, ("me.jpg", images.face_jpeg(0)))
    photo = SourcePhoto.objects.get()
    keys = s3_private_storage.client.list_objects_v2(Bucket=s3_private_storage.name)["Contents"]
    assert {k["Key"] for k in keys} == {photo.image.name, photo.thumbnail.name}
    response = client.get(f"/en/sessions/{collecting_session.public_id}/photos/{photo.pk}/image/")
    assert response.status_code == 302
    url = response["Location"]
    assert "X-Amz-Expires=300" in url and "X-Amz-Signature=" in url
    with urllib.request.urlopen(url) as fetched:  # noqa: S310 - the local test S3 server
        assert Image.open(io.BytesIO(fetched.read())).format == "JPEG"
    # The same object without a signature is refused: the bucket is private.
    bare = url.split("?")[0]
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(bare)  # noqa: S310
    # A refused file leaves nothing in the bucket either.
    upload(client, collecting_session, ("evil.jpg", images.polyglot()))
    keys = s3_private_storage.client.list_objects_v2(Bucket=s3_private_storage.name)["Contents"]
    assert len(keys) == 2
    # Deleting removes the objects.
    client.post(f"/en/sessions/{collecting_session.public_id}/photos/{photo.pk}/delete/")
    listing = s3_private_storage.client.list_objects_v2(Bucket=s3_private_storage.name)
    assert listing.get("KeyCount", 0) == 0


def test_photos_checked_at_the_same_time_in_several_threads_all_get_a_verdict():
    # A threaded server checks several uploads of one customer at once.
    from concurrent.futures import ThreadPoolExecutor

    from sessions_app.photos import photo_process
    from tests.sessions.images import face_jpeg

    photos = [face_jpeg(n) for n in range(6)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(photo_process, photos))
    assert all(len(result.face_box) == 4 for result in results)


def test_the_jpeg_encoded_beside_the_descriptor_is_the_same_as_encoded_alone(monkeypatch):
    # The full-size JPEG is encoded on a second thread into an in-memory file; without one
    # (another system) it is encoded into a BytesIO: the same bytes either way.
    import os

    from sessions_app import photos
    from tests.sessions.images import face_jpeg

    data = face_jpeg(0)
    threaded = photos.photo_process(data)

    def no_memfd(*args):
        raise OSError("no memfd here")

    monkeypatch.setattr(os, "memfd_create", no_memfd)
    alone = photos.photo_process(data)
    assert threaded.jpeg == alone.jpeg and threaded.thumbnail == alone.thumbnail
    assert Image.open(io.BytesIO(threaded.jpeg)).size == (threaded.width, threaded.height)
    assert (threaded.descriptor == alone.descriptor).all()


def test_a_failed_encoding_fails_the_upload_and_leaves_no_thread(monkeypatch):
    import threading

    from sessions_app import photos
    from tests.sessions.images import face_jpeg

    def broken(*args):
        raise OSError("encoder failed")

    monkeypatch.setattr(photos, "_jpeg", broken)
    with pytest.raises(OSError, match="encoder failed"):
        photos.photo_process(face_jpeg(0))
    assert not [t for t in threading.enumerate() if t.name == "photo-encode"]


# --- what the photos page says about "Make my portraits" ------------------------------------

TOO_FEW = {
    "en": "Add at least 10 photos to continue — 7 so far.",
    "ko": "계속하려면 사진을 10장 이상 추가해 주세요. 지금까지 7장입니다.",
}


def submit_control(html: str) -> tuple[str, str]:
    """The "Make my portraits" button's tag and the text of what its aria-describedby names."""
    button = html.split('id="submit-button"')[1].split(">")[0]
    described_by = button.split('aria-describedby="')[1].split('"')[0]
    reason = html.split(f'id="{described_by}"')[1].split(">", 1)[1].split("</")[0]
    return button, " ".join(reason.split())


@pytest.mark.parametrize("language", ["en", "ko"])
def test_too_early_a_submit_is_refused_and_the_page_says_why(client, collecting_session, language):
    fill(client, collecting_session, 7)
    response = client.post(
        f"/{language}/sessions/{collecting_session.public_id}/submit/", follow=True
    )
    collecting_session.refresh_from_db()
    assert collecting_session.state == "collecting_photos"
    assert response.redirect_chain[-1][0].endswith("/photos/")
    messages = [str(m) for m in response.context["messages"]]
    assert messages == [TOO_FEW[language]]
    # The photos page it lands on shows the button disabled, the reason tied to it.
    button, reason = submit_control(response.content.decode())
    assert "disabled" in button
    assert reason == TOO_FEW[language]


@pytest.mark.parametrize("language", ["en", "ko"])
def test_the_reason_follows_each_accepted_and_deleted_photo(client, collecting_session, language):
    fill(client, collecting_session, 6)
    url = f"/{language}/sessions/{collecting_session.public_id}/photos/"
    accepted = client.post(
        url,
        {"photos": [SimpleUploadedFile("7.jpg", images.face_jpeg(6), "image/jpeg")]},
        HTTP_ACCEPT="application/json",
    ).json()
    assert (accepted["accepted"], accepted["can_submit"]) == (7, False)
    assert accepted["submit_reason"] == TOO_FEW[language]
    # Deleting one, from the same page without leaving it, says so too.
    photo = SourcePhoto.objects.latest("pk")
    deleted = client.post(f"{url}{photo.pk}/delete/", HTTP_ACCEPT="application/json").json()
    assert (deleted["accepted"], deleted["can_submit"]) == (6, False)
    assert deleted["submit_reason"] == TOO_FEW[language].replace("7", "6")
    assert not SourcePhoto.objects.filter(pk=photo.pk).exists()
    assert deleted["count_text"] in client.get(url).content.decode()


def test_enough_photos_enable_the_button_and_drop_the_reason(client, collecting_session):
    fill(client, collecting_session, 10)
    html = client.get(f"/en/sessions/{collecting_session.public_id}/photos/").content.decode()
    button = html.split('id="submit-button"')[1].split(">")[0]
    assert "disabled" not in button and "aria-describedby" not in button
    assert "so far" not in html


def test_the_upload_form_posts_without_javascript(client, collecting_session):
    # One file control and a button that sends the chosen files: the way without JavaScript.
    html = client.get(f"/en/sessions/{collecting_session.public_id}/photos/").content.decode()
    form = html.split('id="upload-form"')[1].split("</form>")[0]
    assert form.count('type="file"') == 1
    assert 'type="submit"' in form
