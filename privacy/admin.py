import datetime

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from pictureus.timezones import service_today

from . import services
from .forms import FulfilForm, ReasonForm, VerifyForm
from .models import (
    AuditEvent,
    ConsentRecord,
    ConsentText,
    DataExport,
    DataSubjectRequest,
    DeletionReceipt,
    LegalHold,
    PolicyVersion,
    ProcessingRestriction,
    Processor,
    RetentionPolicy,
)

DUE_SOON_DAYS = 7


class ReadOnlyAdmin(admin.ModelAdmin):
    """Append-only records: operators can read them, nobody edits or deletes them here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PolicyVersion)
class PolicyVersionAdmin(admin.ModelAdmin):
    list_display = ("kind", "version", "effective_date", "last_updated", "material_change")
    list_filter = ("kind", "material_change")

    def has_delete_permission(self, request, obj=None):
        # Consent rows point at the version they were given under.
        return False


@admin.register(ConsentRecord)
class ConsentRecordAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "user",
        "browser_id",
        "purpose",
        "granted",
        "method",
        "consent_text",
    )
    list_filter = ("purpose", "granted", "method")
    search_fields = ("user__email", "browser_id")
    date_hierarchy = "created_at"


@admin.register(ConsentText)
class ConsentTextAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "purpose", "language", "version")
    list_filter = ("purpose", "language")
    search_fields = ("version",)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "action", "actor", "subject_ref", "object_type", "object_id")
    list_filter = ("action",)
    search_fields = ("action", "subject_ref", "object_id")
    date_hierarchy = "created_at"


@admin.register(DeletionReceipt)
class DeletionReceiptAdmin(ReadOnlyAdmin):
    list_display = ("id", "deleted_at", "subject_ref", "category", "what", "reason")
    list_filter = ("reason", "category")
    search_fields = ("subject_ref", "entry_hash")


@admin.register(RetentionPolicy)
class RetentionPolicyAdmin(admin.ModelAdmin):
    list_display = ("category", "period_days", "counts_from", "reminder_days", "description")

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Processor)
class ProcessorAdmin(admin.ModelAdmin):
    list_display = ("name_en", "location_en", "transfer_safeguard_en", "active", "order")
    list_editable = ("active", "order")


@admin.register(LegalHold)
class LegalHoldAdmin(admin.ModelAdmin):
    list_display = ("user", "scope", "photo_session", "until", "created_at", "released_at")
    list_filter = ("scope", ("released_at", admin.EmptyFieldListFilter))
    search_fields = ("user__email",)
    raw_id_fields = ("user", "photo_session")
    readonly_fields = ("placed_by", "created_at", "released_at", "released_by")
    actions = ["release"]

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        services.hold_place(
            user=obj.user,
            scope=obj.scope,
            photo_session=obj.photo_session,
            reason=obj.reason,
            until=obj.until,
            actor=request.user,
        )

    def response_add(self, request, obj, post_url_continue=None):
        return redirect(reverse("admin:privacy_legalhold_changelist"))

    @admin.action(description=_("Release the selected holds"))
    def release(self, request, queryset):
        for hold in queryset.filter(released_at__isnull=True):
            services.hold_release(hold=hold, actor=request.user)
        self.message_user(request, _("Released; interrupted erasures have resumed."))


@admin.register(ProcessingRestriction)
class ProcessingRestrictionAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "created_at", "lifted_at")
    list_filter = ("kind", ("lifted_at", admin.EmptyFieldListFilter))
    readonly_fields = ("user", "kind", "request", "created_at", "lifted_at")
    actions = ["lift"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Lift the selected restrictions"))
    def lift(self, request, queryset):
        for restriction in queryset.filter(lifted_at__isnull=True):
            services.restriction_lift(restriction=restriction, actor=request.user)
        self.message_user(request, _("Lifted."))


@admin.register(DataExport)
class DataExportAdmin(ReadOnlyAdmin):
    list_display = ("public_id", "user", "status", "size", "created_at", "expires_at")
    list_filter = ("status",)


class DueFilter(admin.SimpleListFilter):
    title = _("deadline")
    parameter_name = "due"

    def lookups(self, request, model_admin):
        return [
            ("overdue", _("Overdue")),
            ("within3", _("Due within 3 days")),
            ("soon", _("Due within 7 days")),
            ("later", _("Due in more than 3 days")),
            ("open", _("Open")),
        ]

    def queryset(self, request, queryset):
        today = service_today()
        open_qs = queryset.exclude(
            status__in=[DataSubjectRequest.Status.FULFILLED, DataSubjectRequest.Status.REFUSED]
        )
        if self.value() == "overdue":
            return open_qs.filter(due_date__lt=today)
        if self.value() == "soon":
            return open_qs.filter(
                due_date__gte=today, due_date__lte=today + datetime.timedelta(days=DUE_SOON_DAYS)
            )
        if self.value() == "within3":
            return open_qs.filter(
                due_date__gte=today, due_date__lte=today + datetime.timedelta(days=3)
            )
        if self.value() == "later":
            return open_qs.filter(due_date__gt=today + datetime.timedelta(days=3))
        if self.value() == "open":
            return open_qs
        return queryset


ACTIONS = {
    # action: (form, button label, service call)
    "verify": (
        VerifyForm,
        _("Record verification"),
        lambda dsr, actor, data: services.dsr_verify(dsr=dsr, actor=actor, method=data["method"]),
    ),
    "extend": (
        ReasonForm,
        _("Extend the deadline"),
        lambda dsr, actor, data: services.dsr_extend(dsr=dsr, actor=actor, reason=data["reason"]),
    ),
    "fulfil": (
        FulfilForm,
        _("Fulfil the request"),
        lambda dsr, actor, data: services.dsr_fulfil(
            dsr=dsr, actor=actor, resolution=data["resolution"]
        ),
    ),
    "refuse": (
        ReasonForm,
        _("Refuse the request"),
        lambda dsr, actor, data: services.dsr_refuse(dsr=dsr, actor=actor, reason=data["reason"]),
    ),
}
ACTION_DONE = {
    "verify": _("The verification is recorded and the requester told."),
    "extend": _("The deadline is extended and the requester told why."),
    "fulfil": _("The request is being fulfilled; the requester will be told."),
    "refuse": _("The request is refused and the requester told why and how to complain."),
}


@admin.register(DataSubjectRequest)
class DataSubjectRequestAdmin(admin.ModelAdmin):
    """The privacy officer's queue: due dates first, with verify/extend/fulfil/refuse."""

    list_display = (
        "type",
        "email",
        "channel",
        "status",
        "received_at",
        "due_date",
        "deadline_state",
        "is_verified",
    )
    list_filter = (DueFilter, "status", "type", "channel")
    search_fields = ("email", "agent_email")
    ordering = ("due_date", "id")
    change_form_template = "privacy/admin/dsr_change_form.html"
    readonly_fields = [f.name for f in DataSubjectRequest._meta.fields if f.name not in ("id",)]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("deadline"))
    def deadline_state(self, obj):
        if not obj.is_open:
            return "–"
        today = service_today()
        if obj.due_date < today:
            return _("Overdue")
        if obj.due_date <= today + datetime.timedelta(days=DUE_SOON_DAYS):
            return _("Due soon")
        return _("On time")

    @admin.display(boolean=True, description=_("verified"))
    def is_verified(self, obj):
        return obj.is_verified

    def get_urls(self):
        urls = [
            path(
                f"<int:object_id>/{action}/",
                self.admin_site.admin_view(self.action_view),
                {"action": action},
                name=f"privacy_datasubjectrequest_{action}",
            )
            for action in ACTIONS
        ]
        return urls + super().get_urls()

    def action_view(self, request, object_id, action):
        dsr = get_object_or_404(DataSubjectRequest, pk=object_id)
        if not self.has_change_permission(request, dsr):
            raise PermissionDenied
        form_class, label, call = ACTIONS[action]
        form = form_class(request.POST if request.method == "POST" else None)
        change_url = reverse("admin:privacy_datasubjectrequest_change", args=[dsr.pk])
        if request.method == "POST" and form.is_valid():
            try:
                call(dsr, request.user, form.cleaned_data)
            except services.PrivacyError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, ACTION_DONE[action])
            return redirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": dsr,
            "title": label,
            "form": form,
            "button": label,
            "change_url": change_url,
        }
        return TemplateResponse(request, "privacy/admin/dsr_action.html", context)
