"""Deleting a session's training files and portraits, bytes and row, each with its deletion
receipt (P08, P11)."""

from django.db import transaction

from generation.models import Portrait, TrainingArtifact
from privacy import services as privacy_services
from privacy.models import DeletionReceipt, RetentionPolicy
from sessions_app.models import PhotoSession

# Deletion receipts name one of the privacy app's reasons and retention categories.
Reason = DeletionReceipt.Reason


ARTIFACTS_CATEGORY = RetentionPolicy.Category.TRAINING_ARTIFACTS


# What a deletion receipt calls each kind of training file (one retention category covers all).
RECEIPT_CATEGORIES: dict[str, str] = {
    TrainingArtifact.Kind.LATENTS: "training_cache",
    TrainingArtifact.Kind.CHECKPOINT: "training_checkpoint",
    TrainingArtifact.Kind.LORA: ARTIFACTS_CATEGORY,
}


def artifact_receipt_category(artifact: TrainingArtifact) -> str:
    return RECEIPT_CATEGORIES.get(artifact.kind, ARTIFACTS_CATEGORY)


DELIVERABLES_CATEGORY = RetentionPolicy.Category.DELIVERABLES


def receipt_reason(reason: str) -> str:
    """A caller's reason as a receipt reason; anything else is an end of retention."""
    return reason if reason in Reason.values else Reason.RETENTION


@transaction.atomic
def session_artifacts_delete(*, photo_session: PhotoSession, reason: str) -> int:
    """Erase a session's cached latents, checkpoints and LoRA weights (bytes and rows)."""
    count = 0
    for artifact in TrainingArtifact.objects.select_for_update().filter(
        photo_session=photo_session
    ):
        privacy_services.file_erase(
            fieldfile=artifact.file,
            subject=photo_session.user,
            reason=receipt_reason(reason),
            category=artifact_receipt_category(artifact),
        )
        artifact.delete()
        count += 1
    return count


def portrait_erase(*, portrait: Portrait, reason: str) -> None:
    subject = portrait.photo_session.user
    for field in (portrait.image, portrait.preview):
        if field:
            privacy_services.file_erase(
                fieldfile=field,
                subject=subject,
                reason=receipt_reason(reason),
                category=DELIVERABLES_CATEGORY,
            )
    portrait.delete()
