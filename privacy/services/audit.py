"""The audit trail: who did what to whose data (P10, P24). Core: imports no other app."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeGuard

from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.http import HttpRequest

from ..models import AuditEvent, hash_ip

if TYPE_CHECKING:
    from accounts.models import User


def subject_ref_for(user: User | None) -> str:
    """A stable pseudonymous reference for a user, kept in logs after erasure."""
    return f"user:{user.pk}" if user is not None and user.pk else ""


def audit_log(
    *,
    action: str,
    actor: User | AnonymousUser | None = None,
    subject: User | None = None,
    obj: models.Model | None = None,
    detail: dict[str, Any] | None = None,
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


def audit_photo_view(
    *,
    actor: User | AnonymousUser | None,
    photo: models.Model,
    request: HttpRequest | None = None,
    field: str = "image",
) -> None:
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
        detail={"field": field, "ip_hash": hash_ip(client_ip(request)) if request else ""},
    )


def client_ip(request: HttpRequest | None) -> str:
    if request is None:
        return ""
    return request.META.get("REMOTE_ADDR", "")


def signed_in(user: User | AnonymousUser | None) -> TypeGuard[User]:
    """Whether `user` is an account someone is signed in to (not None, not anonymous)."""
    return user is not None and getattr(user, "is_authenticated", False)


def real_user(user: User | AnonymousUser | None) -> User | None:
    return user if signed_in(user) else None
