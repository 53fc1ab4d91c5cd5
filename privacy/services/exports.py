"""Exports: the customer's data as JSON plus the files still held, built off-request (P12).

Walks the registry of personal data, so every holding an app declares is in the export.
"""

from __future__ import annotations

import datetime
import json
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core import signing
from django.core.files import File
from django.core.files.storage import Storage
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone, translation

from .. import registry
from ..models import DataExport, DataSubjectRequest
from ..registry import Holding
from .audit import audit_log
from .erasure import account_emails, owned_rows
from .errors import PrivacyError
from .mail import absolute_url, privacy_email
from .queue import enqueue_on_commit
from .requests import dsr_close
from .retention import retention_dates, retention_periods

if TYPE_CHECKING:
    from accounts.models import User

EXPORT_LINK_MAX_AGE = 7 * 24 * 3600


def _jsonable(row: models.Model, holding: Holding) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for field in row._meta.concrete_fields:
        if field.name in holding.unexported or isinstance(field, models.FileField):
            continue
        value = getattr(row, field.attname)
        plain = isinstance(value, int | float | bool | type(None) | dict | list)
        data[field.name] = value if plain else str(value)
    files = [name for name in holding.files if name not in holding.unexported_files]
    for name in files:
        fieldfile = getattr(row, name)
        data[name] = _arcname(row, holding, fieldfile.name) if fieldfile else None
    return data


def _arcname(row: models.Model, holding: Holding, file_name: str) -> str:
    return f"files/{holding.export_key}/{row.pk}-{Path(file_name).name}"


def export_data(*, user: User) -> dict[str, Any]:
    """The customer's data as JSON-ready structures: every holding of the registry, each under
    its own key, with the retention dates of every session (P12)."""
    emails = account_emails(user)
    lifecycle = registry.sessions()
    periods = retention_periods()
    data: dict[str, Any] = {}
    for holding in registry.holdings():
        if not holding.exported:
            continue
        rows = []
        for row in owned_rows(holding, user=user, emails=emails).order_by("pk"):
            item = _jsonable(row, holding)
            if isinstance(row, lifecycle.model):
                dates = retention_dates(photo_session=row, periods=periods)
                item["deletion_dates"] = {k: str(v) if v else None for k, v in dates.items()}
            rows.append(item)
        data[holding.export_key] = (rows[0] if rows else {}) if holding.single else rows
    for store in registry.stores():
        if store.export is not None:
            data[store.name] = store.export(user)
    return data


def _export_files(*, user: User) -> Iterator[tuple[str, Storage, str]]:
    """(arcname, storage, name) for every exported file the account still holds."""
    emails = account_emails(user)
    for holding in registry.holdings():
        names = [n for n in holding.files if n not in holding.unexported_files]
        if not names or not holding.exported:
            continue
        for row in owned_rows(holding, user=user, emails=emails).iterator(chunk_size=200):
            for name in names:
                fieldfile = getattr(row, name)
                if fieldfile:
                    yield _arcname(row, holding, fieldfile.name), fieldfile.storage, fieldfile.name


class _TempFile(File):
    def temporary_file_path(self) -> str:
        assert self.file is not None  # made around an open temporary file
        return self.file.name


def export_build(*, export: DataExport) -> DataExport:
    """Write the zip (JSON plus the photos and images still held) in constant memory."""
    user = export.user
    tmp_dir = Path(settings.DATA_DIR) / "tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    tmp = tempfile.NamedTemporaryFile(dir=tmp_dir, suffix=".zip", delete=False)  # noqa: SIM115
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
            payload = json.dumps(export_data(user=user), indent=2, ensure_ascii=False)
            zf.writestr("data.json", payload, compress_type=zipfile.ZIP_DEFLATED)
            for arcname, storage, name in _export_files(user=user):
                try:
                    with (
                        storage.open(name, "rb") as src,
                        zf.open(arcname, "w", force_zip64=True) as dst,
                    ):
                        shutil.copyfileobj(src, dst, 1 << 20)
                except FileNotFoundError:
                    continue
        size = tmp.tell()
        tmp.seek(0)
        # A filesystem storage moves the finished file into place instead of copying it.
        export.file.save("export.zip", _TempFile(tmp), save=False)
    finally:
        tmp.close()
        Path(tmp.name).unlink(missing_ok=True)
    now = timezone.now()
    DataExport.objects.filter(pk=export.pk).update(
        file=export.file.name,
        size=size,
        status=DataExport.Status.READY,
        ready_at=now,
        expires_at=now + datetime.timedelta(seconds=EXPORT_LINK_MAX_AGE),
    )
    export.refresh_from_db()
    audit_log(action="export.ready", subject=user, obj=export, detail={"size": size})
    return export


def export_link(export: DataExport) -> str:
    return reverse(
        "privacy:export_download",
        args=[signing.dumps(str(export.public_id), salt="privacy.export")],
    )


def export_from_token(token: str, *, user: User) -> DataExport:
    """The export a download link names, for its owner only; PrivacyError otherwise (audited)."""
    try:
        public_id = signing.loads(token, salt="privacy.export", max_age=EXPORT_LINK_MAX_AGE)
        export = DataExport.objects.get(
            public_id=public_id, user=user, status=DataExport.Status.READY
        )
    except signing.SignatureExpired as exc:
        audit_log(action="export.link_refused", actor=user, subject=user, detail={"why": "expired"})
        raise PrivacyError(translation.gettext("This download link has expired.")) from exc
    except (signing.BadSignature, DataExport.DoesNotExist, ValueError) as exc:
        audit_log(action="export.link_refused", actor=user, subject=user, detail={"why": "invalid"})
        raise PrivacyError(translation.gettext("This download link is not valid.")) from exc
    audit_log(action="export.downloaded", actor=user, subject=user, obj=export)
    return export


def export_request(*, user: User, request_obj: DataSubjectRequest | None = None) -> DataExport:
    """Start building an export off-request; the customer gets an email with the link."""
    with transaction.atomic():
        export = DataExport.objects.create(user=user, request=request_obj)
        audit_log(action="export.requested", actor=user, subject=user, obj=export)
        enqueue_on_commit("privacy.tasks.export_build", export.pk)
    return export


def export_notify(*, export: DataExport) -> None:
    """Email the owner the expiring link to a ready export (and close its request)."""
    user = export.user
    privacy_email(
        to=user.email,
        language=user.preferred_language,
        template="export_ready",
        context={"url": absolute_url(export_link(export)), "expires": export.expires_at},
        user=user,
    )
    if export.request is not None and export.request.is_open:
        dsr_close(dsr=export.request)
