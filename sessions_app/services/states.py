"""A photo session's states: the transitions allowed, the one place they happen, and the moves
that create, submit and (after an erasure) move a session on.

`session_transition` is the only place a PhotoSession's state changes; every other workflow goes
through it.
"""

from collections.abc import Collection, Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.models import User

from ..models import PhotoSession, Plan, SessionTransition, StylePack

S = PhotoSession.State

# Which states a session may move to from each state. Failed and refunded are side exits.
TRANSITIONS: dict[str, set[str]] = {
    S.DRAFT: {S.AWAITING_PAYMENT},
    S.AWAITING_PAYMENT: {S.PAID, S.DRAFT, S.FAILED},
    S.PAID: {S.COLLECTING_PHOTOS, S.FAILED, S.REFUNDED},
    S.COLLECTING_PHOTOS: {S.QUEUED, S.FAILED, S.REFUNDED},
    # Back to collecting_photos when face-photo consent is withdrawn before delivery.
    S.QUEUED: {S.TRAINING, S.COLLECTING_PHOTOS, S.FAILED, S.REFUNDED},
    S.TRAINING: {S.GENERATING, S.QUEUED, S.COLLECTING_PHOTOS, S.FAILED, S.REFUNDED},
    S.GENERATING: {S.DELIVERED, S.QUEUED, S.COLLECTING_PHOTOS, S.FAILED, S.REFUNDED},
    S.DELIVERED: {S.ORIGINALS_DELETED, S.EXPIRED, S.REFUNDED},
    S.ORIGINALS_DELETED: {S.EXPIRED, S.REFUNDED},
    # A failed session is retried (queued) or refunded, never left stuck.
    S.FAILED: {S.QUEUED, S.REFUNDED},
    S.EXPIRED: set(),
    S.REFUNDED: set(),
}

# Photo count a session needs before it can be submitted, and the most it may hold.
MIN_PHOTOS = 10
MAX_PHOTOS = 20


class InvalidTransition(Exception):
    """The session cannot move from its current state to the one asked for."""


def can_transition(from_state: str, to_state: str) -> bool:
    return to_state in TRANSITIONS.get(from_state, set())


@transaction.atomic
def session_transition(
    *, photo_session: PhotoSession, to_state: str, cause: str, actor: User | None = None
) -> PhotoSession:
    """Move a session to `to_state`, recording when, why and by whom; raise InvalidTransition."""
    locked = PhotoSession.objects.select_for_update().get(pk=photo_session.pk)
    if not can_transition(locked.state, to_state):
        raise InvalidTransition(f"{locked.state} → {to_state} is not allowed")
    now = timezone.now()
    from_state = locked.state
    locked.state = to_state
    locked.state_changed_at = now
    fields = ["state", "state_changed_at", "updated_at"]
    if to_state == S.DELIVERED:
        locked.delivered_at = now
        fields.append("delivered_at")
    if to_state == S.ORIGINALS_DELETED:
        locked.originals_deleted_at = now
        fields.append("originals_deleted_at")
    if to_state == S.FAILED and cause:
        locked.failure_reason = cause[:2000]
        fields.append("failure_reason")
    locked.save(update_fields=fields)
    SessionTransition.objects.create(
        photo_session=locked,
        from_state=from_state,
        to_state=to_state,
        cause=cause[:200],
        actor=actor if actor is not None and getattr(actor, "pk", None) else None,
    )
    # Keep the caller's object in step so it does not save a stale state later.
    for field in fields:
        setattr(photo_session, field, getattr(locked, field))
    return locked


@transaction.atomic
def session_create(
    *, user: User, plan: Plan, styles: Iterable[StylePack], currency: str, natural: bool = False
) -> PhotoSession:
    """Create a draft session for a plan, its chosen styles and the price in `currency`;
    `natural`: portraits without retouching."""
    price = plan.prices.get(currency=currency)
    photo_session = PhotoSession.objects.create(
        user=user, plan=plan, currency=currency, amount=price.amount, natural=natural
    )
    photo_session.styles.set(styles)
    SessionTransition.objects.create(
        photo_session=photo_session, to_state=S.DRAFT, cause=gettext_noop("created"), actor=user
    )
    return photo_session


# Why a session's data went, as its state history says it (translated where it is shown).
ERASURE_CAUSES = {
    "retention": gettext_noop("retention"),
    "withdrawal": gettext_noop("consent withdrawn"),
    "request": gettext_noop("deleted at the customer's request"),
}


def session_after_erase(
    *, photo_session: PhotoSession, categories: Collection[str], reason: str
) -> None:
    """Move a session on once the privacy app erased its data (registered with the registry).

    Its photos gone, a delivered session is `originals_deleted`; its gallery gone, `expired`.
    Any other state stays as it is, with the time its photos went recorded.
    """
    cause = ERASURE_CAUSES.get(reason, ERASURE_CAUSES["retention"])
    photo_session.refresh_from_db()
    if "originals" in categories:
        if photo_session.state == S.DELIVERED:
            session_transition(
                photo_session=photo_session, to_state=S.ORIGINALS_DELETED, cause=cause
            )
        elif photo_session.originals_deleted_at is None:
            PhotoSession.objects.filter(pk=photo_session.pk).update(
                originals_deleted_at=timezone.now()
            )
    if "deliverables" in categories and photo_session.state in (S.DELIVERED, S.ORIGINALS_DELETED):
        session_transition(photo_session=photo_session, to_state=S.EXPIRED, cause=cause)


def session_queue(*, photo_session: PhotoSession, actor: User | None = None) -> PhotoSession:
    """Queue a session with enough accepted photos and a current face-photo consent.

    Generation starts the training (`generation.services.session_submit` calls this).
    """
    from privacy.models import ConsentRecord
    from privacy.services import consent_is_current, processing_restricted

    with transaction.atomic():
        locked = PhotoSession.objects.select_for_update().get(pk=photo_session.pk)
        if locked.photos.count() < MIN_PHOTOS:
            raise InvalidTransition(f"a session needs {MIN_PHOTOS} accepted photos")
        if locked.photos.filter(likeness__lt=0.5).exists():
            raise InvalidTransition("a photo looks like someone else")
        if not consent_is_current(
            user=locked.user, purpose=ConsentRecord.Purpose.FACE_PHOTOS, photo_session=locked
        ) or processing_restricted(user=locked.user):
            raise InvalidTransition("no current face-photo consent")
        session_transition(
            photo_session=locked,
            to_state=S.QUEUED,
            cause=gettext_noop("submitted by customer"),
            actor=actor,
        )
    photo_session.state = locked.state
    return locked
