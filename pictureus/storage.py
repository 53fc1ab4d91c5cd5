"""The private storage (STORAGES["private"]) as a lazy object that follows settings changes, the
names its files get, and the one way a private file is answered."""

import uuid
from typing import Any

from django.core.files.storage import Storage, storages
from django.core.signals import setting_changed
from django.db.models.fields.files import FieldFile
from django.dispatch import receiver
from django.http import FileResponse, Http404, HttpResponseBase, HttpResponseRedirect
from django.utils.deconstruct import deconstructible
from django.utils.functional import LazyObject, empty


class PrivateStorage(LazyObject):
    def _setup(self):
        self._wrapped = storages["private"]


_private = PrivateStorage()


def private_storage():
    """The storage for photos, LoRA weights and portraits; use as FileField(storage=...)."""
    return _private


@receiver(setting_changed)
def _reset_private_storage(*, setting, **kwargs):
    if setting == "STORAGES":
        _private._wrapped = empty


@deconstructible(path="pictureus.storage.SessionFilePath")
class SessionFilePath:
    """`upload_to` for a session's private files: sessions/<public id>/<folder>/<name>, the name
    random so that it says nothing of the content; `kind_prefix` puts the row's `kind` first."""

    def __init__(self, folder: str, suffix: str = "", kind_prefix: bool = False) -> None:
        self.folder, self.suffix, self.kind_prefix = folder, suffix, kind_prefix

    def __call__(self, instance: Any, filename: str) -> str:
        suffix = self.suffix or (filename.rsplit(".", 1)[-1] if "." in filename else "bin")
        name = f"{instance.kind}-{uuid.uuid4().hex}" if self.kind_prefix else uuid.uuid4().hex
        return f"sessions/{instance.photo_session.public_id}/{self.folder}/{name}.{suffix}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SessionFilePath) and vars(self) == vars(other)

    def __hash__(self) -> int:
        return hash((self.folder, self.suffix, self.kind_prefix))


def private_file_response(
    fieldfile: FieldFile,
    *,
    content_type: str | None = None,
    download_name: str = "",
    presign: bool = False,
) -> HttpResponseBase:
    """A private file for its owner or for audited staff, never kept by a browser or a proxy; a
    file that is not there is a 404. With `presign`, object storage answers with a signed URL
    that expires in minutes instead of streaming the bytes through the web tier."""
    if not fieldfile or not fieldfile.name:
        raise Http404
    storage, name = fieldfile.storage, fieldfile.name
    response: HttpResponseBase
    if presign and not _on_local_disk(storage, name):
        response = HttpResponseRedirect(storage.url(name))
    else:
        try:
            handle = storage.open(name, "rb")
        except FileNotFoundError:
            raise Http404 from None
        response = FileResponse(
            handle,
            content_type=content_type,
            as_attachment=bool(download_name),
            filename=download_name,
        )
    response["Cache-Control"] = "private, no-store"
    return response


def _on_local_disk(storage: Storage, name: str) -> bool:
    try:
        storage.path(name)
    except NotImplementedError:
        return False
    return True
