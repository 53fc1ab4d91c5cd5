"""What the generation app keeps about a person, declared to the privacy registry."""

from privacy.models import ConsentRecord, RetentionPolicy
from privacy.registry import (
    Erase,
    Holding,
    register,
    register_consent_ended,
    register_session_stopper,
)

from .models import FeaturedPortrait, GenerationJob, Portrait, TrainingArtifact
from .samples import samples_consent_ended
from .services.erasure import artifact_receipt_category
from .services.jobs import session_jobs_cancel

Category = RetentionPolicy.Category

# Before a session's photos or weights are erased, its jobs stop reading them.
register_session_stopper(session_jobs_cancel)
# Without marketing-likeness consent, no portrait of the customer stays on the site (P06).
register_consent_ended(ConsentRecord.Purpose.MARKETING_LIKENESS, samples_consent_ended)
register(
    Holding(
        model=GenerationJob,
        category=Category.SERVICE_RECORDS,
        owner="photo_session__user",
        session="photo_session",
        # An add-on job's order: the session's own, declared by sessions_app.
        other_links=("order",),
        unexported=("celery_task_id", "worker"),
        erase=Erase.KEEP,
        kept_because="record of the work done for an order; holds no photo or likeness",
        export_as="jobs",
    )
)
register(
    Holding(
        model=TrainingArtifact,
        category=Category.TRAINING_ARTIFACTS,
        owner="photo_session__user",
        session="photo_session",
        other_links=("job",),
        files=("file",),
        receipt_category=artifact_receipt_category,
        # Model internals (latents, weights): listed in the export, not handed over.
        unexported_files=("file",),
        export_as="training_artifacts",
        # Jobs stop first (the stopper); then weights go before the photos they came from.
        order=-10,
    )
)
register(
    Holding(
        model=Portrait,
        category=Category.DELIVERABLES,
        owner="photo_session__user",
        session="photo_session",
        other_links=("job",),
        files=("image", "preview"),
        unexported_files=("preview",),
        export_as="portraits",
    )
)
register(
    Holding(
        model=FeaturedPortrait,
        category=Category.DELIVERABLES,
        owner="portrait__photo_session__user",
        session="portrait__photo_session",
        other_links=("featured_by",),
        unexported=("featured_by",),
        export_as="site_samples",
        # Off the site (with a receipt) before the portrait it shows is deleted.
        order=-1,
    )
)
