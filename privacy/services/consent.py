"""The consent ledger, restrictions and the GPC opt-out (P02, P06, P15, P16, P20).

Core: imports no other app. Withdrawal acts on the data, so it is a workflow (`erasure`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AnonymousUser
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone

from pictureus.timezones import service_today

from .. import registry
from ..models import (
    ConsentRecord,
    ConsentText,
    DataSubjectRequest,
    PolicyVersion,
    ProcessingRestriction,
    hash_ip,
)
from .audit import audit_log, client_ip, real_user

if TYPE_CHECKING:
    from accounts.models import User
    from sessions_app.models import PhotoSession

# Purposes that a standing restriction, objection or limit-use request blocks (P16).
RESTRICTABLE_PURPOSES = {
    ConsentRecord.Purpose.FACE_PHOTOS,
    ConsentRecord.Purpose.MODEL_IMPROVEMENT,
    ConsentRecord.Purpose.MARKETING_LIKENESS,
}


def consent_record(
    *,
    user: User | AnonymousUser | None,
    purpose: str,
    granted: bool,
    method: str,
    request: HttpRequest | None = None,
    photo_session: PhotoSession | None = None,
    browser_id: str = "",
    consent_text: ConsentText | None = None,
) -> ConsentRecord:
    """Append one grant or withdrawal to the consent ledger under the current policy version;
    `consent_text`: the version of the consent's own wording the customer was shown.

    A withdrawal or a decline stops at once what other apps do for that purpose (P06).
    """
    user = real_user(user)
    policy = PolicyVersion.current(PolicyVersion.Kind.PRIVACY)
    ua = request.META.get("HTTP_USER_AGENT", "")[:300] if request is not None else ""
    record = ConsentRecord.objects.create(
        user=user,
        browser_id=browser_id,
        photo_session=photo_session,
        purpose=purpose,
        granted=granted,
        policy_version=policy,
        text_sha256=policy.text_sha256 if policy else "",
        consent_text=consent_text,
        method=method,
        ip_hash=hash_ip(client_ip(request)),
        user_agent=ua,
        jurisdiction=(user.region if user is not None else "") or "",
    )
    if not granted and user is not None:
        _consent_ended(user=user, purposes=[purpose])
    return record


def _consent_ended(*, user: User, purposes: Iterable[str]) -> None:
    for purpose in purposes:
        for stop in registry.consent_ended_handlers(purpose):
            stop(user=user)


def consent_latest(
    *,
    user: User | None = None,
    purpose: str,
    photo_session: PhotoSession | None = None,
    browser_id: str = "",
) -> ConsentRecord | None:
    """The latest ledger row for a subject and purpose (None when there is none)."""
    qs = ConsentRecord.objects.filter(purpose=purpose)
    if user is not None:
        qs = qs.filter(user=user)
    elif browser_id:
        qs = qs.filter(browser_id=browser_id, user__isnull=True)
    else:
        return None
    if photo_session is not None:
        # A withdrawal given for the whole account (no session named) covers this session too.
        qs = qs.filter(models.Q(photo_session=photo_session) | models.Q(photo_session__isnull=True))
    return qs.select_related("policy_version").order_by("-created_at", "-id").first()


def _material_change_since(version: PolicyVersion | None) -> bool:
    """Whether a material privacy-policy version took effect after `version` (P20)."""
    newer = PolicyVersion.objects.filter(
        kind=PolicyVersion.Kind.PRIVACY,
        material_change=True,
        effective_date__lte=service_today(),
    )
    if version is None:
        return newer.exists()
    return newer.filter(
        models.Q(effective_date__gt=version.effective_date)
        | models.Q(effective_date=version.effective_date, id__gt=version.id)
    ).exists()


def consent_is_current(
    *, user: User | AnonymousUser | None, purpose: str, photo_session: PhotoSession | None = None
) -> bool:
    """Whether processing for `purpose` may go on now.

    True when the latest ledger row is a grant and no material policy version took effect after
    the one it was given under (P20), and no restriction stands for processing purposes (P16).
    """
    user = real_user(user)
    if user is None:
        return False
    latest = consent_latest(user=user, purpose=purpose, photo_session=photo_session)
    if latest is None or not latest.granted:
        return False
    if _material_change_since(latest.policy_version):
        return False
    return not (purpose in RESTRICTABLE_PURPOSES and processing_restricted(user=user))


def consent_needs_renewal(*, user: User) -> bool:
    """Whether the customer granted something under a version a material change superseded."""
    for purpose in RESTRICTABLE_PURPOSES:
        latest = consent_latest(user=user, purpose=purpose)
        if latest and latest.granted and _material_change_since(latest.policy_version):
            return True
    return False


def processing_restricted(*, user: User | AnonymousUser | None) -> bool:
    """Whether a restriction, objection or limit-use request stands for the customer (P16)."""
    user = real_user(user)
    if user is None:
        return False
    return ProcessingRestriction.objects.filter(user=user, lifted_at__isnull=True).exists()


def restriction_place(
    *,
    user: User,
    kind: str,
    request_obj: DataSubjectRequest | None = None,
    actor: User | None = None,
) -> ProcessingRestriction:
    """Start a restriction; training, generation and optional uses stop while it stands."""
    with transaction.atomic():
        restriction = ProcessingRestriction.objects.create(
            user=user, kind=kind, request=request_obj
        )
        _consent_ended(user=user, purposes=sorted(RESTRICTABLE_PURPOSES))
        audit_log(action="restriction.placed", actor=actor, subject=user, obj=restriction)
    return restriction


def restriction_lift(*, restriction: ProcessingRestriction, actor: User | None = None) -> None:
    """Lift a restriction (the customer's or the officer's decision)."""
    with transaction.atomic():
        ProcessingRestriction.objects.filter(pk=restriction.pk, lifted_at__isnull=True).update(
            lifted_at=timezone.now()
        )
        audit_log(
            action="restriction.lifted", actor=actor, subject=restriction.user, obj=restriction
        )


def gpc_record(*, request: HttpRequest, browser_id: str) -> None:
    """Record a sale/sharing opt-out for the browser and the signed-in account (P15)."""
    user = real_user(getattr(request, "user", None))
    purpose = ConsentRecord.Purpose.SALE_SHARING
    subjects: list[dict[str, Any]] = [{"browser_id": browser_id}]
    subjects += [{"user": user}] if user is not None else []
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


def cookie_choice_record(
    *, request: HttpRequest, browser_id: str, accepted: bool, method: str
) -> ConsentRecord:
    """Record a choice about optional cookies for the browser and the signed-in account (P21)."""
    return consent_record(
        user=getattr(request, "user", None),
        purpose=ConsentRecord.Purpose.COOKIES_OPTIONAL,
        granted=accepted,
        method=method,
        request=request,
        browser_id=browser_id,
    )


def cookie_choice_latest(
    *, browser_id: str, user: User | AnonymousUser | None = None
) -> ConsentRecord | None:
    """The latest optional-cookie choice made in this browser, by a visitor or by `user`.

    Never another account's row: a shared browser keeps each account's choices apart.
    """
    if not browser_id:
        return None
    user = real_user(user)
    whose = models.Q(user__isnull=True)
    if user is not None:
        whose |= models.Q(user=user)
    rows = ConsentRecord.objects.filter(
        whose, purpose=ConsentRecord.Purpose.COOKIES_OPTIONAL, browser_id=browser_id
    )
    return rows.order_by("-created_at", "-id").first()
