"""What the sessions app keeps about a person, declared to the privacy registry."""

from privacy.models import RetentionPolicy
from privacy.registry import Erase, Holding, SessionLifecycle, register, register_sessions

from .models import Order, PhotoSession, Refund, SessionTransition, SourcePhoto
from .services import session_after_erase

Category = RetentionPolicy.Category
ORDER_RECORD = (
    "order record the law requires (plan, amount, currency); tied to the anonymised account"
)

register_sessions(
    SessionLifecycle(
        model=PhotoSession,
        owner="user",
        delivered="delivered_at",
        # Moves with every change of the session, an accepted photo included.
        activity="updated_at",
        after_erase=session_after_erase,
    )
)
register(
    Holding(
        model=PhotoSession,
        category=Category.SERVICE_RECORDS,
        owner="user",
        erase=Erase.KEEP,
        kept_because=ORDER_RECORD,
        export_as="sessions",
    )
)
register(
    Holding(
        model=SessionTransition,
        category=Category.SERVICE_RECORDS,
        owner="photo_session__user",
        session="photo_session",
        other_links=("actor",),
        unexported=("actor",),
        erase=Erase.KEEP,
        kept_because=ORDER_RECORD,
        export_as="session_history",
    )
)
register(
    Holding(
        model=SourcePhoto,
        category=Category.ORIGINALS,
        owner="photo_session__user",
        session="photo_session",
        files=("image", "thumbnail"),
        unexported_files=("thumbnail",),
        # Technical measures only (P23): size, sharpness, face box, perceptual hash.
        export_as="photos",
    )
)
register(
    Holding(
        model=Order,
        category=Category.SERVICE_RECORDS,
        owner="photo_session__user",
        session="photo_session",
        erase=Erase.KEEP,
        kept_because=ORDER_RECORD,
        export_as="orders",
    )
)
register(
    Holding(
        model=Refund,
        category=Category.SERVICE_RECORDS,
        owner="order__photo_session__user",
        session="order__photo_session",
        other_links=("actor",),
        unexported=("actor",),
        erase=Erase.KEEP,
        kept_because=ORDER_RECORD,
        export_as="refunds",
    )
)
