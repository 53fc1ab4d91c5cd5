import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import NoReverseMatch, reverse
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from generation import services as generation_services
from pictureus.money import currency_for_language, format_money
from pictureus.pagecache import cached_page
from pictureus.storage import private_file_response
from privacy.models import ConsentRecord
from privacy.notices import consent_notices, consent_text_for
from privacy.services import (
    consent_is_current,
    processing_restricted,
    retention_dates,
    retention_periods,
)

from . import services
from .access import session_for_user
from .checkout import WITHDRAWAL_TERMS
from .forms import CheckoutForm, ConsentForm, NewSessionForm, UploadForm
from .models import PhotoSession, Plan, StylePack
from .photos import MAX_BYTES, PhotoRejected, photo_process
from .withdrawal import WITHDRAWABLE

logger = logging.getLogger(__name__)
S = PhotoSession.State


@login_required
def dashboard(request):
    def page():
        sessions = list(PhotoSession.objects.filter(user=request.user).select_related("plan"))
        return render(request, "sessions_app/dashboard.html", {"cards": _session_cards(sessions)})

    return cached_page(request, page, version=PhotoSession.list_version(request.user))


def _session_cards(sessions: list[PhotoSession]) -> list[dict]:
    """Each session's card text and link, made here once per dashboard: URL tags and a
    translation block per card were most of a long dashboard's render time."""
    periods = retention_periods()
    # One reversed URL, the session's id put in for each card: the route stays urls.py's.
    placeholder = "00000000-0000-0000-0000-000000000000"
    detail_url = reverse("sessions_app:detail", kwargs={"public_id": placeholder})
    started = _("Started on %(date)s")
    return [
        {
            "session": photo_session,
            "url": detail_url.replace(placeholder, str(photo_session.public_id)),
            "started": started % {"date": date_format(localtime(photo_session.created_at))},
            "money": format_money(photo_session.amount, photo_session.currency),
            "deletion_dates": retention_dates(photo_session=photo_session, periods=periods),
        }
        for photo_session in sessions
    ]


@login_required
def new_session(request):
    user = request.user
    if not user.can_buy:
        # Region and age are asked once, before the first purchase (P17).
        query = urlencode({"next": request.get_full_path()})
        return redirect(f"{reverse('accounts:region_age')}?{query}")
    currency = currency_for_language(request.LANGUAGE_CODE)
    # The pricing page links here with ?plan=<slug>: start with that plan chosen.
    chosen = Plan.objects.filter(slug=request.GET.get("plan", ""), active=True).first()
    form = NewSessionForm(
        request.POST or None, currency=currency, initial={"plan": chosen.pk if chosen else None}
    )
    if request.method == "POST" and form.is_valid():
        photo_session = services.session_create(
            user=user,
            plan=form.cleaned_data["plan"],
            styles=form.cleaned_data["styles"],
            currency=currency,
            natural=form.cleaned_data["natural"],
        )
        return redirect("sessions_app:detail", public_id=photo_session.public_id)
    plans = Plan.objects.filter(active=True, prices__currency=currency).prefetch_related("prices")
    context = {
        "form": form,
        "plans": plans,
        "styles": StylePack.objects.filter(active=True),
        "currency": currency,
    }
    return render(request, "sessions_app/new.html", context)


def _progress_template():
    try:
        return get_template("generation/_progress.html").template.name
    except TemplateDoesNotExist:
        return ""


def _gallery_url(photo_session):
    for name in ("generation:gallery", "generation:session"):
        try:
            return reverse(name, kwargs={"public_id": photo_session.public_id})
        except NoReverseMatch:
            continue
    return ""


@login_required
def detail(request, public_id):
    photo_session = session_for_user(request, public_id)
    accepted = photo_session.photos.count()
    context = {
        "photo_session": photo_session,
        "styles": photo_session.styles.all(),
        "accepted": accepted,
        "min_photos": services.MIN_PHOTOS,
        "progress_template": (
            _progress_template()
            if photo_session.state in (S.QUEUED, S.TRAINING, S.GENERATING)
            else ""
        ),
        "gallery_url": _gallery_url(photo_session),
        "checkout_returned": request.GET.get("checkout") == "done",
        "deletion_dates": retention_dates(photo_session=photo_session),
        "paid_order": photo_session.orders.filter(paid_at__isnull=False)
        .order_by("paid_at")
        .first(),
        "checkout_form": CheckoutForm(),
        "withdrawal_terms": WITHDRAWAL_TERMS,
        "may_withdraw": photo_session.state in WITHDRAWABLE,
    }
    return render(request, "sessions_app/detail.html", context)


def photo_session_url(photo_session):
    return reverse("sessions_app:detail", kwargs={"public_id": photo_session.public_id})


@login_required
def consent(request, public_id):
    photo_session = session_for_user(request, public_id)
    if photo_session.state not in (S.PAID, S.COLLECTING_PHOTOS):
        return redirect(photo_session_url(photo_session))
    notices = consent_notices()
    form = ConsentForm(request.POST or None, notices=notices)
    if request.method == "POST" and form.is_valid():
        services.session_consent_give(
            photo_session=photo_session,
            face_photos=form.cleaned_data["face_photos"],
            model_improvement=form.cleaned_data["model_improvement"],
            marketing_likeness=form.cleaned_data["marketing_likeness"],
            only_me=form.cleaned_data["only_me"],
            request=request,
            consent_texts={notice.purpose: consent_text_for(notice) for notice in notices},
        )
        return redirect("sessions_app:photos", public_id=photo_session.public_id)
    context = {
        "photo_session": photo_session,
        "form": form,
        "notices": [(notice, form[notice.purpose]) for notice in notices],
    }
    return render(request, "sessions_app/consent.html", context)


def _may_upload(photo_session) -> bool:
    user = photo_session.user
    return consent_is_current(
        user=user, purpose=ConsentRecord.Purpose.FACE_PHOTOS, photo_session=photo_session
    ) and not processing_restricted(user=user)


SESSION_SENT = gettext_lazy(
    "Your session was sent for its portraits while this photo was being checked, so it was "
    "not added."
)


def _photo_verdict(photo_session, upload) -> dict:
    name = (upload.name or "")[:120]
    try:
        if upload.size > MAX_BYTES:
            raise PhotoRejected("too_large")
        data = upload.read(MAX_BYTES + 1)
        known = list(photo_session.photos.values_list("phash", flat=True))
        processed = photo_process(data, known_hashes=known)
        photo = services.photo_accept(photo_session=photo_session, processed=processed)
    except PhotoRejected as rejected:
        return {"name": name, "accepted": False, "reason": str(rejected.reason)}
    except services.InvalidTransition:
        # Sent for its portraits from another tab while this batch was being checked: nothing
        # of this photo was stored.
        return {"name": name, "accepted": False, "reason": str(SESSION_SENT), "sent": True}
    return {
        "name": name,
        "accepted": True,
        "id": photo.pk,
        "thumbnail": reverse(
            "sessions_app:photo_thumb",
            kwargs={"public_id": photo_session.public_id, "photo_id": photo.pk},
        ),
        "delete_url": reverse(
            "sessions_app:photo_delete",
            kwargs={"public_id": photo_session.public_id, "photo_id": photo.pk},
        ),
    }


def _photos_status(photo_session) -> dict:
    """How many photos are in and whether "Make my portraits" can be pressed; if not, why.

    The page renders it and the upload script shows it again after each photo added or removed.
    """
    count = photo_session.photos.count()
    someone_else = photo_session.photos.filter(likeness__lt=0.5).count()
    context = {"counter": count, "count": count, "min": services.MIN_PHOTOS}
    if someone_else:
        reason = ngettext(
            "One photo looks like a different person from the others. Please delete it to "
            "continue.",
            "%(count)d photos look like a different person from the others. Please delete "
            "them to continue.",
            someone_else,
        ) % {"count": someone_else}
    elif count < services.MIN_PHOTOS:
        reason = (
            ngettext(
                "Add at least %(min)d photo to continue — %(count)d so far.",
                "Add at least %(min)d photos to continue — %(count)d so far.",
                services.MIN_PHOTOS,
            )
            % context
        )
    else:
        reason = ""
    return {
        "accepted": count,
        "can_submit": not reason and photo_session.state == S.COLLECTING_PHOTOS,
        "count_text": ngettext(
            "%(counter)s photo accepted of the %(min)s needed.",
            "%(counter)s photos accepted of the %(min)s needed.",
            count,
        )
        % context,
        "submit_reason": reason,
    }


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@login_required
def photos(request, public_id):
    photo_session = session_for_user(request, public_id)
    wants_json = _wants_json(request)
    if request.method == "POST":
        # Nothing is read or stored without a current face-photo consent (P02).
        if not _may_upload(photo_session):
            raise PermissionDenied
        if photo_session.state != S.COLLECTING_PHOTOS:
            if wants_json:
                return JsonResponse({"error": _("This session takes no more photos.")}, status=409)
            return redirect(photo_session_url(photo_session))
        uploads = request.FILES.getlist("photos")[: services.MAX_PHOTOS]
        results = []
        for upload in uploads:
            if results and results[-1].get("sent"):
                # The session was sent meanwhile: the rest of the batch is not even checked.
                results.append({**results[-1], "name": (upload.name or "")[:120]})
            else:
                results.append(_photo_verdict(photo_session, upload))
        if not uploads:
            messages.error(request, _("Please choose at least one photo."))
        if wants_json:
            return JsonResponse({"results": results, **_photos_status(photo_session)})
        return _photos_page(request, photo_session, results)
    if photo_session.state == S.PAID or (
        photo_session.state == S.COLLECTING_PHOTOS and not _may_upload(photo_session)
    ):
        return redirect("sessions_app:consent", public_id=photo_session.public_id)
    return _photos_page(request, photo_session, [])


def _photos_page(request, photo_session, results):
    context = {
        "photo_session": photo_session,
        "form": UploadForm(),
        "photos": list(photo_session.photos.all()),
        "results": results,
        "min_photos": services.MIN_PHOTOS,
        "max_photos": services.MAX_PHOTOS,
        "status": _photos_status(photo_session),
        "collecting": photo_session.state == S.COLLECTING_PHOTOS,
    }
    return render(request, "sessions_app/photos.html", context)


@login_required
def photo_file(request, public_id, photo_id, kind):
    photo_session = session_for_user(request, public_id)
    photo = get_object_or_404(photo_session.photos, pk=photo_id)
    if kind == "thumb":
        return private_file_response(photo.thumbnail, content_type="image/webp", presign=True)
    return private_file_response(photo.image, content_type="image/jpeg", presign=True)


@login_required
@require_POST
def photo_delete(request, public_id, photo_id):
    photo_session = session_for_user(request, public_id)
    photo = get_object_or_404(photo_session.photos, pk=photo_id)
    if photo_session.state != S.COLLECTING_PHOTOS:
        refusal = _("Photos can be removed only while you are still adding them.")
        if _wants_json(request):
            return JsonResponse({"error": refusal}, status=409)
        messages.error(request, refusal)
    else:
        services.photo_delete(photo=photo, reason="request", actor=request.user)
        if _wants_json(request):
            return JsonResponse(_photos_status(photo_session))
        messages.success(request, _("The photo was deleted."))
    return redirect("sessions_app:photos", public_id=photo_session.public_id)


@login_required
@require_POST
def submit(request, public_id):
    photo_session = session_for_user(request, public_id)
    try:
        generation_services.session_submit(photo_session=photo_session, actor=request.user)
    except services.InvalidTransition:
        messages.error(
            request,
            _photos_status(photo_session)["submit_reason"]
            or _("Please add at least %(count)d accepted photos before you continue.")
            % {"count": services.MIN_PHOTOS},
        )
        return redirect("sessions_app:photos", public_id=photo_session.public_id)
    messages.success(request, _("Your photos are in the queue. We will start training soon."))
    return redirect(photo_session_url(photo_session))
