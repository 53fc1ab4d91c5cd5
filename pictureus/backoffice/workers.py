"""Which Celery workers are alive and which queues they serve; what waits in each queue.

Workers write their presence themselves (`PresenceStep` in pictureus/celery.py) every
WORKER_PRESENCE_SECONDS from the worker's main process, so a GPU busy with one long task still
reports.
"""

import datetime
import logging

from celery import current_app
from django.conf import settings
from django.utils import timezone

from pictureus.models import WorkerPresence

logger = logging.getLogger(__name__)


# A worker not heard from for this long is counted as gone.
ALIVE_WITHIN = datetime.timedelta(seconds=4 * settings.WORKER_PRESENCE_SECONDS)


def known_queues() -> list[str]:
    """The queues tasks are sent to: the default one and those the routes name."""
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    return [settings.CELERY_TASK_DEFAULT_QUEUE, *sorted(routed - {"default"})]


def worker_presence_record(*, hostname: str, queues: list[str]) -> None:
    """Note that a worker is alive and what it consumes."""
    WorkerPresence.objects.update_or_create(
        hostname=hostname, defaults={"queues": sorted(queues), "seen_at": timezone.now()}
    )


def workers_alive(*, now: datetime.datetime) -> list[WorkerPresence]:
    return list(WorkerPresence.objects.filter(seen_at__gte=now - ALIVE_WITHIN))


def queue_depths(names: list[str]) -> dict[str, int | None]:
    """Messages waiting in each queue, asked of the broker; None where it cannot be reached."""
    depths: dict[str, int | None] = dict.fromkeys(names)
    try:
        # This project's Celery app (pictureus/celery.py), which made itself the current one.
        with current_app.connection_for_read() as connection:
            connection.ensure_connection(max_retries=1, timeout=2)
            channel = connection.default_channel
            for name in names:
                try:
                    depths[name] = channel.queue_declare(queue=name, passive=True).message_count
                except connection.channel_errors:
                    depths[name] = 0  # never declared: nothing was ever sent to it
    except Exception:  # the broker is down or unreachable: the page still renders
        logger.warning("queue depths: the broker cannot be reached", exc_info=True)
    return depths
