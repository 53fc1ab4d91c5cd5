from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from pictureus.backoffice.lookups import stuck_jobs_q

from . import samples
from .models import FeaturedPortrait, GenerationJob, Portrait, TrainingArtifact
from .services.jobs import job_fail_and_refund, job_retry


class TrainingArtifactInline(admin.TabularInline):
    model = TrainingArtifact
    extra = 0
    can_delete = False
    fields = ("kind", "step", "size", "sha256", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class StuckFilter(admin.SimpleListFilter):
    title = _("stuck")
    parameter_name = "stuck"

    def lookups(self, request, model_admin):
        return [("yes", _("Stuck: silent or passed over"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(stuck_jobs_q(timezone.now()))
        return queryset


@admin.register(GenerationJob)
class GenerationJobAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "photo_session",
        "kind",
        "state",
        "progress",
        "attempts",
        "worker",
        "created_at",
        "run_time",
        "short_error",
    ]
    list_filter = ["state", StuckFilter, "kind", "created_at"]
    search_fields = ["photo_session__public_id", "worker", "error", "celery_task_id"]
    list_select_related = ["photo_session__plan", "photo_session__user"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "photo_session",
        "kind",
        "state",
        "style",
        "order",
        "progress_done",
        "progress_total",
        "seconds_per_unit",
        "resumed_from",
        "attempts",
        "cancel_requested",
        "celery_task_id",
        "worker",
        "error",
        "created_at",
        "started_at",
        "heartbeat_at",
        "enqueued_at",
        "finished_at",
    ]
    inlines = [TrainingArtifactInline]
    actions = ["retry_jobs", "fail_and_refund"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("progress"))
    def progress(self, job):
        return f"{job.progress_done}/{job.progress_total}"

    @admin.display(description=_("duration"))
    def run_time(self, job):
        duration = job.duration
        return str(duration).split(".")[0] if duration is not None else "–"

    @admin.display(description=_("error"))
    def short_error(self, job):
        return (job.error[:80] + "…") if len(job.error) > 80 else job.error

    @admin.action(
        permissions=["change"],
        description=_("Retry the selected jobs (they resume from their checkpoint)"),
    )
    def retry_jobs(self, request, queryset):
        done = 0
        for job in queryset:
            if job.state == GenerationJob.State.SUCCEEDED:
                continue
            job_retry(job_id=job.pk, actor=request.user)
            done += 1
        self.message_user(
            request,
            ngettext("%(count)d job queued again.", "%(count)d jobs queued again.", done)
            % {"count": done},
            messages.SUCCESS,
        )

    @admin.action(
        permissions=["change"], description=_("Fail the selected jobs and refund their sessions")
    )
    def fail_and_refund(self, request, queryset):
        done = 0
        for job in queryset:
            # A running job sees its state change between two steps and stops.
            job_fail_and_refund(
                job_id=job.pk, error=f"failed by an operator ({request.user})", actor=request.user
            )
            done += 1
        self.message_user(
            request,
            ngettext(
                "%(count)d job failed and its session refunded.",
                "%(count)d jobs failed and their sessions refunded.",
                done,
            )
            % {"count": done},
            messages.SUCCESS,
        )


# --- the site's sample gallery (P06) -------------------------------------------------------------


class CandidatePortraits(forms.RadioSelect):
    """Each portrait that may be featured, with a thumbnail from the staff photo view, which
    checks the operator's right to see portraits and records each view (P24)."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        url = reverse("privacy:staff_photo", args=["portrait", value])
        option["label"] = format_html(
            '<img src="{}" width="120" height="150" loading="lazy" alt=""> {}', url, label
        )
        return option


def _candidate_label(portrait: Portrait) -> str:
    return gettext("%(style)s, portrait %(number)s of session %(session)s, delivered %(date)s") % {
        "style": portrait.style.name,
        "number": portrait.index + 1,
        "session": portrait.photo_session_id,
        "date": date_format(timezone.localdate(portrait.created_at), "SHORT_DATE_FORMAT"),
    }


class FeaturedPortraitForm(forms.ModelForm):
    class Meta:
        model = FeaturedPortrait
        fields = ["portrait", "order"]
        widgets = {"portrait": CandidatePortraits}
        help_texts = {
            "portrait": _(
                "Delivered portraits of customers who agreed to have their portraits shown in "
                "marketing. Each portrait you see here is recorded in the audit log."
            )
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("portrait")  # only when adding: a sample keeps its portrait
        if field is not None:
            # Any portrait can be named; the check below says why one is refused.
            field.queryset = Portrait.objects.select_related("photo_session__user")
            field.widget.choices = [
                (portrait.pk, _candidate_label(portrait))
                for portrait in samples.sample_candidates()
            ]

    def clean_portrait(self):
        portrait = self.cleaned_data["portrait"]
        refusal = samples.sample_refusal(portrait=portrait)
        if refusal:
            raise forms.ValidationError(refusal)
        return portrait


@admin.register(FeaturedPortrait)
class FeaturedPortraitAdmin(admin.ModelAdmin):
    """Operators curate the sample gallery from delivered portraits, with the customer's
    marketing-likeness consent (P06); each feature and removal is in the audit log."""

    form = FeaturedPortraitForm
    list_display = ["sample", "described", "order", "shown_on_site", "featured_by", "featured_at"]
    list_select_related = ["portrait__style", "portrait__photo_session__user", "featured_by"]
    readonly_fields = ["sample", "described", "shown_on_site", "featured_by", "featured_at"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["portrait", "order"]
        return ["sample", "described", "shown_on_site", "order", "featured_by", "featured_at"]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def has_add_permission(self, request):
        # Choosing a portrait means seeing it: only with the right to see customers' portraits.
        return super().has_add_permission(request) and request.user.has_perm(
            "generation.view_portrait"
        )

    @admin.display(description=_("sample on the site"))
    def sample(self, featured):
        if not self._shown(featured):
            return "—"
        url = reverse("sample_image", args=[featured.public_id])
        return format_html('<img src="{}" width="80" height="100" alt="">', url)

    @admin.display(description=_("portrait"))
    def described(self, featured):
        return _candidate_label(featured.portrait)

    @admin.display(description=_("shown on the site"), boolean=True)
    def shown_on_site(self, featured):
        return self._shown(featured)

    def _shown(self, featured) -> bool:
        return samples.sample_shown(public_id=featured.public_id) is not None

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        featured = samples.sample_feature(
            portrait=obj.portrait, order=obj.order, actor=request.user
        )
        obj.pk = featured.pk
        obj.refresh_from_db()

    def response_add(self, request, obj, post_url_continue=None):
        self.message_user(
            request, gettext("The portrait is featured on the site."), messages.SUCCESS
        )
        return redirect(reverse("admin:generation_featuredportrait_changelist"))

    def delete_model(self, request, obj):
        samples.sample_unfeature(featured=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for featured in queryset.select_related("portrait__photo_session__user"):
            samples.sample_unfeature(featured=featured, actor=request.user)
