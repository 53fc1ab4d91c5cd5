"""The studio: progress while the GPU works, then the gallery and its downloads."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import (
    Http404,
    HttpResponseNotModified,
    HttpResponseRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pictureus.pagecache import cached_page
from pictureus.storage import private_file_response
from privacy.services import retention_dates
from sessions_app import services as sessions_services
from sessions_app.access import session_for_user
from sessions_app.checkout import (
    ADDON_WITHDRAWAL_AGREEMENT,
    ADDON_WITHDRAWAL_TERMS,
    WITHDRAWAL_TERMS_VERSION,
    WithdrawalAgreement,
)
from sessions_app.models import Order, StylePack

from . import samples
from .forms import AddonForm
from .modelcheck import uses_tiny_model
from .progress import progress_for_display
from .services.addons import AddonRefused, addon_checkout
from .services.gallery import (
    gallery_portraits,
    gallery_shortfall,
    gallery_version,
    gallery_zip,
    portrait_favourite_set,
)
from .services.offers import addon_offer
from .services.regenerate import RegenerationRefused, style_can_regenerate
from .services.regenerate import style_regenerate as regenerate


def _portrait_for(photo_session, portrait_id):
    return get_object_or_404(gallery_portraits(photo_session=photo_session), pk=portrait_id)


@login_required
def gallery(request, public_id):
    version = gallery_version(user=request.user, public_id=public_id)
    if version is None:
        return _gallery(request, session_for_user(request, public_id))
    return cached_page(
        request,
        lambda: _gallery(request, session_for_user(request, public_id)),
        # The extra-styles offer ends at an hour of the clock, not with a change of the session.
        version=(*version, timezone.now().strftime("%Y%m%d%H")),
        query=("favourites",),
    )


def _tiles(portraits, gallery_url: str, style) -> list[dict]:
    """Each portrait with its links and its image's text, made here once per gallery: a URL
    tag and a translation tag per tile were most of a 100-portrait page's render time. The
    links follow generation/urls.py (portraits/<id>/preview/, full/ and favourite/ under the
    gallery's own URL)."""
    alt = gettext("Portrait %(number)s in the style %(style)s")
    return [
        {
            "portrait": portrait,
            "url": f"{gallery_url}portraits/{portrait.pk}/",
            "alt": alt % {"number": number, "style": style.name},
        }
        for number, portrait in enumerate(portraits, start=1)
    ]


def _gallery(request, photo_session):
    portraits = list(gallery_portraits(photo_session=photo_session))
    only_favourites = request.GET.get("favourites") == "1"
    styles = []
    shortfall = gallery_shortfall(photo_session=photo_session)
    gallery_url = reverse("generation:gallery", args=[photo_session.public_id])
    for style in photo_session.styles.order_by("order", "id"):
        items = [p for p in portraits if p.style_id == style.pk]
        if only_favourites:
            items = [p for p in items if p.favourite]
        styles.append(
            {
                "style": style,
                "portraits": _tiles(items, gallery_url, style),
                "can_regenerate": style_can_regenerate(photo_session=photo_session, style=style),
                "shortfall": shortfall.get(style.pk),
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
        "addon": addon_offer(photo_session=photo_session),
        "addon_withdrawal_terms": ADDON_WITHDRAWAL_TERMS,
        "addon_withdrawal_agreement": ADDON_WITHDRAWAL_AGREEMENT,
    }
    return render(request, "generation/gallery.html", context)


@login_required
def progress(request, public_id):
    photo_session = session_for_user(request, public_id)
    data = progress_for_display(photo_session=photo_session)
    return JsonResponse(data, headers={"Cache-Control": "no-store"})


@login_required
def portrait_file(request, public_id, portrait_id, kind):
    photo_session = session_for_user(request, public_id)
    portrait = _portrait_for(photo_session, portrait_id)
    if kind == "full":
        return private_file_response(
            portrait.image, content_type="image/png", download_name=portrait.download_name()
        )
    if kind == "preview":
        return private_file_response(portrait.preview, content_type="image/webp")
    raise Http404


@login_required
@require_POST
def portrait_favourite(request, public_id, portrait_id):
    photo_session = session_for_user(request, public_id)
    portrait = _portrait_for(photo_session, portrait_id)
    favourite = request.POST.get("favourite") == "1"
    portrait_favourite_set(portrait=portrait, favourite=favourite)
    if request.headers.get("Accept") == "application/json":
        return JsonResponse({"favourite": favourite})
    return redirect("generation:gallery", public_id=photo_session.public_id)


@login_required
def download_all(request, public_id):
    photo_session = session_for_user(request, public_id)
    portraits = list(gallery_portraits(photo_session=photo_session))
    if not portraits:
        raise Http404
    archive = gallery_zip(portraits=portraits)
    response = StreamingHttpResponse(archive, content_type="application/zip")
    response["Content-Length"] = len(archive)
    name = f"pictureus-{str(photo_session.public_id)[:8]}.zip"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def style_regenerate(request, public_id, style_id):
    photo_session = session_for_user(request, public_id)
    style = get_object_or_404(StylePack, pk=style_id)
    try:
        regenerate(photo_session=photo_session, style=style, actor=request.user)
    except RegenerationRefused:
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


@login_required
@require_POST
def addon_buy(request, public_id):
    """Buy more styles on the session's kept model: its own order, the same checkout."""
    photo_session = session_for_user(request, public_id)
    gallery_url = reverse("generation:gallery", args=[photo_session.public_id])
    form = AddonForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, errors[0])
        return redirect(gallery_url)
    back = request.build_absolute_uri(gallery_url)
    agreement = WithdrawalAgreement(
        version=WITHDRAWAL_TERMS_VERSION, language=request.LANGUAGE_CODE
    )
    try:
        order = addon_checkout(
            photo_session=photo_session,
            styles=form.cleaned_data["styles"],
            success_url=back,
            cancel_url=back,
            agreement=agreement,
            actor=request.user,
        )
    except AddonRefused as refused:
        messages.error(request, str(refused))
        return redirect(gallery_url)
    except sessions_services.PaymentError:
        messages.error(
            request, _("We could not reach the payment service. Please try again in a minute.")
        )
        return redirect(gallery_url)
    if order.backend == Order.Backend.LOCAL:
        return redirect("generation:addon_local_pay", public_id=photo_session.public_id)
    return HttpResponseRedirect(order.checkout_url)


@login_required
def addon_local_pay(request, public_id):
    """The local test payment backend's page for an add-on order (development only)."""
    if not (settings.DEBUG and settings.PAYMENT_BACKEND == Order.Backend.LOCAL):
        raise Http404
    photo_session = session_for_user(request, public_id)
    order = photo_session.orders.filter(
        kind=Order.Kind.ADDON, backend=Order.Backend.LOCAL, status=Order.Status.OPEN
    ).last()
    if order is None:
        return redirect("generation:gallery", public_id=photo_session.public_id)
    if request.method == "POST":
        sessions_services.local_payment_complete(order=order)
        return redirect("generation:gallery", public_id=photo_session.public_id)
    context = {"photo_session": photo_session, "order": order}
    return render(request, "sessions_app/local_pay.html", context)


def sample_image(request, public_id):
    """A featured portrait for the site's sample gallery, only while its customer's marketing
    consent stands (P06): every request asks again, so a withdrawal takes effect at once."""
    featured = samples.sample_shown(public_id=public_id)
    if featured is None:
        raise Http404
    etag = f'"{featured.public_id.hex}-{featured.portrait.sha256[:16]}"'
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponseNotModified()
    else:
        response = private_file_response(featured.portrait.preview, content_type="image/webp")
    response["ETag"] = etag
    # Shown on the public site, but asked again each time: a withdrawal takes effect at once.
    response["Cache-Control"] = "no-cache"
    return response
