from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import services
from ..middleware import (
    BROWSER_COOKIE,
    browser_id_for,
    cookie_choice_from,
    remember_cookie_choice,
)
from ..models import ConsentRecord


@require_POST
def cookie_choice(request):
    """Record the cookie banner's choice in the ledger (P21) and remember it."""
    choice = request.POST.get("choice")
    if choice not in ("accept", "reject"):
        return HttpResponse(_("Choose to accept or reject optional cookies."), status=400)
    services.cookie_choice_record(
        request=request,
        browser_id=browser_id_for(request),
        accepted=choice == "accept",
        method=ConsentRecord.Method.COOKIE_BANNER,
    )
    next_url = request.POST.get("next", "")
    if request.headers.get("X-Requested-With") == "fetch":
        response = HttpResponse(status=204)
    elif url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        response = redirect(next_url)
    else:
        response = redirect("home")
    remember_cookie_choice(request, response, choice)
    return response


def cookie_settings(request):
    """See the browser's cookie choice and change it, each change a ledger row (P21)."""
    if request.method == "POST":
        choice = request.POST.get("choice")
        if choice not in ("accept", "reject"):
            messages.error(request, _("Choose to accept or reject optional cookies."))
            return redirect("privacy:cookie_settings")
        services.cookie_choice_record(
            request=request,
            browser_id=browser_id_for(request),
            accepted=choice == "accept",
            method=ConsentRecord.Method.FORM,
        )
        if choice == "accept":
            messages.success(request, _("Your choice is saved: optional cookies are allowed."))
        else:
            messages.success(
                request, _("Your choice is saved: only the cookies the site needs are used.")
            )
        response = redirect("privacy:cookie_settings")
        remember_cookie_choice(request, response, choice)
        return response
    choice, latest = cookie_choice_from(request), None
    if choice and request.COOKIES.get(BROWSER_COOKIE):
        latest = services.cookie_choice_latest(
            browser_id=browser_id_for(request), user=request.user
        )
        if latest is not None and latest.granted != (choice == "accept"):
            latest = None  # the date of another choice would mislead
    return render(request, "privacy/cookie_settings.html", {"choice": choice, "latest": latest})
