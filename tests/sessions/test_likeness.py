"""One person, the customer: a photo of someone else is refused, decided by the whole set."""

import io
import json
import logging
import re
import zipfile

import numpy as np
import pytest
from django.core.management import call_command
from django.utils import translation
from PIL import Image

from generation.likeness import portrait_likeness, session_references
from pictureus import faces
from privacy.models import DataExport
from privacy.services import export_build
from sessions_app.photos import REASONS
from tests.faces.dataset import collins, hopper, side_by_side

from . import images
from .test_uploads import fill, stored_files, upload


def stranger_jpeg() -> bytes:
    """Grace Hopper (tests/data/faces): the stranger among Alice's photos of the astronaut."""
    return images.encode(hopper().resize((800, 800)), "JPEG", quality=92)


def verdict(client, s, name, data, language="en"):
    return upload(client, s, (name, data), json=True, language=language).json()["results"][0]


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "ko"])
def test_a_strangers_photo_among_the_customers_is_refused_and_only_it(
    client, collecting_session, language
):
    s = collecting_session
    fill(client, s, 4)
    before = stored_files()
    result = verdict(client, s, "friend.jpg", stranger_jpeg(), language)
    with translation.override(language):
        assert result == {
            "name": "friend.jpg",
            "accepted": False,
            "reason": str(REASONS["other_person"]),
        }
    # Nothing of it is kept; the customer's own next photos still go in.
    assert stored_files() == before and s.photos.count() == 4
    assert verdict(client, s, "me.jpg", images.face_jpeg(4))["accepted"]
    assert all(0.5 <= p.likeness <= 1 for p in s.photos.all())


@pytest.mark.django_db
def test_the_set_decides_not_the_first_photo(client, collecting_session):
    s = collecting_session
    # The stranger comes first, then the customer: nobody is refused while no one person is
    # shown by most photos...
    assert verdict(client, s, "friend.jpg", stranger_jpeg())["accepted"]
    assert verdict(client, s, "me-0.jpg", images.face_jpeg(0))["accepted"]
    assert set(s.photos.values_list("likeness", flat=True)) == {None}
    # ...then the customer's third photo makes the set's person clear: the first one is marked.
    for n in range(1, 10):
        assert verdict(client, s, f"me-{n}.jpg", images.face_jpeg(n))["accepted"]
    friend = s.photos.order_by("created_at", "id").first()
    assert friend.looks_like_someone_else
    assert [p.looks_like_someone_else for p in s.photos.all()].count(True) == 1

    page = client.get(f"/en/sessions/{s.public_id}/photos/").content.decode()
    assert page.count("data-someone-else") == 1
    assert "One photo looks like a different person from the others." in page
    refused = client.post(f"/en/sessions/{s.public_id}/submit/", follow=True)
    assert "Please delete it to continue." in refused.content.decode()
    s.refresh_from_db()
    assert s.state == "collecting_photos"

    # Deleting that photo clears the way: ten photos of one person.
    client.post(f"/en/sessions/{s.public_id}/photos/{friend.pk}/delete/")
    assert not s.photos.filter(likeness__lt=0.5).exists() and s.photos.count() == 10
    client.post(f"/en/sessions/{s.public_id}/submit/")
    s.refresh_from_db()
    assert s.state == "queued"


@pytest.mark.django_db
def test_the_decision_survives_a_restart_of_the_web_process(client, collecting_session):
    # Descriptors live in memory only: after a restart they are recomputed from the photos.
    from sessions_app import services

    s = collecting_session
    fill(client, s, 3)
    services._DESCRIPTORS.clear()
    assert verdict(client, s, "friend.jpg", stranger_jpeg())["reason"] == str(
        REASONS["other_person"]
    )
    services._DESCRIPTORS.clear()
    assert verdict(client, s, "me.jpg", images.face_jpeg(3))["accepted"]


@pytest.fixture
def restarted(client, collecting_session):
    """A session with three photos, in a process that has not seen them (after a restart)."""
    from sessions_app import services

    fill(client, collecting_session, 3)
    services._DESCRIPTORS.clear()
    return collecting_session


@pytest.mark.django_db
def test_after_a_restart_the_thumbnails_are_read_before_the_sessions_lock(
    client, restarted, monkeypatch
):
    # Reading every thumbnail again must not hold up the session's other uploads.
    from sessions_app.services import photos

    s = restarted
    events = []
    face_at, atomic = faces.face_at, photos.transaction.atomic

    def read(*args):
        events.append("thumbnail")
        return face_at(*args)

    class Transaction:
        @staticmethod
        def atomic(*args, **kwargs):
            events.append("lock")
            return atomic(*args, **kwargs)

    monkeypatch.setattr(faces, "face_at", read)
    monkeypatch.setattr(photos, "transaction", Transaction)
    assert verdict(client, s, "me.jpg", images.face_jpeg(3))["accepted"]
    assert events.count("thumbnail") == 3
    assert "lock" in events and "thumbnail" not in events[events.index("lock") :]
    assert all(0.5 <= p.likeness <= 1 for p in s.photos.all())


@pytest.mark.django_db
def test_a_photo_deleted_while_an_upload_reads_the_set_does_not_fail_the_upload(
    client, restarted, monkeypatch
):
    from sessions_app.models import SourcePhoto
    from sessions_app.services import photos

    s = restarted
    gone = s.photos.order_by("id").first()
    descriptor = photos.photo_descriptor

    def deleted_meanwhile(photo):
        # The customer deletes it in another tab between the upload's read and its lock.
        if photo.pk == gone.pk and SourcePhoto.objects.filter(pk=gone.pk).exists():
            photos.photo_delete(photo=SourcePhoto.objects.get(pk=gone.pk), reason="test")
        return descriptor(photo)

    monkeypatch.setattr(photos, "photo_descriptor", deleted_meanwhile)
    assert verdict(client, s, "me.jpg", images.face_jpeg(3))["accepted"]
    assert s.photos.count() == 3 and not s.photos.filter(pk=gone.pk).exists()


_MANY_NUMBERS = re.compile(r"(-?\d+\.\d+[,\s]+){64}")


@pytest.mark.django_db
def test_descriptors_never_reach_the_database_the_logs_the_files_or_the_export(
    client, collecting_session, caplog
):
    s = collecting_session
    with caplog.at_level(logging.DEBUG):
        fill(client, s, 4)
        upload(client, s, ("friend.jpg", stranger_jpeg()))
    descriptors = []
    for photo in s.photos.all():
        with photo.image.open("rb") as stored:
            image = Image.open(io.BytesIO(stored.read()))
        descriptors.append(faces.descriptor(faces.find_faces(image)[0]))
    needles = [d.astype(np.float64).tobytes()[:64] for d in descriptors]
    needles += [d.astype(np.float32).tobytes()[:32] for d in descriptors]

    # Every row of every table, as text.
    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)
    assert not _MANY_NUMBERS.search(dump.getvalue()), "a long list of numbers is stored"
    # Every stored file (photos, thumbnails) and the customer's export.
    export = export_build(export=DataExport.objects.create(user=s.user))
    for path in stored_files():
        content = path.read_bytes()
        assert not any(needle in content for needle in needles), path
    with export.file.open("rb") as fh, zipfile.ZipFile(fh) as archive:
        data = json.loads(archive.read("data.json"))
    assert {photo["likeness"] for photo in data["photos"]} and not _MANY_NUMBERS.search(
        json.dumps(data)
    )
    # Logs.
    assert not _MANY_NUMBERS.search(caplog.text)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "language, policy, faq",
    [
        ("en", "it is kept in memory, never stored", "How do you check that the photos are of me?"),
        ("ko", "이 값은 메모리에만 있으며 저장하거나", "사진이 본인인지 어떻게 확인합니까?"),
    ],
)
def test_the_policy_and_the_faq_say_how_photos_are_compared(client, language, policy, faq):
    assert policy in client.get(f"/{language}/privacy/").content.decode()
    assert faq in client.get(f"/{language}/faq/").content.decode()


@pytest.mark.django_db
def test_a_portrait_scores_as_its_customer_and_not_as_someone_else(client, collecting_session):
    # Alice's photos show the astronaut; stand-ins play the generated portraits.
    fill(client, collecting_session, 4)
    references = session_references(photo_session=collecting_session)
    assert len(references) == 4
    own = collins().crop((60, 0, 460, 400)).resize((512, 512))
    assert portrait_likeness(own, references) >= 0.5
    assert portrait_likeness(hopper(), references) < 0.5
    # Nothing to score: no face (the tiny model's noise), two faces, or nothing to compare.
    noise = Image.fromarray(np.random.default_rng(1).integers(0, 255, (512, 512, 3), np.uint8))
    assert portrait_likeness(noise, references) is None
    assert portrait_likeness(side_by_side(collins(), hopper()), references) is None
    assert portrait_likeness(own, []) is None
