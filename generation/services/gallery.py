"""The delivered gallery: its portraits, the version its page is cached on, favourites, the
streamed zip, and the styles that fell short of the plan."""

import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.db.models.fields.files import FieldFile
from zipstream import ZIP_STORED, ZipStream

from accounts.models import User
from generation.models import GenerationJob, Portrait
from pictureus.db import prepared_cursor
from sessions_app.models import PhotoSession

State = PhotoSession.State


def gallery_portraits(*, photo_session: PhotoSession) -> QuerySet[Portrait]:
    """The delivered portraits: finished jobs only, never a regeneration still in progress."""
    return (
        Portrait.objects.filter(
            photo_session=photo_session, job__state=GenerationJob.State.SUCCEEDED
        )
        .exclude(image="")
        .select_related("style")
        # Most like the customer first within each style; unscored ones keep their order.
        .order_by(F("likeness").desc(nulls_last=True), "index", "id")
    )


def gallery_version(*, user: User, public_id: uuid.UUID | str) -> tuple[Any, ...] | None:
    """What the gallery shows changes only with these: the session's last save, its jobs (how
    many, how many still working, the last to finish) and its portraits (how many, the last
    change, favourites included). None while a job is queued or running (progress moves by the
    second), and for a session that is not the user's (the view's access check then answers).
    """
    public_id = PhotoSession._meta.get_field("public_id").get_db_prep_value(public_id, connection)
    with prepared_cursor() as cursor:
        cursor.execute(GALLERY_VERSION_SQL, [*GenerationJob.ACTIVE_STATES, public_id, user.pk])
        row = cursor.fetchone()
    # No row: not this user's session. A job still working: "1 ..." and up; none at all: NULL.
    if row is None or (row[1] and not row[1].startswith("0 ")):
        return None
    return row


# One statement in plain SQL, planned once per connection: the gallery asks it on every view,
# and building it with the ORM costs several times what running it does.
GALLERY_VERSION_SQL = (  # noqa: S608 - table names from the models' own metadata
    "SELECT s.updated_at, "
    "(SELECT SUM(CASE WHEN j.state IN ({working}) THEN 1 ELSE 0 END) || ' ' || COUNT(*) || ' ' "
    "|| COALESCE(CAST(MAX(j.finished_at) AS TEXT), '') "
    "FROM {jobs} j WHERE j.photo_session_id = s.id), "
    "(SELECT COUNT(*) || ' ' || COALESCE(CAST(MAX(p.updated_at) AS TEXT), '') "
    "FROM {portraits} p WHERE p.photo_session_id = s.id) "
    "FROM {sessions} s WHERE s.public_id = %s AND s.user_id = %s"
).format(
    working=", ".join(["%s"] * len(GenerationJob.ACTIVE_STATES)),
    jobs=GenerationJob._meta.db_table,
    portraits=Portrait._meta.db_table,
    sessions=PhotoSession._meta.db_table,
)


@transaction.atomic
def portrait_favourite_set(*, portrait: Portrait, favourite: bool) -> Portrait:
    portrait.favourite = favourite
    portrait.save(update_fields=["favourite", "updated_at"])
    return portrait


def gallery_zip(*, portraits: Iterable[Portrait], chunk_size: int = 256 * 1024) -> ZipStream:
    """A zip of the portraits' full-size files (zipstream-ng), streamed piece by piece and
    never whole in memory. PNGs are already compressed, so entries are stored, and the zip's
    length is known before it is sent (`len()`), so browsers show the download's progress.
    """
    archive = ZipStream(compress_type=ZIP_STORED, sized=True)
    names = set()
    for portrait in portraits:
        name = portrait.download_name()
        if name in names:
            name = f"{portrait.pk}-{name}"
        names.add(name)
        archive.add(_file_chunks(portrait.image, chunk_size), name, size=portrait.image.size)
    return archive


def _file_chunks(fieldfile: FieldFile, chunk_size: int) -> Iterator[bytes]:
    """The file's bytes, opened only when the zip reaches it."""
    with fieldfile.open("rb") as src:
        yield from iter(lambda: src.read(chunk_size), b"")


def gallery_shortfall(*, photo_session: PhotoSession) -> dict[int, tuple[int, ...]]:
    """For each style of the gallery that fell short: (delivered, promised), from the job that
    made its portraits."""
    shortfall: dict[int, tuple[int, ...]] = {}
    jobs = photo_session.generation_jobs.filter(
        state=GenerationJob.State.SUCCEEDED,
        kind__in=[
            GenerationJob.Kind.GENERATION,
            GenerationJob.Kind.REGENERATION,
            GenerationJob.Kind.ADDON,
        ],
    ).order_by("finished_at", "id")
    for job in jobs:
        for style_id, numbers in job.shortfall.items():
            shortfall[int(style_id)] = tuple(numbers)
        if (
            job.kind == GenerationJob.Kind.REGENERATION
            and job.style_id is not None
            and str(job.style_id) not in job.shortfall
        ):
            # A later regeneration of the style that delivered in full clears it.
            shortfall.pop(job.style_id, None)
    return shortfall
