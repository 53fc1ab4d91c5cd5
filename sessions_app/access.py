"""The one way any app gets hold of a photo session for a request.

A customer reaches only their own sessions: anyone else's id is a 404, never a 403, so that
ids cannot be probed. Staff reach any session with the permission asked for, and each such
view is written to the audit log (P24).
"""

import uuid

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from privacy.services import audit_log

from .models import PhotoSession


def session_for_user(request: HttpRequest, public_id: uuid.UUID | str) -> PhotoSession:
    """The signed-in customer's own session with this public id, or 404."""
    return get_object_or_404(
        PhotoSession.objects.select_related("plan", "user"), public_id=public_id, user=request.user
    )


def session_for_staff(
    request: HttpRequest, pk: int, *, permission: str = "sessions_app.view_photosession"
) -> PhotoSession:
    """Any session, for staff who hold `permission` (403 otherwise); the view is audited."""
    if not (request.user.is_staff and request.user.has_perm(permission)):
        raise PermissionDenied
    photo_session = get_object_or_404(PhotoSession.objects.select_related("user"), pk=pk)
    audit_log(
        action="sessions.staff_view",
        actor=request.user,
        subject=photo_session.user,
        obj=photo_session,
        detail={"path": request.path},
    )
    return photo_session
