from django.db import models

from .models import AuditEvent


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
