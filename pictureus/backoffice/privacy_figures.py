"""The privacy officer's figures in the back office: counts and rates, no identities (P07)."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from privacy.services import privacy_stats


def privacy_figures(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("privacy.view_datasubjectrequest"):
        raise PermissionDenied
    context = {
        **admin.site.each_context(request),
        **privacy_stats(),
        "title": _("Privacy figures"),
    }
    return TemplateResponse(request, "admin/privacy_figures.html", context)
