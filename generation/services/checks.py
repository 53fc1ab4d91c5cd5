"""What stops a job between its steps: a cancel, withdrawn consent, a restriction (P03, P16)."""

from generation.models import GenerationJob
from privacy import services as privacy_services
from sessions_app.models import PhotoSession

State = PhotoSession.State


class JobCancelled(Exception):
    """The job must stop now: cancelled, or consent withdrawn, or processing restricted."""


def consent_problem(photo_session: PhotoSession) -> str:
    """Why the session's photos may not be processed now, or "" when they may (P02, P16)."""
    user = photo_session.user
    if not privacy_services.consent_is_current(
        user=user, purpose="face_photos", photo_session=photo_session
    ):
        return "no current consent to process face photos"
    if privacy_services.processing_restricted(user=user):
        return "the customer restricted the processing of their data"
    return ""


def job_check_may_continue(*, job: GenerationJob) -> None:
    """Raise JobCancelled when the job was cancelled or the consent no longer holds (P03)."""
    fresh = GenerationJob.objects.filter(pk=job.pk).values("cancel_requested", "state").first()
    if fresh is None or fresh["cancel_requested"] or fresh["state"] != job.State.RUNNING:
        raise JobCancelled("cancelled")
    photo_session = PhotoSession.objects.select_related("user").get(pk=job.photo_session_id)
    problem = consent_problem(photo_session)
    if problem:
        raise JobCancelled(problem)
