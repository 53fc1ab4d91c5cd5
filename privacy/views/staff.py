from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect

from pictureus.storage import private_file_response

from .. import services


@login_required
def staff_photo(request, kind, pk):
    """A staff view of a customer's original or portrait; every view is audited (P24)."""
    from generation.models import Portrait
    from sessions_app.models import SourcePhoto

    models_by_kind = {
        "original": (SourcePhoto, "sessions_app.view_sourcephoto", "image"),
        "portrait": (Portrait, "generation.view_portrait", "image"),
    }
    if kind not in models_by_kind:
        raise Http404
    model, perm, field = models_by_kind[kind]
    if not (request.user.is_staff and request.user.has_perm(perm)):
        services.audit_log(
            action="staff.photo_view_refused",
            actor=request.user,
            detail={"kind": kind, "id": pk},
        )
        raise PermissionDenied
    obj = get_object_or_404(model, pk=pk)
    fieldfile = getattr(obj, field)
    if not fieldfile:
        raise Http404
    services.audit_photo_view(actor=request.user, photo=obj, request=request, field=field)
    return private_file_response(fieldfile)


def staff_dashboard(request):
    """The privacy figures moved to the back office; old bookmarks follow them there."""
    return redirect("admin:privacy_figures", permanent=True)
