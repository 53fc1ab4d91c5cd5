from django.db import connection
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import requires_csrf_token

from sessions_app.models import Plan, StylePack
from sessions_app.templatetags.money import currency_for_language


def _plans_with_prices():
    """Active plans, each with its price in the visitor's currency (one query for prices)."""
    currency = currency_for_language()
    plans = list(Plan.objects.filter(active=True).prefetch_related("prices"))
    for plan in plans:
        plan.price = next((p for p in plan.prices.all() if p.currency == currency), None)
    return [p for p in plans if p.price is not None]


def home(request):
    return render(
        request,
        "pages/home.html",
        {
            "plans": _plans_with_prices(),
            "styles": StylePack.objects.filter(active=True)[:6],
        },
    )


def how_it_works(request):
    return render(request, "pages/how_it_works.html")


def features(request):
    return render(request, "pages/features.html")


def faq(request):
    return render(request, "pages/faq.html")


def pricing(request):
    return render(request, "pages/pricing.html", {"plans": _plans_with_prices()})


def terms(request):
    from privacy.models import PolicyVersion

    return render(
        request,
        "pages/terms.html",
        {"policy": PolicyVersion.current(PolicyVersion.Kind.TERMS)},
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
    return render(request, "500.html", status=500)
