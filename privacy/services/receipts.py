"""Deletion receipts in a hash chain, and erasing a stored file with its receipt (P10).

Core: imports no other app.
"""

import hashlib
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone

from ..models import DeletionReceipt
from .audit import real_user, subject_ref_for

GENESIS_HASH = "0" * 64


def _chain_lock() -> None:
    # One writer at a time extends the chain; SQLite's IMMEDIATE transactions already serialise.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [727274])


def receipt_append(
    *,
    subject,
    category: str,
    what: str,
    reason: str,
    content_sha256: str = "",
    storage_location: str = "",
    detail: str = "",
) -> DeletionReceipt:
    """Append a content-free deletion receipt to the hash chain."""
    with transaction.atomic():
        _chain_lock()
        prev = (
            DeletionReceipt.objects.order_by("-id").values_list("entry_hash", flat=True).first()
            or GENESIS_HASH
        )
        receipt = DeletionReceipt(
            subject=real_user(subject),
            subject_ref=subject_ref_for(subject),
            category=category,
            what=what[:200],
            content_sha256=content_sha256,
            storage_location=storage_location[:300],
            reason=reason,
            detail=detail[:200],
            deleted_at=timezone.now(),
            prev_hash=prev,
        )
        receipt.entry_hash = receipt.compute_hash()
        receipt.save()
    return receipt


def receipts_verify() -> list[str]:
    """Walk the receipt chain; return the problems found (empty when intact)."""
    problems = []
    prev = GENESIS_HASH
    rows = DeletionReceipt.objects.order_by("id").iterator(chunk_size=2000)
    for receipt in rows:
        if receipt.prev_hash != prev:
            problems.append(f"receipt {receipt.pk}: previous entry missing or altered")
        if receipt.compute_hash() != receipt.entry_hash:
            problems.append(f"receipt {receipt.pk}: content altered")
        prev = receipt.entry_hash
    return problems


def _storage_location(storage, name: str) -> str:
    bucket = getattr(storage, "bucket_name", None)
    where = f"s3://{bucket}" if bucket else "private"
    return f"{where}/{name}"


def _hash_stored_file(storage, name: str) -> str | None:
    try:
        with storage.open(name, "rb") as fh:
            digest = hashlib.sha256()
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
            return digest.hexdigest()
    except (FileNotFoundError, OSError):
        return None
    except Exception:  # noqa: BLE001 - S3 raises its own errors for a missing key
        return None


def file_erase(
    *,
    fieldfile,
    subject,
    reason: str,
    category: str,
    content_sha256: str = "",
) -> DeletionReceipt | None:
    """Delete a stored file's bytes from whichever storage holds it and write a receipt.

    Tolerates a file that is already gone (the receipt then says so). Returns None when the
    field holds no file at all.
    """
    if not fieldfile or not getattr(fieldfile, "name", ""):
        return None
    storage, name = fieldfile.storage, fieldfile.name
    digest = content_sha256 or _hash_stored_file(storage, name)
    storage.delete(name)
    return receipt_append(
        subject=subject,
        category=category,
        what=f"file {Path(name).name}",
        reason=reason,
        content_sha256=digest or "",
        storage_location=_storage_location(storage, name),
        detail="" if digest else "file was already missing",
    )
