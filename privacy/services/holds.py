"""Legal holds: they keep exactly what they name from the sweep and from erasure (P11).

Core: imports no other app. Releasing a hold resumes an erasure, so it is in `erasure`.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.db import models, transaction

from pictureus.timezones import service_today

from ..models import LegalHold
from .audit import audit_log

if TYPE_CHECKING:
    from accounts.models import User
    from sessions_app.models import PhotoSession


def active_holds() -> models.QuerySet[LegalHold]:
    today = service_today()
    return LegalHold.objects.filter(released_at__isnull=True).filter(
        models.Q(until__isnull=True) | models.Q(until__gte=today)
    )


def hold_applies(*, user: User, photo_session: models.Model | None = None) -> bool:
    """Whether an active legal hold keeps this account (or this session of it)."""
    holds = active_holds().filter(user=user)
    if photo_session is None:
        return holds.filter(scope=LegalHold.Scope.ACCOUNT).exists()
    return holds.filter(
        models.Q(scope=LegalHold.Scope.ACCOUNT) | models.Q(photo_session=photo_session)
    ).exists()


def hold_place(
    *,
    user: User,
    scope: str,
    reason: str,
    actor: User | None,
    photo_session: PhotoSession | None = None,
    until: datetime.date | None = None,
) -> LegalHold:
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
