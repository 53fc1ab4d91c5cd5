"""What a training job reads and writes: its own session's photos and training files only
(P04, P05)."""

import hashlib
import logging
from typing import NamedTuple

from django.core.files.base import ContentFile
from django.db import transaction

from generation.models import GenerationJob, TrainingArtifact
from privacy import services as privacy_services
from sessions_app.models import PhotoSession, SourcePhoto

from .checks import job_check_may_continue
from .erasure import Reason, artifact_receipt_category

logger = logging.getLogger(__name__)


class PrivacyViolation(AssertionError):
    """A job was about to read something that is not its own session's (P04, P05)."""


class TrainingPhoto(NamedTuple):
    """One photo as the trainer reads it. `sha256` is of the bytes read (SourcePhoto.sha256
    while the file is intact): with `pk` it keys the training cache to this exact photo set."""

    pk: int
    sha256: str
    data: bytes
    face_box: list


def training_photos(*, job: GenerationJob) -> list[TrainingPhoto]:
    """The accepted photos of the job's own session, in upload order (P04, P05).

    Every photo is checked, in code, to belong to this session and to its owner; anything
    else stops the job before a byte is read.
    """
    photo_session = PhotoSession.objects.get(pk=job.photo_session_id)
    photos = list(SourcePhoto.objects.filter(photo_session_id=photo_session.pk))
    result = []
    for photo in photos:
        owner_id = PhotoSession.objects.filter(pk=photo.photo_session_id).values_list(
            "user_id", flat=True
        )[0]
        if photo.photo_session_id != photo_session.pk or owner_id != photo_session.user_id:
            raise PrivacyViolation(f"photo {photo.pk} is not from session {photo_session.pk}")
        with photo.image.open("rb") as fh:
            data = fh.read()
        sha256 = hashlib.sha256(data).hexdigest()
        result.append(TrainingPhoto(photo.pk, sha256, data, photo.face_box))
    privacy_services.audit_log(
        action="generation.photos_read",
        subject=photo_session.user,
        obj=photo_session,
        detail={"job": job.pk, "photos": [photo.pk for photo in photos]},
    )
    return result


def artifact_latest(*, job: GenerationJob, kind: str) -> TrainingArtifact | None:
    """The newest artifact of a kind among the job's own session's only (P05): another
    session's cache or weights are never a candidate, whatever key they carry."""
    return (
        TrainingArtifact.objects.filter(photo_session_id=job.photo_session_id, kind=kind)
        .order_by("-step", "-created_at", "-id")
        .first()
    )


def artifact_read(*, job: GenerationJob, kind: str) -> tuple[bytes, int] | None:
    """The newest artifact of a kind for the job's own session, as (bytes, step)."""
    artifact = artifact_latest(job=job, kind=kind)
    if artifact is None:
        return None
    if artifact.photo_session_id != job.photo_session_id:
        raise PrivacyViolation("an artifact of another session")
    try:
        with artifact.file.open("rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        return None
    if hashlib.sha256(data).hexdigest() != artifact.sha256:
        logger.warning("artifact %s is damaged; ignored", artifact.pk)
        return None
    return data, artifact.step


def artifact_save(
    *, job: GenerationJob, kind: str, data: bytes, filename: str, step: int = 0
) -> TrainingArtifact:
    """Store a file made from the session's photos; older ones of the same kind are erased."""
    job_check_may_continue(job=job)
    photo_session = PhotoSession.objects.select_related("user").get(pk=job.photo_session_id)
    artifact = TrainingArtifact(
        photo_session=photo_session,
        job=job,
        kind=kind,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        step=step,
    )
    artifact.file.save(filename, ContentFile(data), save=False)
    with transaction.atomic():
        artifact.save()
        older = TrainingArtifact.objects.filter(photo_session=photo_session, kind=kind).exclude(
            pk=artifact.pk
        )
        for old in older:
            privacy_services.file_erase(
                fieldfile=old.file,
                subject=photo_session.user,
                reason=Reason.SUPERSEDED,
                category=artifact_receipt_category(old),
                # Its hash was taken as it was written: never read a large file back for it.
                content_sha256=old.sha256,
            )
            old.delete()
    return artifact
