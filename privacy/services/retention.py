"""Retention dates: one source for the dates customers see and the dates the sweep enforces.

Core: imports no other app (P08, P09). A delivered session's data goes a set number of days
after delivery, each category by its own period; a session that never delivered (unpaid,
abandoned while uploading, failed, refunded, stuck) loses its photos, training artifacts and
any portraits the abandoned-session period after its last change. So every session, in every
state, has a deletion date.
"""

import datetime

from django.db.models import Model, Q
from django.utils import timezone

from .. import registry
from ..models import RetentionPolicy

Category = RetentionPolicy.Category
# The keys customers see, in the order they see them, and the category that governs each.
SESSION_STAGES = {
    "originals": Category.ORIGINALS,
    "training_artifacts": Category.TRAINING_ARTIFACTS,
    "gallery": Category.DELIVERABLES,
}


def retention_periods() -> dict[str, int]:
    """Every category's period in days, as the operators set it."""
    return dict(RetentionPolicy.objects.values_list("category", "period_days"))


def policy_days(category: str) -> int | None:
    return retention_periods().get(category)


def retention_deadlines(
    *, photo_session: Model, periods: dict[str, int] | None = None
) -> dict[str, datetime.datetime | None]:
    """When each kind of the session's data is due for deletion, to the second.

    None for a kind only where its retention policy is missing (the sweep then keeps it).
    """
    lifecycle = registry.sessions()
    periods = retention_periods() if periods is None else periods
    delivered = getattr(photo_session, lifecycle.delivered)
    result = {}
    for key, category in SESSION_STAGES.items():
        if delivered is not None:
            base, days = delivered, periods.get(category)
        else:
            base, days = getattr(photo_session, lifecycle.activity), periods.get(Category.ABANDONED)
        result[key] = None if days is None or base is None else base + datetime.timedelta(days=days)
    return result


def retention_dates(
    *, photo_session: Model, periods: dict[str, int] | None = None
) -> dict[str, datetime.date | bool | None]:
    """The dates shown to the customer: originals, training_artifacts and gallery.

    `delivered` says which rule applies (after delivery, or the abandoned-session period).
    """
    deadlines = retention_deadlines(photo_session=photo_session, periods=periods)
    dates = {key: timezone.localdate(when) if when else None for key, when in deadlines.items()}
    delivered = getattr(photo_session, registry.sessions().delivered) is not None
    return {**dates, "delivered": delivered}


def retention_due_filter(*, now: datetime.datetime, periods: dict[str, int] | None = None) -> Q:
    """Sessions with at least one kind of data due at `now`: the database side of
    `retention_deadlines`, from the same periods and the same fields."""
    lifecycle = registry.sessions()
    periods = retention_periods() if periods is None else periods
    due = Q(pk__in=[])
    for category in SESSION_STAGES.values():
        if periods.get(category) is not None:
            cutoff = now - datetime.timedelta(days=periods[category])
            due |= Q(**{f"{lifecycle.delivered}__lte": cutoff})
    if periods.get(Category.ABANDONED) is not None:
        cutoff = now - datetime.timedelta(days=periods[Category.ABANDONED])
        due |= Q(**{f"{lifecycle.delivered}__isnull": True, f"{lifecycle.activity}__lte": cutoff})
    return due
