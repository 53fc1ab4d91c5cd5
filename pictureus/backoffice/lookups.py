"""The rows behind a dashboard figure, as filters its list page applies too: one definition."""

import datetime

from django.db.models import Exists, OuterRef, Q

from generation.models import GenerationJob
from generation.services.jobs import STALE_AFTER
from generation.services.watchdog import LOST_AFTER
from sessions_app.models import PhotoSession, Refund

# A legal hold whose end date falls within this many days is "ending soon".
HOLD_ENDING_DAYS = 14


def stuck_jobs_q(now: datetime.datetime) -> Q:
    """Running jobs silent past the watchdog's limit, or queued ones the workers passed over."""
    running = GenerationJob.State.RUNNING
    queued = GenerationJob.State.QUEUED
    return Q(state=running, heartbeat_at__lte=now - STALE_AFTER) | Q(
        state=queued, enqueued_at__lte=now - LOST_AFTER
    )


def failed_unrefunded_q() -> Q:
    """Failed sessions with no refund paid or under way: money an operator must give back."""
    refunded = Refund.objects.filter(
        order__photo_session=OuterRef("pk"),
        status__in=[Refund.Status.SUCCEEDED, Refund.Status.PENDING],
    )
    return Q(Q(state=PhotoSession.State.FAILED), ~Exists(refunded))
