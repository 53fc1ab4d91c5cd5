"""The studio: progress while the GPU works, then the gallery and its downloads."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import FileResponse, Http404, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pictureus.db import prepared_cursor
from pictureus.pagecache import cached_page
from privacy.services import retention_dates
from sessions_app.models import PhotoSession, StylePack

from . import services
from .modelcheck import uses_tiny_model
from .models import GenerationJob, Portrait
from .progress import progress_for_display


def session_for(request, public_id) -> PhotoSession:
    """The customer's own session, or 404: the one access check of this app."""
    return get_object_or_404(
        PhotoSession.objects.select_related("plan", "user"), public_id=public_id, user=request.user
    )


def _portrait_for(photo_session, portrait_id):
    return get_object_or_404(
        services.gallery_portraits(photo_session=photo_session), pk=portrait_id
    )


@login_required
def gallery(request, public_id):
    version = _gallery_version(request.user, public_id)
    if version is None:
        return _gallery(request, session_for(request, public_id))
    return cached_page(
        request, lambda: _gallery(request, session_for(request, public_id)), version=version
    )


def _gallery_version(user, public_id) -> tuple | None:
    """What the gallery shows changes only with these: the session's last save, its jobs (how
    many, how many still working, the last to finish) and its portraits (how many, the last
    change, favourites included). None while a job is queued or running (progress moves by the
    second), and for a session that is not the user's, which then goes through session_for.
    """
    public_id = PhotoSession._meta.get_field("public_id").get_db_prep_value(public_id, connection)
    with prepared_cursor() as cursor:
        cursor.execute(GALLERY_VERSION_SQL, [*GenerationJob.ACTIVE_STATES, public_id, user.pk])
        row = cursor.fetchone()
    # No row: not this user's session. A job still working: "1 ..." and up; none at all: NULL.
    if row is None or (row[1] and not row[1].startswith("0 ")):
        return None
    return row


# One statement in plain SQL, planned once per connection: the gallery asks it on every view,
# and building it with the ORM costs several times what running it does.
GALLERY_VERSION_SQL = (  # noqa: S608 - table names from the models' own metadata
    "SELECT s.updated_at, "
    "(SELECT SUM(CASE WHEN j.state IN ({working}) THEN 1 ELSE 0 END) || ' ' || COUNT(*) || ' ' "
    "|| COALESCE(CAST(MAX(j.finished_at) AS TEXT), '') "
    "FROM {jobs} j WHERE j.photo_session_id = s.id), "
    "(SELECT COUNT(*) || ' ' || COALESCE(CAST(MAX(p.updated_at) AS TEXT), '') "
    "FROM {portraits} p WHERE p.photo_session_id = s.id) "
    "FROM {sessions} s WHERE s.public_id = %s AND s.user_id = %s"
).format(
    working=", ".join(["%s"] * len(GenerationJob.ACTIVE_STATES)),
    jobs=GenerationJob._meta.db_table,
    portraits=Portrait._meta.db_table,
    sessions=PhotoSession._meta.db_table,
)


def _gallery(request, photo_session):
    portraits = list(services.gallery_portraits(photo_session=photo_session))
    only_favourites = request.GET.get("favourites") == "1"
    styles = []
    for style in photo_session.styles.order_by("order", "id"):
        items = [p for p in portraits if p.style_id == style.pk]
        if only_favourites:
            items = [p for p in items if p.favourite]
        styles.append(
            {
                "style": style,
                "portraits": items,
                "can_regenerate": services.style_can_regenerate(
                    photo_session=photo_session, style=style
                ),
            }
        )
    context = {
        "photo_session": photo_session,
        "styles": styles,
        "has_portraits": bool(portraits),
        "only_favourites": only_favourites,
        "retention": retention_dates(photo_session=photo_session),
        "uses_tiny_model": uses_tiny_model(),
        "progress": progress_for_display(photo_session=photo_session),
    }
    return render(request, "generation/gallery.html", context)


@login_required
def progress(request, public_id):
    photo_session = session_for(request, public_id)
    data = progress_for_display(photo_session=photo_session)
    return JsonResponse(data, headers={"Cache-Control": "no-store"})


@login_required
def portrait_file(request, public_id, portrait_id, kind):
    photo_session = session_for(request, public_id)
    portrait = _portrait_for(photo_session, portrait_id)
    if kind == "full":
        return FileResponse(
            portrait.image.open("rb"),
            as_attachment=True,
            filename=portrait.download_name(),
            content_type="image/png",
        )
    if kind == "preview":
        response = FileResponse(portrait.preview.open("rb"), content_type="image/webp")
        response["Cache-Control"] = "private, max-age=3600"
        return response
    raise Http404


@login_required
@require_POST
def portrait_favourite(request, public_id, portrait_id):
    photo_session = session_for(request, public_id)
    portrait = _portrait_for(photo_session, portrait_id)
    favourite = request.POST.get("favourite") == "1"
    services.portrait_favourite_set(portrait=portrait, favourite=favourite)
    if request.headers.get("Accept") == "application/json":
        return JsonResponse({"favourite": favourite})
    return redirect("generation:gallery", public_id=photo_session.public_id)


@login_required
def download_all(request, public_id):
    photo_session = session_for(request, public_id)
    portraits = list(services.gallery_portraits(photo_session=photo_session))
    if not portraits:
        raise Http404
    response = StreamingHttpResponse(
        services.gallery_zip_chunks(portraits=portraits), content_type="application/zip"
    )
    name = f"pictureus-{str(photo_session.public_id)[:8]}.zip"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def style_regenerate(request, public_id, style_id):
    photo_session = session_for(request, public_id)
    style = get_object_or_404(StylePack, pk=style_id)
    try:
        services.style_regenerate(photo_session=photo_session, style=style, actor=request.user)
    except services.RegenerationRefused:
        messages.error(
            request,
            _(
                "This style cannot be made again: each style can be made again once, "
                "after delivery."
            ),
        )
    else:
        messages.success(
            request,
            _("New portraits for %(style)s are on their way. Your current ones stay until then.")
            % {"style": style.name},
        )
    return redirect("generation:gallery", public_id=photo_session.public_id)
