"""The back office's admin site: the operations dashboard as its index, models grouped by the
work they serve rather than by the app that defines them, the framework's own last."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import URLPattern, URLResolver, path, reverse
from django.utils.translation import gettext_lazy as _

from .figures import dashboard

# Each section's models in the order of daily work; a model not named here goes to System.
SECTIONS: list[tuple[str, Any, list[str]]] = [
    ("customers", _("Customers"),
     ["accounts.User", "accounts.SupportRequest", "account.EmailAddress"]),
    ("sessions", _("Sessions and payments"),
     ["sessions_app.PhotoSession", "sessions_app.Order", "sessions_app.Refund",
      "sessions_app.WebhookEvent"]),
    ("generation", _("Generation"), ["generation.GenerationJob", "generation.FeaturedPortrait"]),
    ("privacy", _("Privacy desk"),
     ["privacy.DataSubjectRequest", "privacy.LegalHold", "privacy.ProcessingRestriction",
      "privacy.DataExport", "privacy.ConsentRecord", "privacy.DeletionReceipt",
      "privacy.AuditEvent", "privacy.RetentionPolicy", "privacy.Processor",
      "privacy.PolicyVersion"]),
    ("catalogue", _("Catalogue"), ["sessions_app.Plan", "sessions_app.StylePack"]),
    ("system", _("System"), []),
]  # fmt: skip


def group_by_task(app_dict: dict[str, dict], index_url: str) -> list[dict]:
    """Admin's per-app lists regrouped into the sections above, empty sections left out."""
    place = {
        label.lower(): (key, order)
        for key, _title, labels in SECTIONS
        for order, label in enumerate(labels)
    }
    grouped: dict[str, list[tuple[Any, dict]]] = {key: [] for key, _t, _l in SECTIONS}
    for app_label, app in app_dict.items():
        for model in app["models"]:
            label = f"{app_label}.{model['object_name']}".lower()
            key, order = place.get(label, ("system", len(place)))
            grouped[key].append(((order, str(model["name"])), model))
    sections = []
    for key, title, _labels in SECTIONS:
        models = [model for _sort, model in sorted(grouped[key], key=lambda item: item[0])]
        if models:
            sections.append(
                {
                    "name": title,
                    "app_label": key,
                    "app_url": f"{index_url}#section-{key}",
                    "has_module_perms": True,
                    "models": models,
                }
            )
    return sections


class BackOfficeSite(admin.AdminSite):
    site_header = _("PictureUs back office")
    site_title = _("PictureUs back office")
    index_title = _("Operations")

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[Any]:
        if app_label:  # one app's own page keeps Django's layout
            return super().get_app_list(request, app_label)
        return group_by_task(self._build_app_dict(request), reverse("admin:index"))

    def index(self, request: HttpRequest, extra_context: dict | None = None) -> TemplateResponse:
        parts = dashboard(user=request.user)
        return super().index(request, {"parts": parts, **(extra_context or {})})

    def get_urls(self) -> list[URLResolver | URLPattern]:
        from .privacy_figures import privacy_figures
        from .story import job_act

        return [
            path(
                "sessions/<int:pk>/jobs/<int:job_id>/<str:action>/",
                self.admin_view(job_act),
                name="session_job_act",
            ),
            path(
                "privacy-figures/",
                self.admin_view(privacy_figures, cacheable=False),
                name="privacy_figures",
            ),
            *super().get_urls(),
        ]
