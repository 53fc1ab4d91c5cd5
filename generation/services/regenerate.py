"""A delivered style made again with new seeds, once per style, while the personal model is kept."""

from django.db import transaction

from accounts.models import User
from generation.models import GenerationJob, TrainingArtifact
from privacy import services as privacy_services
from sessions_app.models import PhotoSession, StylePack

from .checks import consent_problem
from .jobs import job_enqueue
from .plans import candidates_per_style

State = PhotoSession.State


class RegenerationRefused(ValueError):
    """The style cannot be regenerated (already done once, not in the session, not delivered)."""


def style_can_regenerate(*, photo_session: PhotoSession, style: StylePack) -> bool:
    if photo_session.state != State.DELIVERED:
        return False
    if not photo_session.styles.filter(pk=style.pk).exists():
        return False
    return not photo_session.generation_jobs.filter(
        kind=GenerationJob.Kind.REGENERATION, style=style
    ).exists()


@transaction.atomic
def style_regenerate(
    *, photo_session: PhotoSession, style: StylePack, actor: User | None = None
) -> GenerationJob:
    """Make one style again with new seeds, once per style; the old images stay until then."""
    photo_session = PhotoSession.objects.select_for_update().get(pk=photo_session.pk)
    if not style_can_regenerate(photo_session=photo_session, style=style):
        raise RegenerationRefused(style.slug)
    if not photo_session.training_artifacts.filter(kind=TrainingArtifact.Kind.LORA).exists():
        raise RegenerationRefused("the personal model has been deleted")
    problem = consent_problem(photo_session)
    if problem:
        raise RegenerationRefused(problem)
    job = GenerationJob.objects.create(
        photo_session=photo_session,
        kind=GenerationJob.Kind.REGENERATION,
        style=style,
        progress_total=candidates_per_style(photo_session.plan),
    )
    job_enqueue(job=job)
    privacy_services.audit_log(
        action="generation.style_regenerate",
        actor=actor,
        subject=photo_session.user,
        obj=photo_session,
        detail={"style": style.slug, "job": job.pk},
    )
    return job
