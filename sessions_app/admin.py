import datetime
import statistics

from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from pictureus.backoffice.lookups import failed_unrefunded_q
from pictureus.backoffice.story import session_story
from privacy.services import retention_periods, sessions_due

from . import services
from .access import session_for_staff
from .models import (
    AddonPrice,
    Order,
    PhotoSession,
    Plan,
    PlanPrice,
    Refund,
    SessionTransition,
    SourcePhoto,
    StylePack,
    WebhookEvent,
)


class PlanPriceInline(admin.TabularInline):
    model = PlanPrice
    extra = 2
    min_num = 1


class AddonPriceInline(admin.TabularInline):
    """What one more style costs on a delivered session's kept model (none: not offered)."""

    model = AddonPrice
    extra = 1


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["name_en", "name_ko", "styles_count", "images_per_style", "prices", "active"]
    list_editable = ["active"]
    list_filter = ["active"]
    prepopulated_fields = {"slug": ["name_en"]}
    inlines = [PlanPriceInline, AddonPriceInline]

    @admin.display(description=_("prices"))
    def prices(self, obj):
        return ", ".join(f"{p.amount} {p.currency.upper()}" for p in obj.prices.all())

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("prices")


@admin.register(StylePack)
class StylePackAdmin(admin.ModelAdmin):
    list_display = ["preview", "name_en", "name_ko", "active", "order"]
    list_display_links = ["preview", "name_en"]
    list_editable = ["active", "order"]
    list_filter = ["active"]
    prepopulated_fields = {"slug": ["name_en"]}
    readonly_fields = ["preview_large"]

    @admin.display(description=_("preview"))
    def preview(self, obj):
        if not obj.preview_image:
            return "—"
        return format_html(
            '<img src="{}" alt="{}" width="64" height="64">', static(obj.preview_image), obj.name_en
        )

    @admin.display(description=_("preview"))
    def preview_large(self, obj):
        if not obj.preview_image:
            return "—"
        return format_html(
            '<img src="{}" alt="{}" width="256">', static(obj.preview_image), obj.preview_alt_en
        )


class TransitionInline(admin.TabularInline):
    model = SessionTransition
    extra = 0
    can_delete = False
    fields = ("created_at", "from_state", "to_state", "cause_shown", "actor")
    readonly_fields = fields

    @admin.display(description=_("cause"))
    def cause_shown(self, obj):
        return obj.cause_display

    def has_add_permission(self, request, obj=None):
        return False


class PhotoVerdictInline(admin.TabularInline):
    """Verdicts and technical measures only: support staff never see the photos here (P24)."""

    model = SourcePhoto
    extra = 0
    can_delete = False
    fields = ("created_at", "width", "height", "face_box", "sharpness", "likeness", "phash")
    readonly_fields = fields
    verbose_name = _("accepted photo (measures only)")
    verbose_name_plural = _("accepted photos (measures only)")

    def has_add_permission(self, request, obj=None):
        return False


class OrderInline(admin.TabularInline):
    model = Order
    extra = 0
    can_delete = False
    fields = ("created_at", "kind", "backend", "status", "amount", "currency", "amount_refunded")
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


class AgeFilter(admin.SimpleListFilter):
    title = _("age")
    parameter_name = "age"

    def lookups(self, request, model_admin):
        return [
            ("1h", _("Changed state over an hour ago")),
            ("1d", _("Changed state over a day ago")),
            ("7d", _("Changed state over a week ago")),
        ]

    def queryset(self, request, queryset):
        hours = {"1h": 1, "1d": 24, "7d": 24 * 7}.get(self.value())
        if hours is None:
            return queryset
        return queryset.filter(
            state_changed_at__lt=timezone.now() - datetime.timedelta(hours=hours)
        )


class RefundFilter(admin.SimpleListFilter):
    title = _("refund")
    parameter_name = "refund"

    def lookups(self, request, model_admin):
        return [("none", _("Failed, not refunded"))]

    def queryset(self, request, queryset):
        if self.value() == "none":
            return queryset.filter(failed_unrefunded_q())
        return queryset


class RetentionFilter(admin.SimpleListFilter):
    title = _("retention")
    parameter_name = "retention"

    def lookups(self, request, model_admin):
        return [("7", _("Data to delete within 7 days"))]

    def queryset(self, request, queryset):
        if self.value() == "7":
            due = sessions_due(
                now=timezone.now() + datetime.timedelta(days=7), periods=retention_periods()
            )
            return queryset.filter(pk__in=due.values("pk"))
        return queryset


class RefundForm(forms.Form):
    amount = forms.IntegerField(
        label=_("amount (minor unit)"),
        required=False,
        min_value=1,
        help_text=_("Leave empty to refund everything that is left."),
    )
    reason = forms.CharField(label=_("reason"), max_length=300)


@admin.register(PhotoSession)
class PhotoSessionAdmin(admin.ModelAdmin):
    list_display = ["public_id", "user", "plan", "state", "state_changed_at", "created_at"]
    list_filter = ["state", AgeFilter, RefundFilter, RetentionFilter, "plan"]
    search_fields = ["public_id", "user__email"]
    date_hierarchy = "created_at"
    list_select_related = ["user", "plan"]
    # The state changes only through the service layer, never by editing it here.
    readonly_fields = [
        "public_id",
        "user",
        "plan",
        "state",
        "currency",
        "amount",
        "failure_reason",
        "created_at",
        "state_changed_at",
        "delivered_at",
        "originals_deleted_at",
        "likeness_summary",
        "refund_link",
    ]
    exclude = ["styles", "subject_token", "class_word"]
    inlines = [TransitionInline, OrderInline, PhotoVerdictInline]
    actions = ["refund_in_full"]
    # The page opens on the session's whole story (pictureus/backoffice/story.py).
    change_form_template = "admin/sessions_app/photosession/change_form.html"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        photo_session = self.get_object(request, object_id)
        if photo_session is not None:
            story = session_story(photo_session=photo_session, user=request.user)
            extra_context = {**(extra_context or {}), "story": story}
        return super().change_view(request, object_id, form_url, extra_context)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("likeness of the portraits"))
    def likeness_summary(self, obj):
        """Numbers only, never a face (P07): how much the portraits look like the customer,
        so that an operator spots a bad model."""
        scores = list(obj.portraits.exclude(image="").values_list("likeness", flat=True))
        scored = sorted(s for s in scores if s is not None)
        unscored = len(scores) - len(scored)
        if not scores:
            return "—"
        if not scored:
            return ngettext(
                "%(count)d portrait without a recognisable face.",
                "%(count)d portraits without a recognisable face.",
                unscored,
            ) % {"count": unscored}
        return _(
            "%(count)d scored: lowest %(low).2f, median %(median).2f, highest %(high).2f; "
            "%(below)d below the same-person threshold (0.50); %(unscored)d without a "
            "recognisable face."
        ) % {
            "count": len(scored),
            "low": scored[0],
            "median": statistics.median(scored),
            "high": scored[-1],
            "below": sum(1 for s in scored if s < 0.5),
            "unscored": unscored,
        }

    @admin.display(description=_("refund"))
    def refund_link(self, obj):
        if obj.pk is None or not obj.orders.filter(status=Order.Status.PAID).exists():
            return "—"
        url = reverse("admin:sessions_app_photosession_refund", args=[obj.pk])
        return format_html('<a class="button" href="{}">{}</a>', url, _("Refund…"))

    def get_urls(self):
        return [
            path(
                "<int:pk>/refund/",
                self.admin_site.admin_view(self.refund_view),
                name="sessions_app_photosession_refund",
            )
        ] + super().get_urls()

    def refund_view(self, request, pk):
        """Refund in full or in part, with a reason; Stripe is called and its answer recorded."""
        photo_session = session_for_staff(
            request, pk, permission="sessions_app.change_photosession"
        )
        form = RefundForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                refund = services.session_refund(
                    photo_session=photo_session,
                    amount=form.cleaned_data["amount"],
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                )
            except services.RefundError as exc:
                form.add_error("amount", str(exc))
            else:
                if refund is not None and refund.status == Refund.Status.FAILED:
                    self.message_user(
                        request, _("Stripe refused the refund: %s") % refund.error, messages.ERROR
                    )
                else:
                    self.message_user(request, _("Refund recorded."), messages.SUCCESS)
                return redirect("admin:sessions_app_photosession_change", pk)
        order = photo_session.orders.filter(status=Order.Status.PAID).first()
        context = {
            **self.admin_site.each_context(request),
            "title": _("Refund"),
            "photo_session": photo_session,
            "order": order,
            "form": form,
            "opts": self.model._meta,
        }
        return render(request, "sessions_app/admin_refund.html", context)

    @admin.action(permissions=["change"], description=_("Refund selected sessions in full"))
    def refund_in_full(self, request, queryset):
        done = 0
        for photo_session in queryset:
            try:
                refund = services.session_refund(
                    photo_session=photo_session,
                    reason=str(_("refunded by an operator")),
                    actor=request.user,
                )
            except services.RefundError as exc:
                self.message_user(request, f"{photo_session.public_id}: {exc}", messages.WARNING)
                continue
            if refund is not None and refund.status == Refund.Status.SUCCEEDED:
                done += 1
            elif refund is not None:
                self.message_user(
                    request, f"{photo_session.public_id}: {refund.error}", messages.ERROR
                )
        self.message_user(
            request,
            ngettext("%d session refunded.", "%d sessions refunded.", done) % done,
            messages.SUCCESS,
        )


class RefundInline(admin.TabularInline):
    model = Refund
    extra = 0
    can_delete = False
    fields = ("created_at", "amount", "reason", "status", "processor_refund_id", "error", "actor")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = [
        "pk",
        "photo_session",
        "kind",
        "backend",
        "status",
        "amount",
        "currency",
        "amount_refunded",
        "created_at",
        "paid_at",
    ]
    list_filter = ["status", "kind", "backend", "currency"]
    search_fields = ["checkout_session_id", "payment_intent_id", "photo_session__user__email"]
    list_select_related = ["photo_session__plan", "photo_session__user"]
    readonly_fields = [*(f.name for f in Order._meta.fields), "styles"]
    inlines = [RefundInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Refund)
class RefundAdmin(admin.ModelAdmin):
    list_display = ["pk", "order", "amount", "status", "automatic", "reason", "created_at"]
    list_filter = ["status", "automatic"]
    readonly_fields = [f.name for f in Refund._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = ["event_id", "event_type", "backend", "outcome", "received_at"]
    list_filter = ["event_type", "backend"]
    search_fields = ["event_id"]
    readonly_fields = [f.name for f in WebhookEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
