"""Deletion receipts in a keyed hash chain, and erasing a stored file with its receipt (P10).

Each entry carries an HMAC (settings.RECEIPT_CHAIN_KEY, kept outside the database) over its
content-free fields and the previous entry's hash, so an edit, a gap or a tail rewritten by
someone with only database access shows. A daily checkpoint of the head, signed with the same
key, is emailed to the privacy contact and logged, so a truncated tail shows too.

Core: imports no other app.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.storage import Storage
from django.db import connection, transaction
from django.db.models import Max
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from pictureus.storage import private_storage

from ..models import AuditEvent, DeletionReceipt, PendingFileDeletion
from .audit import audit_log, real_user, subject_ref_for
from .mail import privacy_email

if TYPE_CHECKING:
    from accounts.models import User

GENESIS_HASH = "0" * 64
CHECKPOINT_TAG = "pictureus-receipts-checkpoint/1"
ANCHORED = "receipts.anchored"
# A chain that failed its verification is not anchored (the problems are in the event).
ANCHOR_REFUSED = "receipts.anchor_refused"
# An anchoring run that could not finish after its retries (mail, storage, database).
ANCHOR_FAILED = "receipts.anchor_failed"
UNKEYED = DeletionReceipt.HashScheme.SHA256


def _chain_lock() -> None:
    # One writer at a time extends the chain; SQLite's IMMEDIATE transactions already serialise.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [727274])


def receipt_append(
    *,
    subject: User | None,
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
            hash_scheme=DeletionReceipt.HashScheme.HMAC_SHA256,
        )
        receipt.entry_hash = receipt.compute_hash()
        receipt.save()
    return receipt


@dataclasses.dataclass(frozen=True)
class Checkpoint:
    """The chain as it stood when anchored; genuine only with its signature."""

    count: int
    head: int  # the last entry's id; 0 for an empty chain
    hash: str  # the last entry's hash
    legacy: int  # the id of the last entry hashed without the key; 0 if none
    at: str

    def message(self) -> str:
        return (
            f"{CHECKPOINT_TAG} count={self.count} head={self.head} hash={self.hash} "
            f"legacy={self.legacy} at={self.at}"
        )

    def signed(self) -> str:
        """One line to keep outside the database: the fields and their signature."""
        return f"{self.message()} sig={_checkpoint_signature(self.message())}"


def _checkpoint_signature(message: str) -> str:
    key = settings.RECEIPT_CHAIN_KEY.encode()
    # Prefixed, so that no receipt's HMAC can ever pass for a checkpoint's.
    return hmac.new(key, f"checkpoint|{message}".encode(), hashlib.sha256).hexdigest()


def checkpoint_read(text: str) -> Checkpoint:
    """A signed checkpoint from its text; ValueError when it is malformed or not genuine."""
    tag, *pairs = text.split() or [""]
    if tag != CHECKPOINT_TAG:
        raise ValueError("not a receipt-chain checkpoint")
    fields = dict(pair.partition("=")[::2] for pair in pairs)
    try:
        checkpoint = Checkpoint(
            count=int(fields["count"]),
            head=int(fields["head"]),
            hash=fields["hash"],
            legacy=int(fields["legacy"]),
            at=fields["at"],
        )
        signature = fields["sig"]
    except (KeyError, ValueError) as exc:
        raise ValueError("malformed checkpoint") from exc
    if not hmac.compare_digest(signature, _checkpoint_signature(checkpoint.message())):
        raise ValueError("bad signature: not made with this chain key")
    return checkpoint


def _anchored_checkpoint(problems: list[str]) -> Checkpoint | None:
    # The furthest checkpoint in the audit log; a forged or damaged one is itself a problem.
    latest = None
    anchors = AuditEvent.objects.filter(action=ANCHORED).values_list("pk", "detail")
    for pk, detail in anchors.iterator():
        text = detail.get("checkpoint") if isinstance(detail, dict) else None
        try:
            checkpoint = checkpoint_read(str(text or ""))
        except ValueError as exc:
            problems.append(f"audit event {pk}: anchored checkpoint refused ({exc})")
            continue
        if latest is None or (checkpoint.count, checkpoint.head) > (latest.count, latest.head):
            latest = checkpoint
    return latest


def receipts_anchored_checkpoint() -> Checkpoint | None:
    """The latest genuine checkpoint anchored in the audit log, if any."""
    return _anchored_checkpoint([])


def receipts_verify(*, checkpoints: Iterable[Checkpoint] = ()) -> list[str]:
    """Walk the receipt chain; return the problems found (empty when intact).

    Finds an edited entry, a gap, a tail rewritten without the key, and, against the latest
    checkpoint anchored in the audit log and each of `checkpoints` (say, from the anchor
    emails, which whoever alters the database cannot reach), a truncated or replaced chain.
    """
    problems: list[str] = []
    anchored = _anchored_checkpoint(problems)
    against = [(f"checkpoint given ({c.at})", c) for c in checkpoints]
    if anchored is not None:
        against.append((f"checkpoint anchored {anchored.at}", anchored))
    wanted = {checkpoint.head for _, checkpoint in against}
    found = {}
    prev, count, last_unkeyed, keyed_seen = GENESIS_HASH, 0, 0, False
    rows = DeletionReceipt.objects.order_by("id").iterator(chunk_size=2000)
    for receipt in rows:
        count += 1
        if receipt.prev_hash != prev:
            problems.append(f"receipt {receipt.pk}: previous entry missing or altered")
        if receipt.hash_scheme == UNKEYED:
            last_unkeyed = receipt.pk
            # Unkeyed entries predate the key: after a keyed one, someone downgraded them.
            if keyed_seen:
                problems.append(f"receipt {receipt.pk}: unkeyed hash after keyed entries")
        else:
            keyed_seen = True
        if receipt.compute_hash() != receipt.entry_hash:
            problems.append(f"receipt {receipt.pk}: content altered")
        if receipt.pk in wanted:
            found[receipt.pk] = receipt.entry_hash
        prev = receipt.entry_hash
    for source, checkpoint in against:
        if count < checkpoint.count:
            problems.append(
                f"{source}: {count} receipt(s) left of the {checkpoint.count} it saw "
                "(chain truncated)"
            )
        if checkpoint.head and found.get(checkpoint.head) != checkpoint.hash:
            problems.append(f"{source}: its head, receipt {checkpoint.head}, missing or altered")
        if last_unkeyed > checkpoint.legacy:
            problems.append(
                f"{source}: receipt {last_unkeyed} hashed without the key, after the chain "
                f"was keyed (none after receipt {checkpoint.legacy})"
            )
    return problems


def _chain_snapshot() -> Checkpoint:
    with transaction.atomic():
        _chain_lock()  # the count and the head of one moment
        receipts = DeletionReceipt.objects.all()
        head = receipts.order_by("-id").values_list("id", "entry_hash").first()
        head_id, head_hash = head or (0, GENESIS_HASH)
        legacy = receipts.filter(hash_scheme=UNKEYED).aggregate(last=Max("id"))["last"]
        return Checkpoint(
            count=receipts.count(),
            head=head_id,
            hash=head_hash,
            legacy=legacy or 0,
            at=timezone.now().replace(microsecond=0).isoformat(),
        )


def receipts_anchor() -> dict[str, Any]:
    """Anchor the chain's head outside the database: sign a checkpoint, log it, email it.

    The chain is verified first, against the last anchor and the new head: a damaged chain is
    not anchored (the checkpoint would bless the damage) and the privacy contact hears why.
    """
    checkpoint = _chain_snapshot()
    problems = receipts_verify(checkpoints=[checkpoint])
    if problems:
        audit_log(action=ANCHOR_REFUSED, detail={"problems": problems[:50]})
        context: dict[str, Any] = {"problems": problems[:50], "more": max(len(problems) - 50, 0)}
        result: dict[str, Any] = {"problems": problems}
    else:
        signed = checkpoint.signed()
        audit_log(
            action=ANCHORED,
            detail={
                "checkpoint": signed,
                "count": checkpoint.count,
                "head": checkpoint.head,
                "hash": checkpoint.hash,
            },
        )
        context = {"checkpoint": checkpoint, "signed": signed}
        result = {"checkpoint": signed}
    privacy_email(
        to=settings.PRIVACY_CONTACT_EMAIL,
        language=settings.LANGUAGE_CODE,
        template="receipts_checkpoint",
        context=context,
    )
    return result


def receipts_anchor_failed(error: BaseException) -> AuditEvent:
    """Record an anchoring run that gave up, for the back office and the operators' alerts: a
    day without a checkpoint must not pass unnoticed."""
    return audit_log(action=ANCHOR_FAILED, detail={"error": type(error).__name__})


def _storage_location(storage: Storage, name: str) -> str:
    bucket = getattr(storage, "bucket_name", None)
    where = f"s3://{bucket}" if bucket else "private"
    return f"{where}/{name}"


def _hash_stored_file(storage: Storage, name: str) -> str | None:
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
    fieldfile: FieldFile,
    subject: User | None,
    reason: str,
    category: str,
    content_sha256: str = "",
) -> DeletionReceipt | None:
    """Erase a file of the private storage: its receipt now, its bytes when the transaction
    commits (at once outside one).

    Tolerates a file that is already gone (the receipt then says so). Returns None when the
    field holds no file at all.
    """
    name = fieldfile.name if fieldfile else None
    if not name:
        return None
    storage = fieldfile.storage
    digest = content_sha256 or _hash_stored_file(storage, name)
    # The bytes go once the erasure has committed: a rollback keeps both the row that points at
    # them and the file, and a process that stops in between leaves a row the sweep finishes.
    pending = PendingFileDeletion.objects.create(name=name)
    transaction.on_commit(partial(pending_file_delete, pending.pk), robust=True)
    return receipt_append(
        subject=subject,
        category=category,
        what=f"file {Path(name).name}",
        reason=reason,
        content_sha256=digest or "",
        storage_location=_storage_location(storage, name),
        detail="" if digest else "file was already missing",
    )


def pending_file_delete(pending_id: int) -> None:
    """Delete the bytes of one committed erasure and forget it; safe to run twice."""
    pending = PendingFileDeletion.objects.filter(pk=pending_id).first()
    if pending is not None:
        private_storage().delete(pending.name)
        pending.delete()


def pending_file_deletions_finish() -> int:
    """Delete the bytes of erasures whose process stopped between the commit and the deletion
    (run by the retention sweep); returns how many files."""
    pending_ids = list(PendingFileDeletion.objects.values_list("pk", flat=True))
    for pending_id in pending_ids:
        pending_file_delete(pending_id)
    return len(pending_ids)
