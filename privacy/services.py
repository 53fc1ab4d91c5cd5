"""Privacy workflows: consent ledger, erasure with receipts, retention, requests and deadlines.

Other apps call `consent_record`, `consent_is_current`, `consent_withdraw`,
`processing_restricted`, `file_erase`, `retention_dates` and `audit_photo_view`.
"""

import calendar
import datetime
import hashlib
import importlib
import json
import logging
import shutil
import tempfile
import zipfile
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.files import File
from django.core.mail import send_mail
from django.db import connection, models, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from .models import (
    AuditEvent,
    ConsentRecord,
    DataExport,
    DataSubjectRequest,
    DeletionReceipt,
    LegalHold,
    PendingErasure,
    PolicyVersion,
    ProcessingRestriction,
    RetentionPolicy,
    RetentionReminder,
    hash_ip,
)

log = logging.getLogger(__name__)

GENESIS_HASH = "0" * 64
EXPORT_LINK_MAX_AGE = 7 * 24 * 3600
VERIFY_LINK_MAX_AGE = 48 * 3600
# Purposes that a standing restriction, objection or limit-use request blocks (P16).
RESTRICTABLE_PURPOSES = {
    ConsentRecord.Purpose.FACE_PHOTOS,
    ConsentRecord.Purpose.MODEL_IMPROVEMENT,
    ConsentRecord.Purpose.MARKETING_LIKENESS,
}


class PrivacyError(Exception):
    """A refused privacy action; the message is shown to the person who asked."""


# --- audit ----------------------------------------------------------------------------------


def subject_ref_for(user) -> str:
    """A stable pseudonymous reference for a user, kept in logs after erasure."""
    return f"user:{user.pk}" if user is not None and user.pk else ""


def audit_log(
    *,
    action: str,
    actor=None,
    subject=None,
    obj: models.Model | None = None,
    detail: dict | None = None,
) -> AuditEvent:
    """Write one audit event (no photo content, ever)."""
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        subject=subject,
        subject_ref=subject_ref_for(subject),
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        detail=detail or {},
    )


def audit_photo_view(*, actor, photo: models.Model, request=None, field: str = "image") -> None:
    """Record that a staff member looked at a customer's photo or portrait (P24).

    Call it from every staff-facing view that shows or streams a customer's image.
    """
    photo_session = getattr(photo, "photo_session", None)
    subject = getattr(photo_session, "user", None) or getattr(photo, "user", None)
    audit_log(
        action="staff.photo_view",
        actor=actor,
        subject=subject,
        obj=photo,
        detail={"field": field, "ip_hash": hash_ip(_client_ip(request)) if request else ""},
    )


# --- consent ledger -------------------------------------------------------------------------


def _client_ip(request) -> str:
    if request is None:
        return ""
    return request.META.get("REMOTE_ADDR", "")


def _real_user(user):
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def consent_record(
    *,
    user,
    purpose: str,
    granted: bool,
    method: str,
    request=None,
    photo_session=None,
    browser_id: str = "",
) -> ConsentRecord:
    """Append one grant or withdrawal to the consent ledger under the current policy version."""
    user = _real_user(user)
    policy = PolicyVersion.current(PolicyVersion.Kind.PRIVACY)
    ua = request.META.get("HTTP_USER_AGENT", "")[:300] if request is not None else ""
    return ConsentRecord.objects.create(
        user=user,
        browser_id=browser_id,
        photo_session=photo_session,
        purpose=purpose,
        granted=granted,
        policy_version=policy,
        text_sha256=policy.text_sha256 if policy else "",
        method=method,
        ip_hash=hash_ip(_client_ip(request)),
        user_agent=ua,
        jurisdiction=(user.region if user is not None else "") or "",
    )


def consent_latest(*, user=None, purpose: str, photo_session=None, browser_id: str = ""):
    """The latest ledger row for a subject and purpose (None when there is none)."""
    qs = ConsentRecord.objects.filter(purpose=purpose)
    if user is not None:
        qs = qs.filter(user=user)
    elif browser_id:
        qs = qs.filter(browser_id=browser_id, user__isnull=True)
    else:
        return None
    if photo_session is not None:
        qs = qs.filter(photo_session=photo_session)
    return qs.select_related("policy_version").order_by("-created_at", "-id").first()


def _material_change_since(version: PolicyVersion | None) -> bool:
    """Whether a material privacy-policy version took effect after `version` (P20)."""
    newer = PolicyVersion.objects.filter(
        kind=PolicyVersion.Kind.PRIVACY,
        material_change=True,
        effective_date__lte=timezone.localdate(),
    )
    if version is None:
        return newer.exists()
    return newer.filter(
        models.Q(effective_date__gt=version.effective_date)
        | models.Q(effective_date=version.effective_date, id__gt=version.id)
    ).exists()


def consent_is_current(*, user, purpose: str, photo_session=None) -> bool:
    """Whether processing for `purpose` may go on now.

    True when the latest ledger row is a grant and no material policy version took effect after
    the one it was given under (P20), and no restriction stands for processing purposes (P16).
    """
    user = _real_user(user)
    if user is None:
        return False
    latest = consent_latest(user=user, purpose=purpose, photo_session=photo_session)
    if latest is None or not latest.granted:
        return False
    if _material_change_since(latest.policy_version):
        return False
    return not (purpose in RESTRICTABLE_PURPOSES and processing_restricted(user=user))


def consent_needs_renewal(*, user) -> bool:
    """Whether the customer granted something under a version a material change superseded."""
    for purpose in RESTRICTABLE_PURPOSES:
        latest = consent_latest(user=user, purpose=purpose)
        if latest and latest.granted and _material_change_since(latest.policy_version):
            return True
    return False


def consent_withdraw(
    *,
    user,
    purpose: str,
    method: str = ConsentRecord.Method.FORM,
    request=None,
    photo_session=None,
    actor=None,
) -> ConsentRecord:
    """Record a withdrawal and act on it at once.

    Withdrawing face-photo consent cancels queued or running jobs and deletes originals,
    latents and LoRA weights of the session (or of every session of the customer) (P03).
    """
    with transaction.atomic():
        record = consent_record(
            user=user,
            purpose=purpose,
            granted=False,
            method=method,
            request=request,
            photo_session=photo_session,
        )
        audit_log(
            action="consent.withdrawn",
            actor=actor or user,
            subject=user,
            obj=record,
            detail={"purpose": purpose},
        )
    if purpose == ConsentRecord.Purpose.FACE_PHOTOS:
        sessions = [photo_session] if photo_session is not None else list(user.photo_sessions.all())
        for ps in sessions:
            if hold_applies(user=user, photo_session=ps):
                continue
            session_face_data_erase(
                photo_session=ps, reason=DeletionReceipt.Reason.WITHDRAWAL, actor=actor or user
            )
    return record


def processing_restricted(*, user) -> bool:
    """Whether a restriction, objection or limit-use request stands for the customer (P16)."""
    user = _real_user(user)
    if user is None:
        return False
    return ProcessingRestriction.objects.filter(user=user, lifted_at__isnull=True).exists()


def restriction_place(*, user, kind: str, request_obj=None, actor=None) -> ProcessingRestriction:
    """Start a restriction; training, generation and optional uses stop while it stands."""
    with transaction.atomic():
        restriction = ProcessingRestriction.objects.create(
            user=user, kind=kind, request=request_obj
        )
        audit_log(action="restriction.placed", actor=actor, subject=user, obj=restriction)
    return restriction


def restriction_lift(*, restriction: ProcessingRestriction, actor=None) -> None:
    """Lift a restriction (the customer's or the officer's decision)."""
    with transaction.atomic():
        ProcessingRestriction.objects.filter(pk=restriction.pk, lifted_at__isnull=True).update(
            lifted_at=timezone.now()
        )
        audit_log(
            action="restriction.lifted", actor=actor, subject=restriction.user, obj=restriction
        )


# --- deletion receipts ----------------------------------------------------------------------


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
            subject=_real_user(subject),
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


# --- legal holds ----------------------------------------------------------------------------


def _active_holds():
    today = timezone.localdate()
    return LegalHold.objects.filter(released_at__isnull=True).filter(
        models.Q(until__isnull=True) | models.Q(until__gte=today)
    )


def hold_applies(*, user, photo_session=None) -> bool:
    """Whether an active legal hold keeps this account (or this session of it)."""
    holds = _active_holds().filter(user=user)
    if photo_session is None:
        return holds.filter(scope=LegalHold.Scope.ACCOUNT).exists()
    return holds.filter(
        models.Q(scope=LegalHold.Scope.ACCOUNT) | models.Q(photo_session=photo_session)
    ).exists()


def hold_place(*, user, scope: str, reason: str, actor, photo_session=None, until=None):
    """Place a legal hold (account or one session)."""
    with transaction.atomic():
        hold = LegalHold(
            user=user,
            scope=scope,
            photo_session=photo_session,
            reason=reason,
            placed_by=actor,
            until=until,
        )
        hold.full_clean()
        hold.save()
        audit_log(action="hold.placed", actor=actor, subject=user, obj=hold)
    return hold


def hold_release(*, hold: LegalHold, actor) -> None:
    """Release a hold; an account erasure it interrupted resumes at once (P11)."""
    with transaction.atomic():
        LegalHold.objects.filter(pk=hold.pk, released_at__isnull=True).update(
            released_at=timezone.now(), released_by=actor
        )
        audit_log(action="hold.released", actor=actor, subject=hold.user, obj=hold)
    pending = PendingErasure.objects.filter(user=hold.user, completed_at__isnull=True).first()
    if pending is not None:
        account_erase(user=hold.user, reason=pending.reason, actor=actor)


# --- erasure --------------------------------------------------------------------------------


def _generation_services():
    return importlib.import_module("generation.services")


def _session_services():
    return importlib.import_module("sessions_app.services")


def session_originals_erase(*, photo_session, reason: str, actor=None) -> int:
    """Delete the session's original photos: bytes, thumbnails and rows, each with a receipt."""
    from sessions_app.models import SourcePhoto

    photo_delete = _session_services().photo_delete
    count = 0
    for photo in SourcePhoto.objects.filter(photo_session=photo_session).select_related(
        "photo_session__user"
    ):
        photo_delete(photo=photo, reason=reason, actor=actor)
        count += 1
    return count


def session_face_data_erase(*, photo_session, reason: str, actor=None) -> None:
    """Stop the session's jobs and delete its originals, latents and LoRA weights (P03, P08)."""
    gen = _generation_services()
    gen.session_jobs_cancel(photo_session=photo_session, reason=reason)
    gen.session_artifacts_delete(photo_session=photo_session, reason=reason)
    session_originals_erase(photo_session=photo_session, reason=reason, actor=actor)


def session_erase(*, photo_session, reason: str, actor=None) -> None:
    """Delete every file of a session: originals, training artifacts and portraits."""
    session_face_data_erase(photo_session=photo_session, reason=reason, actor=actor)
    _generation_services().session_portraits_delete(photo_session=photo_session, reason=reason)


def photos_erase_now(*, user, actor=None, request=None) -> int:
    """The customer's "delete my photos now": originals and training artifacts of every
    session not under a legal hold (P08)."""
    erased = 0
    for ps in user.photo_sessions.all():
        if hold_applies(user=user, photo_session=ps):
            continue
        gen = _generation_services()
        gen.session_jobs_cancel(photo_session=ps, reason=DeletionReceipt.Reason.REQUEST)
        gen.session_artifacts_delete(photo_session=ps, reason=DeletionReceipt.Reason.REQUEST)
        erased += session_originals_erase(
            photo_session=ps, reason=DeletionReceipt.Reason.REQUEST, actor=actor or user
        )
    return erased


def account_erase(*, user, reason: str = DeletionReceipt.Reason.REQUEST, actor=None) -> bool:
    """Erase or anonymise every store of a customer, keeping only what a legal hold names (P11).

    Order records (the photo sessions' plan, amount and currency) stay, tied to an anonymised
    account. Returns True when the erasure is complete, False when a hold interrupts it; it
    resumes when the hold is released.
    """
    from allauth.account.models import EmailAddress

    from accounts.models import SupportRequest

    pending, _ = PendingErasure.objects.get_or_create(user=user, defaults={"reason": reason})
    # Sign out everywhere at once: an unusable password changes the session hash.
    User = get_user_model()
    if user.has_usable_password() or user.is_active:
        user.set_unusable_password()
        User.objects.filter(pk=user.pk).update(password=user.password, is_active=False)
    audit_log(action="account.erasure_started", actor=actor, subject=user, obj=user)
    if hold_applies(user=user):
        audit_log(action="account.erasure_held", actor=actor, subject=user, obj=user)
        return False
    complete = True
    for ps in user.photo_sessions.all():
        if hold_applies(user=user, photo_session=ps):
            complete = False
            continue
        session_erase(photo_session=ps, reason=reason, actor=actor)
    for export in DataExport.objects.filter(user=user):
        file_erase(
            fieldfile=export.file,
            subject=user,
            reason=reason,
            category=RetentionPolicy.Category.EXPORTS,
        )
        export.delete()
    for dsr in DataSubjectRequest.objects.filter(user=user).exclude(agent_authority=""):
        file_erase(
            fieldfile=dsr.agent_authority,
            subject=user,
            reason=reason,
            category="agent_authority",
        )
        DataSubjectRequest.objects.filter(pk=dsr.pk).update(agent_authority="")
    if not complete:
        audit_log(action="account.erasure_held", actor=actor, subject=user, obj=user)
        return False
    with transaction.atomic():
        SupportRequest.objects.filter(user=user).delete()
        EmailAddress.objects.filter(user=user).delete()
        User.objects.filter(pk=user.pk).update(
            email=f"erased-{user.pk}@erased.invalid",
            display_name="",
            region="",
            age_attestation="",
            age_attested_at=None,
            is_active=False,
        )
        receipt_append(
            subject=user,
            category="account",
            what=f"account {user.pk} anonymised",
            reason=reason,
            detail="orders kept anonymised as the law requires",
        )
        PendingErasure.objects.filter(pk=pending.pk).update(completed_at=timezone.now())
        audit_log(action="account.erased", actor=actor, subject=user, obj=user)
    return True


# --- retention ------------------------------------------------------------------------------


def _policy_days(category: str) -> int | None:
    policy = RetentionPolicy.objects.filter(category=category).first()
    return policy.period_days if policy else None


def retention_dates(*, photo_session) -> dict:
    """When the session's originals and gallery will be deleted (None before delivery).

    The gallery shows these dates and the sweep enforces the same records (P08, P09).
    """
    delivered = photo_session.delivered_at
    result = {"originals": None, "gallery": None}
    if delivered is None:
        return result
    for key, category in (
        ("originals", RetentionPolicy.Category.ORIGINALS),
        ("gallery", RetentionPolicy.Category.DELIVERABLES),
    ):
        days = _policy_days(category)
        if days is not None:
            result[key] = timezone.localdate(delivered + datetime.timedelta(days=days))
    return result


def _held_filters():
    holds = _active_holds()
    held_users = holds.filter(scope=LegalHold.Scope.ACCOUNT).values("user_id")
    held_sessions = holds.filter(scope=LegalHold.Scope.SESSION).values("photo_session_id")
    return held_users, held_sessions


def _transition(photo_session, to_state: str, cause: str) -> None:
    from sessions_app.models import PhotoSession

    svc = _session_services()
    try:
        svc.session_transition(photo_session=photo_session, to_state=to_state, cause=cause)
    except svc.InvalidTransition:
        # The session left the normal path (e.g. refunded); record the deletion time anyway.
        if to_state == PhotoSession.State.ORIGINALS_DELETED:
            PhotoSession.objects.filter(pk=photo_session.pk).update(
                originals_deleted_at=timezone.now()
            )


def retention_sweep(*, now=None, dry_run: bool = False, batch_size: int = 100) -> dict:
    """Delete what is due under the retention policies, in batches, bytes included.

    Sessions under a legal hold are skipped and picked up again once released. With
    dry_run nothing changes; the result lists what would be deleted.
    """
    from sessions_app.models import PhotoSession, SourcePhoto

    now = now or timezone.now()
    held_users, held_sessions = _held_filters()
    result = {"originals_sessions": [], "photos": 0, "gallery_sessions": [], "exports": 0}
    S = PhotoSession.State

    def due(category, extra):
        days = _policy_days(category)
        if days is None:
            return PhotoSession.objects.none()
        return (
            PhotoSession.objects.filter(delivered_at__lte=now - datetime.timedelta(days=days))
            .filter(extra)
            .exclude(user_id__in=held_users)
            .exclude(id__in=held_sessions)
            .order_by("id")
        )

    originals_due = due(
        RetentionPolicy.Category.ORIGINALS, models.Q(originals_deleted_at__isnull=True)
    )
    gallery_due = due(
        RetentionPolicy.Category.DELIVERABLES,
        models.Q(state__in=[S.DELIVERED, S.ORIGINALS_DELETED]),
    )
    if dry_run:
        for ps in originals_due.iterator():
            result["originals_sessions"].append(str(ps.public_id))
            result["photos"] += SourcePhoto.objects.filter(photo_session=ps).count()
        result["gallery_sessions"] = [
            str(p) for p in gallery_due.values_list("public_id", flat=True)
        ]
    else:
        last_id = 0
        while True:
            batch = list(originals_due.filter(id__gt=last_id)[:batch_size])
            if not batch:
                break
            for ps in batch:
                last_id = ps.id
                gen = _generation_services()
                gen.session_jobs_cancel(photo_session=ps, reason=DeletionReceipt.Reason.RETENTION)
                gen.session_artifacts_delete(
                    photo_session=ps, reason=DeletionReceipt.Reason.RETENTION
                )
                result["photos"] += session_originals_erase(
                    photo_session=ps, reason=DeletionReceipt.Reason.RETENTION
                )
                result["originals_sessions"].append(str(ps.public_id))
                if ps.state == S.DELIVERED:
                    _transition(ps, S.ORIGINALS_DELETED, gettext_noop("retention"))
                else:
                    PhotoSession.objects.filter(pk=ps.pk).update(originals_deleted_at=now)
        last_id = 0
        while True:
            batch = list(gallery_due.filter(id__gt=last_id)[:batch_size])
            if not batch:
                break
            for ps in batch:
                last_id = ps.id
                _generation_services().session_portraits_delete(
                    photo_session=ps, reason=DeletionReceipt.Reason.RETENTION
                )
                result["gallery_sessions"].append(str(ps.public_id))
                ps.refresh_from_db()
                _transition(ps, S.EXPIRED, gettext_noop("retention"))
    export_days = _policy_days(RetentionPolicy.Category.EXPORTS)
    if export_days is not None:
        old = DataExport.objects.filter(
            status=DataExport.Status.READY,
            created_at__lte=now - datetime.timedelta(days=export_days),
        )
        result["exports"] = old.count()
        if not dry_run:
            for export in old.iterator():
                file_erase(
                    fieldfile=export.file,
                    subject=export.user,
                    reason=DeletionReceipt.Reason.RETENTION,
                    category=RetentionPolicy.Category.EXPORTS,
                )
                DataExport.objects.filter(pk=export.pk).update(
                    status=DataExport.Status.DELETED, file=""
                )
    result["reminders"] = retention_reminders_send(now=now, dry_run=dry_run)
    if not dry_run:
        # Erasures that a since-released hold interrupted resume here too (P11).
        for pending in PendingErasure.objects.filter(completed_at__isnull=True).select_related(
            "user"
        ):
            if not hold_applies(user=pending.user):
                account_erase(user=pending.user, reason=pending.reason)
    return result


def retention_reminders_send(*, now=None, dry_run: bool = False) -> int:
    """Email customers a few days before their gallery is deleted (once per session)."""
    from sessions_app.models import PhotoSession

    now = now or timezone.now()
    policy = RetentionPolicy.objects.filter(category=RetentionPolicy.Category.DELIVERABLES).first()
    if policy is None or not policy.reminder_days:
        return 0
    window_start = now - datetime.timedelta(days=policy.period_days)
    window_end = window_start + datetime.timedelta(days=policy.reminder_days)
    sessions = (
        PhotoSession.objects.filter(
            delivered_at__gt=window_start,
            delivered_at__lte=window_end,
            state__in=[PhotoSession.State.DELIVERED, PhotoSession.State.ORIGINALS_DELETED],
            retention_reminder__isnull=True,
        )
        .select_related("user")
        .order_by("id")
    )
    if dry_run:
        return sessions.count()
    sent = 0
    for ps in sessions.iterator():
        _, created = RetentionReminder.objects.get_or_create(photo_session=ps)
        if not created:
            continue
        dates = retention_dates(photo_session=ps)
        _email(
            to=ps.user.email,
            language=ps.user.preferred_language,
            template="gallery_reminder",
            context={"date": dates["gallery"], "url": _absolute(reverse("sessions_app:dashboard"))},
        )
        sent += 1
    return sent


# --- email ----------------------------------------------------------------------------------


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def _email(*, to: str, language: str, template: str, context: dict) -> None:
    """Send a privacy email in the recipient's language (subject/message template pair)."""
    with translation.override(language or "en"):
        ctx = {"contact": settings.PRIVACY_CONTACT_EMAIL, **context}
        subject = render_to_string(f"privacy/email/{template}_subject.txt", ctx).strip()
        body = render_to_string(f"privacy/email/{template}_message.txt", ctx)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to])


# --- data-subject requests: deadlines -------------------------------------------------------

EU_EEA = {
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT",
    "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO",
}  # fmt: skip


def jurisdictions_for_region(region: str) -> list[str]:
    """The privacy laws whose deadlines apply to a requester in `region`."""
    region = (region or "").upper()
    if region == "KR":
        return ["PIPA"]
    if region == "GB":
        return ["UK"]
    if region in EU_EEA:
        return ["GDPR"]
    if region == "US":
        return ["CCPA"]
    # Elsewhere we apply the GDPR's timetable as our baseline.
    return ["GDPR"]


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` later, or that month's last day (31 Jan + 1 month = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_business_days(day: datetime.date, days: int) -> datetime.date:
    while days > 0:
        day += datetime.timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


LAW_RULES = {
    # law: (first deadline, extended deadline or None where the law allows no extension)
    "GDPR": (lambda d: add_months(d, 1), lambda d: add_months(d, 3)),
    "UK": (lambda d: add_months(d, 1), lambda d: add_months(d, 3)),
    "CCPA": (
        lambda d: d + datetime.timedelta(days=45),
        lambda d: d + datetime.timedelta(days=90),
    ),
    "PIPA": (lambda d: d + datetime.timedelta(days=10), None),
}


def dsar_deadlines(*, jurisdictions: list[str], received: datetime.date) -> dict:
    """The strictest deadlines of the laws that apply: due, extended due, receipt confirmation."""
    laws = [law for law in jurisdictions if law in LAW_RULES] or ["GDPR"]
    due = min(LAW_RULES[law][0](received) for law in laws)
    extensions = [LAW_RULES[law][1] for law in laws]
    extended = None if any(e is None for e in extensions) else min(e(received) for e in extensions)
    receipt = add_business_days(received, 10) if "CCPA" in laws else None
    return {"due": due, "extended_due": extended, "receipt_due": receipt}


# --- data-subject requests: workflow --------------------------------------------------------

_STEP_TEMPLATES = {
    "received": "request_received",
    "verified": "request_verified",
    "extended": "request_extended",
    "fulfilled": "request_fulfilled",
    "refused": "request_refused",
}


def _dsr_notify(dsr: DataSubjectRequest, step: str, **extra) -> None:
    _email(
        to=dsr.email,
        language=dsr.language,
        template=_STEP_TEMPLATES[step],
        context={"dsr": dsr, "type": dsr.get_type_display(), **extra},
    )


def _dsr_audit(dsr, action, actor=None, **detail):
    audit_log(
        action=f"dsr.{action}",
        actor=actor,
        subject=dsr.user,
        obj=dsr,
        detail={"status": dsr.status, **detail},
    )


def dsr_create(
    *,
    type: str,
    channel: str,
    email: str,
    region: str,
    user=None,
    details: str = "",
    language: str = "en",
    agent_name: str = "",
    agent_email: str = "",
    agent_authority=None,
    verified_by_reauthentication: bool = False,
) -> DataSubjectRequest:
    """Open a request and confirm its receipt; a re-authenticated customer is verified at once.

    An agent's request needs the signed authority (P14); without it nothing is opened.
    """
    if channel == DataSubjectRequest.Channel.AGENT and not agent_authority:
        audit_log(action="dsr.agent_refused", detail={"reason": "no authority"})
        raise PrivacyError(
            translation.gettext("An authorised agent must upload the signed authority.")
        )
    now = timezone.now()
    jurisdictions = jurisdictions_for_region(region)
    deadlines = dsar_deadlines(jurisdictions=jurisdictions, received=timezone.localdate(now))
    with transaction.atomic():
        dsr = DataSubjectRequest(
            type=type,
            channel=channel,
            email=email,
            user=user,
            details=details,
            language=language,
            jurisdictions=jurisdictions,
            agent_name=agent_name,
            agent_email=agent_email,
            received_at=now,
            due_date=deadlines["due"],
            receipt_due_date=deadlines["receipt_due"],
            receipt_confirmed_at=now,
        )
        if agent_authority:
            dsr.agent_authority.save(agent_authority.name, agent_authority, save=False)
        if verified_by_reauthentication:
            dsr.status = DataSubjectRequest.Status.VERIFIED
            dsr.verified_at = now
            dsr.verification_method = "reauthentication"
        dsr.save()
        _dsr_audit(dsr, "received", actor=user, channel=channel, type=type)
        if dsr.is_verified:
            _dsr_audit(dsr, "verified", actor=user, method="reauthentication")
            _dsr_apply_immediate(dsr)
    context = {}
    if channel == DataSubjectRequest.Channel.VISITOR:
        context["verify_url"] = _absolute(
            reverse("privacy:request_verify", args=[dsr_token(dsr, "visitor")])
        )
    elif channel == DataSubjectRequest.Channel.AGENT:
        context["confirm_url"] = _absolute(
            reverse("privacy:request_confirm", args=[dsr_token(dsr, "agent")])
        )
    _dsr_notify(dsr, "received", **context)
    if channel == DataSubjectRequest.Channel.AGENT and agent_email:
        _email(
            to=agent_email,
            language=language,
            template="request_agent_received",
            context={"dsr": dsr, "type": dsr.get_type_display()},
        )
    return dsr


def _dsr_apply_immediate(dsr: DataSubjectRequest) -> None:
    # A restriction is the safe side: it takes effect as soon as the request is verified (P16).
    kinds = {
        DataSubjectRequest.Type.RESTRICTION: ProcessingRestriction.Kind.RESTRICTION,
        DataSubjectRequest.Type.OBJECTION: ProcessingRestriction.Kind.OBJECTION,
        DataSubjectRequest.Type.LIMIT_USE: ProcessingRestriction.Kind.LIMIT_USE,
    }
    if dsr.user is not None and dsr.type in kinds:
        restriction_place(user=dsr.user, kind=kinds[dsr.type], request_obj=dsr)


def dsr_token(dsr: DataSubjectRequest, purpose: str) -> str:
    return signing.dumps(str(dsr.public_id), salt=f"privacy.dsr.{purpose}")


def dsr_from_token(token: str, purpose: str) -> DataSubjectRequest:
    """The request a link names; PrivacyError for a wrong or expired link (audited)."""
    try:
        public_id = signing.loads(token, salt=f"privacy.dsr.{purpose}", max_age=VERIFY_LINK_MAX_AGE)
        return DataSubjectRequest.objects.get(public_id=public_id)
    except signing.SignatureExpired as exc:
        audit_log(action="dsr.link_refused", detail={"why": "expired", "purpose": purpose})
        raise PrivacyError(translation.gettext("This link has expired.")) from exc
    except (signing.BadSignature, DataSubjectRequest.DoesNotExist, ValueError) as exc:
        audit_log(action="dsr.link_refused", detail={"why": "invalid", "purpose": purpose})
        raise PrivacyError(translation.gettext("This link is not valid.")) from exc


def dsr_visitor_verify(*, dsr: DataSubjectRequest, display_name: str) -> None:
    """Verify a visitor: the email link (already checked) plus a second data point."""
    User = get_user_model()
    account = User.objects.filter(email__iexact=dsr.email, is_active=True).first()
    if dsr.is_verified:
        return
    matches = (
        account is not None
        and account.display_name
        and account.display_name.strip().casefold() == display_name.strip().casefold()
    )
    if not matches:
        _dsr_audit(dsr, "verification_failed", method="email+display_name")
        raise PrivacyError(
            translation.gettext("We could not verify your identity with these details.")
        )
    _dsr_mark_verified(dsr, method="email link + display name", user=account)


def dsr_agent_confirm(*, dsr: DataSubjectRequest, user) -> None:
    """The customer confirms an agent's request (P14); it is verified once both are recorded."""
    if dsr.channel != DataSubjectRequest.Channel.AGENT or dsr.email.lower() != user.email.lower():
        _dsr_audit(dsr, "confirmation_refused", actor=user)
        raise PrivacyError(translation.gettext("This request is not yours to confirm."))
    if not dsr.agent_authority:
        _dsr_audit(dsr, "confirmation_refused", actor=user, why="no authority")
        raise PrivacyError(translation.gettext("The agent's signed authority is missing."))
    with transaction.atomic():
        DataSubjectRequest.objects.filter(pk=dsr.pk).update(
            customer_confirmed_at=timezone.now(), user=user
        )
        dsr.refresh_from_db()
        _dsr_audit(dsr, "customer_confirmed", actor=user)
    _dsr_mark_verified(dsr, method="agent authority + customer confirmation", user=user)


def _dsr_mark_verified(dsr, *, method: str, user=None, actor=None) -> None:
    with transaction.atomic():
        dsr.status = DataSubjectRequest.Status.VERIFIED
        dsr.verified_at = timezone.now()
        dsr.verification_method = method
        dsr.verified_by = actor
        if user is not None:
            dsr.user = user
        dsr.save()
        _dsr_audit(dsr, "verified", actor=actor, method=method)
        _dsr_apply_immediate(dsr)
    _dsr_notify(dsr, "verified")


def dsr_verify(*, dsr: DataSubjectRequest, actor, method: str) -> None:
    """The officer records a verification; an agent's request needs the authority and the
    customer's confirmation first (P13, P14)."""
    if dsr.is_verified:
        raise PrivacyError(translation.gettext("This request is already verified."))
    if not dsr.is_open:
        raise PrivacyError(translation.gettext("This request is closed."))
    if dsr.channel == DataSubjectRequest.Channel.AGENT and not (
        dsr.agent_authority and dsr.customer_confirmed_at
    ):
        _dsr_audit(dsr, "verify_refused", actor=actor, why="agent without confirmation")
        raise PrivacyError(
            translation.gettext(
                "An agent's request needs the signed authority and the customer's own "
                "confirmation before it can be verified."
            )
        )
    if not method.strip():
        raise PrivacyError(translation.gettext("Say how the identity was verified."))
    if dsr.user is None:
        dsr.user = get_user_model().objects.filter(email__iexact=dsr.email).first()
    _dsr_mark_verified(dsr, method=method.strip(), actor=actor)


def dsr_extend(*, dsr: DataSubjectRequest, actor, reason: str, today=None) -> None:
    """Extend the deadline where the law allows, with reasons, before the first deadline."""
    today = today or timezone.localdate()
    if not reason.strip():
        raise PrivacyError(translation.gettext("Give the reason for the extension."))
    if dsr.extended_at is not None:
        raise PrivacyError(translation.gettext("This request has already been extended."))
    if today > dsr.due_date:
        _dsr_audit(dsr, "extend_refused", actor=actor, why="after deadline")
        raise PrivacyError(
            translation.gettext("The deadline has passed: an extension is no longer possible.")
        )
    deadlines = dsar_deadlines(
        jurisdictions=dsr.jurisdictions, received=timezone.localdate(dsr.received_at)
    )
    if deadlines["extended_due"] is None:
        _dsr_audit(dsr, "extend_refused", actor=actor, why="law allows none")
        raise PrivacyError(
            translation.gettext("The law that applies to this request allows no extension.")
        )
    if not dsr.is_open:
        raise PrivacyError(translation.gettext("This request is closed."))
    with transaction.atomic():
        old_due = dsr.due_date
        dsr.due_date = deadlines["extended_due"]
        dsr.extended_at = timezone.now()
        dsr.extension_reason = reason.strip()
        dsr.save()
        _dsr_audit(dsr, "extended", actor=actor, old_due=str(old_due), new_due=str(dsr.due_date))
    _dsr_notify(dsr, "extended", reason=dsr.extension_reason)


def dsr_refuse(*, dsr: DataSubjectRequest, actor, reason: str) -> None:
    """Refuse with a reason; the requester learns why and how to complain."""
    if not reason.strip():
        raise PrivacyError(translation.gettext("Give the reason for the refusal."))
    if not dsr.is_open:
        raise PrivacyError(translation.gettext("This request is closed."))
    with transaction.atomic():
        dsr.status = DataSubjectRequest.Status.REFUSED
        dsr.refusal_reason = reason.strip()
        dsr.closed_at = timezone.now()
        dsr.save()
        _dsr_audit(dsr, "refused", actor=actor)
    _dsr_notify(dsr, "refused", reason=dsr.refusal_reason)


def dsr_fulfil(*, dsr: DataSubjectRequest, actor, resolution: str = "") -> None:
    """Fulfil a verified request; export and erasure run as tasks (P12, P13)."""
    from . import tasks

    if not dsr.is_verified:
        _dsr_audit(dsr, "fulfil_refused", actor=actor, why="not verified")
        raise PrivacyError(
            translation.gettext("This request cannot be fulfilled before identity is verified.")
        )
    if not dsr.is_open:
        raise PrivacyError(translation.gettext("This request is closed."))
    if dsr.user is None:
        raise PrivacyError(translation.gettext("No account matches this request."))
    T = DataSubjectRequest.Type
    with transaction.atomic():
        dsr.status = DataSubjectRequest.Status.IN_PROGRESS
        dsr.resolution = resolution.strip()
        dsr.save()
        _dsr_audit(dsr, "in_progress", actor=actor)
        if dsr.type in (T.ACCESS, T.PORTABILITY):
            export = DataExport.objects.create(user=dsr.user, request=dsr)
            transaction.on_commit(lambda: tasks.export_build.delay(export.pk))
            return
        if dsr.type == T.ERASURE:
            transaction.on_commit(lambda: tasks.dsr_erasure_run.delay(dsr.pk))
            return
    if dsr.type == T.WITHDRAWAL:
        for purpose in RESTRICTABLE_PURPOSES:
            latest = consent_latest(user=dsr.user, purpose=purpose)
            if latest is not None and latest.granted:
                consent_withdraw(user=dsr.user, purpose=purpose, actor=actor)
    elif dsr.type == T.OPT_OUT_SALE:
        consent_record(
            user=dsr.user,
            purpose=ConsentRecord.Purpose.SALE_SHARING,
            granted=False,
            method=ConsentRecord.Method.FORM,
        )
    dsr_close(dsr=dsr, actor=actor)


def dsr_close(*, dsr: DataSubjectRequest, actor=None, **extra) -> None:
    """Mark a request fulfilled and tell the requester."""
    with transaction.atomic():
        dsr.status = DataSubjectRequest.Status.FULFILLED
        dsr.closed_at = timezone.now()
        dsr.save()
        _dsr_audit(dsr, "fulfilled", actor=actor)
    _dsr_notify(dsr, "fulfilled", **extra)


# --- data export ----------------------------------------------------------------------------


def _jsonable(obj: models.Model) -> dict:
    data = {}
    for field in obj._meta.concrete_fields:
        if field.name in ("password",) or isinstance(field, models.FileField):
            continue
        value = getattr(obj, field.attname)
        data[field.name] = (
            value if isinstance(value, int | float | bool | type(None)) else str(value)
        )
    return data


def _session_file_models():
    """Models (any app) that hold files of a photo session: originals and generated images."""
    from django.apps import apps

    from sessions_app.models import PhotoSession

    found = []
    for model in apps.get_models():
        if model._meta.app_label not in ("sessions_app", "generation"):
            continue
        # Training artifacts are model internals, not the customer's photos or images.
        if model._meta.model_name == "trainingartifact":
            continue
        fk = next(
            (
                f
                for f in model._meta.concrete_fields
                if isinstance(f, models.ForeignKey) and f.related_model is PhotoSession
            ),
            None,
        )
        files = [f for f in model._meta.concrete_fields if isinstance(f, models.FileField)]
        if fk is not None and files:
            found.append((model, fk.name, files))
    return found


def export_data(*, user) -> dict:
    """The customer's data as JSON-ready structures (account, sessions, orders, consents...)."""
    from django.apps import apps

    sessions = list(user.photo_sessions.all().select_related("plan"))
    orders = []
    for model in apps.get_app_config("sessions_app").get_models():
        if model._meta.model_name in ("order", "payment", "refund"):
            names = {f.name for f in model._meta.concrete_fields}
            if "photo_session" in names:
                orders += [_jsonable(o) for o in model.objects.filter(photo_session__user=user)]
            elif "user" in names:
                orders += [_jsonable(o) for o in model.objects.filter(user=user)]
    if not orders:
        orders = [
            {
                "session": str(ps.public_id),
                "plan": ps.plan.slug,
                "amount": ps.amount,
                "currency": ps.currency,
                "state": ps.state,
                "created_at": ps.created_at.isoformat(),
            }
            for ps in sessions
        ]
    return {
        "account": {
            "email": user.email,
            "display_name": user.display_name,
            "preferred_language": user.preferred_language,
            "region": user.region,
            "age_attestation": user.age_attestation,
            "date_joined": user.date_joined.isoformat(),
        },
        "sessions": [
            {
                **_jsonable(ps),
                "styles": [s.slug for s in ps.styles.all()],
                "retention": {
                    k: str(v) if v else None for k, v in retention_dates(photo_session=ps).items()
                },
            }
            for ps in sessions
        ],
        "orders": orders,
        "consents": [_jsonable(c) for c in ConsentRecord.objects.filter(user=user).order_by("id")],
        "requests": [
            _jsonable(r) for r in DataSubjectRequest.objects.filter(user=user).order_by("id")
        ],
        "deletion_receipts": [
            _jsonable(r) for r in DeletionReceipt.objects.filter(subject=user).order_by("id")
        ],
    }


class _TempFile(File):
    def temporary_file_path(self):
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
            for model, fk, fields in _session_file_models():
                label = model._meta.model_name
                rows = model.objects.filter(**{f"{fk}__user": user}).select_related(fk)
                for row in rows.iterator():
                    for field in fields:
                        fieldfile = getattr(row, field.name)
                        if not fieldfile or field.name in ("thumbnail", "preview"):
                            continue
                        session = getattr(row, fk).public_id
                        arcname = f"files/{session}/{label}/{row.pk}-{Path(fieldfile.name).name}"
                        try:
                            with (
                                fieldfile.storage.open(fieldfile.name, "rb") as src,
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


def export_from_token(token: str, *, user) -> DataExport:
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


def export_request(*, user, request_obj=None) -> DataExport:
    """Start building an export off-request; the customer gets an email with the link."""
    from . import tasks

    with transaction.atomic():
        export = DataExport.objects.create(user=user, request=request_obj)
        audit_log(action="export.requested", actor=user, subject=user, obj=export)
        transaction.on_commit(lambda: tasks.export_build.delay(export.pk))
    return export


def export_notify(*, export: DataExport) -> None:
    """Email the owner the expiring link to a ready export (and close its request)."""
    user = export.user
    _email(
        to=user.email,
        language=user.preferred_language,
        template="export_ready",
        context={"url": _absolute(export_link(export)), "expires": export.expires_at},
    )
    if export.request is not None and export.request.is_open:
        dsr_close(dsr=export.request)


# --- GPC and cookies ------------------------------------------------------------------------


def gpc_record(*, request, browser_id: str) -> None:
    """Record a sale/sharing opt-out for the browser and the signed-in account (P15)."""
    user = _real_user(getattr(request, "user", None))
    purpose = ConsentRecord.Purpose.SALE_SHARING
    subjects = [{"browser_id": browser_id}] + ([{"user": user}] if user is not None else [])
    for subject in subjects:
        latest = consent_latest(purpose=purpose, **subject)
        if latest is None or latest.granted:
            consent_record(
                user=subject.get("user"),
                purpose=purpose,
                granted=False,
                method=ConsentRecord.Method.GPC,
                request=request,
                browser_id=browser_id,
            )


# --- aggregate figures ----------------------------------------------------------------------


def privacy_stats() -> dict:
    """Aggregate counts and rates for the officer's dashboard; no identities (P07)."""
    today = timezone.localdate()
    open_requests = DataSubjectRequest.objects.exclude(
        status__in=[DataSubjectRequest.Status.FULFILLED, DataSubjectRequest.Status.REFUSED]
    )
    rates = []
    for purpose in (
        ConsentRecord.Purpose.MODEL_IMPROVEMENT,
        ConsentRecord.Purpose.MARKETING_LIKENESS,
        ConsentRecord.Purpose.COOKIES_OPTIONAL,
    ):
        latest_ids = (
            ConsentRecord.objects.filter(purpose=purpose, user__isnull=False)
            .values("user")
            .annotate(last=models.Max("id"))
            .values("last")
        )
        total = ConsentRecord.objects.filter(id__in=latest_ids).count()
        granted = ConsentRecord.objects.filter(id__in=latest_ids, granted=True).count()
        rates.append(
            {
                "purpose": ConsentRecord.Purpose(purpose).label,
                "total": total,
                "rate": round(100 * granted / total) if total else None,
            }
        )
    since = timezone.now() - datetime.timedelta(days=30)
    return {
        "open_count": open_requests.count(),
        "overdue_count": open_requests.filter(due_date__lt=today).count(),
        "due_soon_count": open_requests.filter(
            due_date__gte=today, due_date__lte=today + datetime.timedelta(days=7)
        ).count(),
        "by_type": list(
            DataSubjectRequest.objects.values("type")
            .annotate(n=models.Count("id"))
            .order_by("type")
        ),
        "rates": rates,
        "deletions": list(
            DeletionReceipt.objects.filter(deleted_at__gte=since)
            .values("reason")
            .annotate(n=models.Count("id"))
            .order_by("reason")
        ),
        "holds": _active_holds().count(),
        "restrictions": ProcessingRestriction.objects.filter(lifted_at__isnull=True).count(),
    }
