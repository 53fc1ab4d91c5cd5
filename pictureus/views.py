import logging

from django.db import connection
from django.http import HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import requires_csrf_token

from generation.samples import samples_shown
from pictureus.money import currency_for_language
from pictureus.pagecache import page_cached
from privacy.models import PolicyVersion
from sessions_app.checkout import WITHDRAWAL_TERMS
from sessions_app.models import Plan, StylePack

logger = logging.getLogger(__name__)


def _plans_with_prices():
    """Active plans, each with its price in the visitor's currency (one query for prices)."""
    currency = currency_for_language()
    plans = list(Plan.objects.filter(active=True).prefetch_related("prices"))
    for plan in plans:
        plan.price = next((p for p in plan.prices.all() if p.currency == currency), None)
    return [p for p in plans if p.price is not None]


def _illustrations():
    """The drawn preview of each style a customer can buy now, in the catalogue's order."""
    styles = StylePack.objects.filter(active=True).exclude(preview_image="")
    return [{"url": static(s.preview_image), "name": s.name, "alt": s.preview_alt} for s in styles]


def _samples():
    """The sample gallery: the portraits operators featured of customers whose marketing
    consent stands now (P06), or, until there are any, the drawn illustrations."""
    illustrations = _illustrations()
    real = [
        {
            # The sample's own random id: nothing in the address or the text names the customer.
            "url": reverse("sample_image", args=[featured.public_id]),
            "name": featured.portrait.style.name,
            "alt": _("A customer's portrait in the %(style)s style")
            % {"style": featured.portrait.style.name},
        }
        for featured in samples_shown()
    ]
    return {
        "illustrations": illustrations,
        "samples": real or illustrations,
        "samples_are_real": bool(real),
    }


@page_cached
def home(request):
    return render(
        request,
        "pages/home.html",
        {
            "plans": _plans_with_prices(),
            "styles": StylePack.objects.filter(active=True)[:6],
            **_samples(),
        },
    )


@page_cached
def how_it_works(request):
    return render(request, "pages/how_it_works.html")


@page_cached
def features(request):
    return render(request, "pages/features.html", _samples())


@page_cached
def faq(request):
    return render(request, "pages/faq.html")


@page_cached
def pricing(request):
    return render(request, "pages/pricing.html", {"plans": _plans_with_prices()})


@page_cached
def terms(request):
    return render(
        request,
        "pages/terms.html",
        {
            "policy": PolicyVersion.current(PolicyVersion.Kind.TERMS),
            "privacy_policy": PolicyVersion.current(PolicyVersion.Kind.PRIVACY),
            "withdrawal_terms": WITHDRAWAL_TERMS,
        },
    )


@never_cache
def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


@requires_csrf_token
def server_error(request):
    try:
        return HttpResponseServerError(loader.render_to_string("500.html", request=request))
    except Exception:
        # The page itself failed (the database may be down): answer plainly rather than not at all.
        logger.exception("the 500 page could not be rendered")
        return HttpResponseServerError(
            "<!DOCTYPE html><title>PictureUs</title><h1>Something went wrong</h1>",
            content_type="text/html",
        )
