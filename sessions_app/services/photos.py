"""A session's photos: accepting an upload (duplicates, someone else's face), the likeness of
the set, and deleting a photo with whatever was made from it.
"""

import contextlib
import hashlib
import threading
from collections import OrderedDict

from django.db import transaction
from django.utils import timezone

from privacy.services import audit_log

from ..models import PhotoSession, SourcePhoto
from .states import MAX_PHOTOS, InvalidTransition

S = PhotoSession.State


@transaction.atomic
def photo_delete(*, photo: SourcePhoto, reason: str, actor=None) -> None:
    """Delete an accepted photo: its bytes, its thumbnail, its row, and whatever was already
    made from the session's photos (cached latents, weights); a receipt stays for each (P08)."""
    from privacy.models import RetentionPolicy
    from privacy.services import file_erase, session_data_erase

    photo_session = photo.photo_session
    subject = photo_session.user
    file_erase(
        fieldfile=photo.image,
        subject=subject,
        reason=reason,
        category="originals",
        content_sha256=photo.sha256,
    )
    if photo.thumbnail:
        file_erase(fieldfile=photo.thumbnail, subject=subject, reason=reason, category="originals")
    audit_log(
        action="photo.deleted",
        actor=actor,
        subject=subject,
        obj=photo_session,
        detail={"photo": photo.pk, "reason": reason[:200]},
    )
    photo.delete()
    session_data_erase(
        photo_session=photo_session,
        categories={RetentionPolicy.Category.TRAINING_ARTIFACTS},
        reason=reason,
        actor=actor,
    )
    # Without it, the set may show its person differently (the stranger was deleted).
    photos_likeness_update(photo_session=photo_session)


# Descriptors of accepted photos, kept in this process's memory only (never stored, P23) so
# that each upload is compared with the whole session without redoing every face: a miss
# (another process, a restart) recomputes one from the photo's thumbnail and face box.
_DESCRIPTORS: OrderedDict = OrderedDict()
_DESCRIPTORS_AT_MOST = 4096
_descriptors_lock = threading.Lock()


def _descriptor_remember(photo: SourcePhoto, descriptor) -> None:
    with _descriptors_lock:
        _DESCRIPTORS[(photo.pk, photo.sha256)] = descriptor
        while len(_DESCRIPTORS) > _DESCRIPTORS_AT_MOST:
            _DESCRIPTORS.popitem(last=False)


def photo_descriptor(photo: SourcePhoto):
    """An accepted photo's face descriptor, in memory only (see above); None without a face."""
    from PIL import Image

    from pictureus import faces

    with _descriptors_lock:
        known = _DESCRIPTORS.get((photo.pk, photo.sha256))
    if known is not None:
        return known
    if not (photo.thumbnail and photo.face_box):
        return None
    with photo.thumbnail.open("rb") as stored:
        thumb = Image.open(stored)
        thumb.load()
    scale = thumb.width / photo.width
    descriptor = faces.descriptor(faces.face_at(thumb, [v * scale for v in photo.face_box]))
    _descriptor_remember(photo, descriptor)
    return descriptor


def _descriptors_ready(photos) -> None:
    """Have the photos' descriptors in memory, reading each missing one's thumbnail now.

    Done before taking a session's lock, so that after a restart one upload does not hold up
    the session's others while it reads every thumbnail: under the lock only a photo accepted
    meanwhile by another process is still to be read. A photo deleted meanwhile (its thumbnail
    gone) is skipped here; the set taken under the lock no longer holds it either.
    """
    for photo in photos:
        with contextlib.suppress(OSError, ValueError):
            photo_descriptor(photo)


def _likeness_of_set(photos, extra=None) -> dict:
    """Each photo's likeness to the person most of them show (`extra`: the one being added,
    under the key "new")."""
    from pictureus import faces

    descriptors = {photo.pk: photo_descriptor(photo) for photo in photos}
    descriptors = {key: d for key, d in descriptors.items() if d is not None}
    if extra is not None:
        descriptors["new"] = extra
    return faces.set_likeness(descriptors)


def photos_likeness_update(*, photo_session: PhotoSession) -> None:
    """Score every photo of the session against the person most of them show."""
    photos = list(photo_session.photos.all())
    scores = _likeness_of_set(photos)
    for photo in photos:
        photo.likeness = scores.get(photo.pk)
    SourcePhoto.objects.bulk_update(photos, ["likeness"])


def photo_accept(*, photo_session: PhotoSession, processed) -> SourcePhoto:
    """Store one photo that passed the pipeline; refuse it when the session is full or it
    duplicates a photo accepted meanwhile (checked under the session's lock).
    """
    from django.core.files.base import ContentFile

    from ..photos import DUPLICATE_DISTANCE, PhotoRejected, hash_distance

    # Outside the lock: on a miss each descriptor is read again from its photo's thumbnail.
    if processed.descriptor is not None and photo_session.state == S.COLLECTING_PHOTOS:
        others = list(photo_session.photos.all())
        if len(others) < MAX_PHOTOS:
            _descriptors_ready(others)
    with transaction.atomic():
        locked = PhotoSession.objects.select_for_update().get(pk=photo_session.pk)
        if locked.state != S.COLLECTING_PHOTOS:
            raise InvalidTransition(f"a session in {locked.state} takes no photos")
        known = list(locked.photos.values_list("phash", flat=True))
        if len(known) >= MAX_PHOTOS:
            raise PhotoRejected("session_full")
        if any(hash_distance(processed.phash, h) < DUPLICATE_DISTANCE for h in known if h):
            raise PhotoRejected("duplicate")
        # Someone else (a friend, a celebrity): refused against the whole set, so that the
        # first photo does not decide who the customer is (the terms: your own face only).
        others = list(locked.photos.all())
        scores = {}
        if processed.descriptor is not None:
            scores = _likeness_of_set(others, extra=processed.descriptor)
            if scores["new"] is not None and scores["new"] < 0.5:
                raise PhotoRejected("other_person")
        photo = SourcePhoto(
            photo_session=locked,
            sha256=hashlib.sha256(processed.jpeg).hexdigest(),
            width=processed.width,
            height=processed.height,
            face_box=processed.face_box,
            sharpness=processed.sharpness,
            phash=processed.phash,
        )
        try:
            photo.image.save("photo.jpg", ContentFile(processed.jpeg), save=False)
            photo.thumbnail.save("thumb.webp", ContentFile(processed.thumbnail), save=False)
            photo.save()
            if processed.descriptor is not None:
                _descriptor_remember(photo, processed.descriptor)
                # The set was scored with this photo in it above: keep those scores.
                photo.likeness = scores["new"]
                for other in others:
                    other.likeness = scores.get(other.pk)
                SourcePhoto.objects.bulk_update([photo, *others], ["likeness"])
            # An upload is activity: an undelivered session's photos are kept for the
            # abandoned-session period from its last change (the date it shows moves too).
            PhotoSession.objects.filter(pk=locked.pk).update(updated_at=timezone.now())
        except Exception:
            # Nothing of a photo that could not be recorded stays in storage.
            for fieldfile in (photo.image, photo.thumbnail):
                if fieldfile.name:
                    fieldfile.storage.delete(fieldfile.name)
            raise
    return photo
