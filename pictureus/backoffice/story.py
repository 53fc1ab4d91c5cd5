"""A session's whole story on its back-office page: one timeline of its state changes, payments,
refunds, jobs and consent events, its jobs with their progress and errors, its retention dates
and legal holds, and the actions an operator needs on a job (retry, fail and refund)."""

import datetime
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from generation.models import GenerationJob
from generation.services.jobs import job_fail_and_refund, job_retry
from privacy.models import ConsentRecord, LegalHold
from privacy.services.retention import retention_dates
from sessions_app.models import PhotoSession, Refund

from .lookups import stuck_jobs_q


@dataclass
class Event:
    when: datetime.datetime
    what: str
    detail: str = ""


def _timeline(photo_session: PhotoSession, user: Any) -> list[Event]:
    events = [
        Event(t.created_at, _("State: %(state)s") % {"state": t.get_to_state_display()},
              t.cause_display)
        for t in photo_session.transitions.all()
    ]  # fmt: skip
    for order in photo_session.orders.all():
        if order.paid_at:
            events.append(Event(order.paid_at, _("Paid"), f"{order.amount} {order.currency}"))
    for refund in Refund.objects.filter(order__photo_session=photo_session):
        what = _("Refund: %(status)s") % {"status": refund.get_status_display()}
        events.append(Event(refund.created_at, what, f"{refund.amount} · {refund.reason}"))
    for job in photo_session.generation_jobs.all():
        events.append(Event(job.created_at, _("Job created: %(job)s") % {"job": job}))
        if job.finished_at:
            events.append(Event(job.finished_at, _("Job ended: %(job)s") % {"job": job}, job.error))
    if user.has_perm("privacy.view_consentrecord"):
        for record in ConsentRecord.objects.filter(photo_session=photo_session):
            what = _("Consent given") if record.granted else _("Consent refused or withdrawn")
            events.append(Event(record.created_at, what, record.get_purpose_display()))
    return sorted(events, key=lambda event: event.when)


def session_story(*, photo_session: PhotoSession, user: Any) -> dict[str, Any]:
    """What the session page shows above its fields, as far as `user`'s role may see."""
    stuck = set(
        photo_session.generation_jobs.filter(stuck_jobs_q(timezone.now())).values_list(
            "pk", flat=True
        )
    )
    jobs = [
        {
            "job": job,
            "stuck": job.pk in stuck,
            "may_retry": job.state != GenerationJob.State.SUCCEEDED
            and (not job.is_active or job.pk in stuck),
            "may_fail": job.is_active,
        }
        for job in photo_session.generation_jobs.order_by("created_at", "id")
    ]
    holds = LegalHold.objects.filter(released_at__isnull=True).filter(
        Q(photo_session=photo_session) | Q(scope="account", user=photo_session.user_id)
    )
    hold_url = reverse("admin:privacy_legalhold_add") + (
        f"?scope=session&photo_session={photo_session.pk}&user={photo_session.user_id}"
    )
    return {
        "timeline": _timeline(photo_session, user),
        "jobs": jobs,
        "may_act_on_jobs": user.has_perm("generation.change_generationjob"),
        "retention": retention_dates(photo_session=photo_session),
        "holds": list(holds) if user.has_perm("privacy.view_legalhold") else None,
        "hold_url": hold_url if user.has_perm("privacy.add_legalhold") else "",
    }


@require_POST
def job_act(request: HttpRequest, pk: int, job_id: int, action: str) -> HttpResponse:
    """Retry a job, or fail it and refund its session, from the session's page."""
    if not request.user.has_perm("generation.change_generationjob"):
        raise PermissionDenied
    job = get_object_or_404(GenerationJob, pk=job_id, photo_session_id=pk)
    actor = request.user
    if action == "retry" and job.state != GenerationJob.State.SUCCEEDED:
        job_retry(job_id=job.pk, actor=actor)  # type: ignore[arg-type]
        messages.success(request, _("The job is queued again."))
    elif action == "fail" and job.is_active:
        job_fail_and_refund(
            job_id=job.pk,
            error=f"failed by an operator ({actor})",
            actor=actor,  # type: ignore[arg-type]
        )
        messages.success(request, _("The job is failed and its session refunded."))
    else:
        messages.error(request, _("That cannot be done to this job now."))
    return HttpResponseRedirect(reverse("admin:sessions_app_photosession_change", args=[pk]))
