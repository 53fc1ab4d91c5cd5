"""Work sent to the workers once the transaction that asked for it commits."""

from typing import Any

from celery import current_app
from django.db import transaction


def enqueue_on_commit(task_name: str, *args: Any) -> None:
    """Send a task by its name after commit; tasks import the services, never the reverse."""
    transaction.on_commit(lambda: current_app.send_task(task_name, args=list(args)))
