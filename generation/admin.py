from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import services
from .models import GenerationJob, TrainingArtifact


class TrainingArtifactInline(admin.TabularInline):
    model = TrainingArtifact
    extra = 0
    can_delete = False
    fields = ["kind", "step", "size", "sha256", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


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
        "duration",
        "short_error",
    ]
    list_filter = ["state", "kind", "created_at"]
    search_fields = ["photo_session__public_id", "worker", "error", "celery_task_id"]
    list_select_related = ["photo_session__plan", "photo_session__user"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "photo_session",
        "kind",
        "state",
        "style",
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
            services.job_retry(job_id=job.pk, actor=request.user)
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
            services.job_fail_and_refund(
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
