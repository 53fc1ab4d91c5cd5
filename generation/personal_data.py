"""What the generation app keeps about a person, declared to the privacy registry."""

from privacy.models import RetentionPolicy
from privacy.registry import Erase, Holding, register, register_session_stopper

from .models import GenerationJob, Portrait, TrainingArtifact
from .services import artifact_receipt_category, session_jobs_cancel

Category = RetentionPolicy.Category

# Before a session's photos or weights are erased, its jobs stop reading them.
register_session_stopper(session_jobs_cancel)
register(
    Holding(
        model=GenerationJob,
        category=Category.SERVICE_RECORDS,
        owner="photo_session__user",
        session="photo_session",
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
