import logging
import os
from typing import Any

from celery import Celery, bootsteps

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pictureus.settings")

logger = logging.getLogger(__name__)

app = Celery("pictureus")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


class PresenceStep(bootsteps.StartStopStep):
    """Record this worker's presence and queues for the back office, at start and every
    WORKER_PRESENCE_SECONDS, from the main process (a child busy on the GPU does not stop it)."""

    requires = {"celery.worker.components:Timer"}

    def start(self, worker: Any) -> None:
        from django.conf import settings

        self._record(worker)
        every = settings.WORKER_PRESENCE_SECONDS
        self.tref = worker.timer.call_repeatedly(every, self._record, (worker,))

    def stop(self, worker: Any) -> None:
        if getattr(self, "tref", None) is not None:
            self.tref.cancel()

    def _record(self, worker: Any) -> None:
        # Django is set up by the time a worker starts its steps; not when this module loads.
        from django.db import close_old_connections

        from pictureus.backoffice.workers import worker_presence_record

        close_old_connections()
        try:
            queues = [queue.name for queue in worker.app.amqp.queues.consume_from.values()]
            worker_presence_record(hostname=worker.hostname, queues=queues)
        except Exception:  # a database hiccup must not stop the worker
            logger.warning("worker presence not recorded", exc_info=True)


app.steps["worker"].add(PresenceStep)
