"""The operators' alerts: an email to OPERATORS_EMAIL, in OPERATORS_LANGUAGE, once per occurrence.

A beat task (`pictureus.tasks.operator_alerts_send`, every few minutes) looks for what needs an
operator. Each occurrence is one `OperatorAlert` row, written in the same transaction as its
email is sent: a later beat finds the row and stays silent, a failed send leaves no row and is
tried again. A condition (no GPU worker while jobs wait) closes its row when it ends, so its
next start is a new occurrence.
"""

import datetime
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from generation.models import GenerationJob
from pictureus.mail import send_templated, site_url
from pictureus.models import OperatorAlert, WorkerPresence
from pictureus.timezones import service_today
from privacy.models import AuditEvent, DataSubjectRequest
from privacy.services.receipts import ANCHOR_FAILED, ANCHOR_REFUSED
from privacy.services.sweep import SWEEP_FAILED

logger = logging.getLogger(__name__)
Kind = OperatorAlert.Kind
# Past occurrences older than this are not announced (the first run after a deploy stays quiet
# about last month).
LOOK_BACK = datetime.timedelta(days=2)
GPU_SILENT_FOR = datetime.timedelta(minutes=10)
REQUEST_DUE_DAYS = 3
GPU_QUEUE = "gpu"


@dataclass
class Occurrence:
    kind: str
    key: str
    context: dict[str, Any]


def _admin_url(name: str, *args: Any) -> str:
    return site_url(reverse(name, args=args))


def failed_jobs(now: datetime.datetime) -> list[Occurrence]:
    jobs = GenerationJob.objects.filter(
        state=GenerationJob.State.FAILED, finished_at__gte=now - LOOK_BACK
    )
    return [
        Occurrence(
            Kind.JOB_FAILED,
            str(job.pk),
            {"job": job, "url": _admin_url("admin:generation_generationjob_change", job.pk)},
        )
        for job in jobs
    ]


def gpu_unserved(now: datetime.datetime) -> bool:
    """Jobs have waited for GPU_SILENT_FOR and no worker serving `gpu` was seen meanwhile."""
    silent_since = now - GPU_SILENT_FOR
    waiting = GenerationJob.objects.filter(
        state=GenerationJob.State.QUEUED, enqueued_at__lte=silent_since
    ).exists()
    if not waiting:
        return False
    seen = WorkerPresence.objects.filter(seen_at__gt=silent_since)
    return not any(GPU_QUEUE in worker.queues for worker in seen)


def requests_due(now: datetime.datetime) -> list[Occurrence]:
    closed = [DataSubjectRequest.Status.FULFILLED, DataSubjectRequest.Status.REFUSED]
    due = DataSubjectRequest.objects.exclude(status__in=closed).filter(
        due_date__lte=service_today(now) + datetime.timedelta(days=REQUEST_DUE_DAYS)
    )
    # An extended deadline is a new one: its approach is a new occurrence.
    return [
        Occurrence(
            Kind.REQUEST_DUE,
            f"{dsr.pk}:{dsr.due_date.isoformat()}",
            {
                "dsr": dsr,
                "url": _admin_url("admin:privacy_datasubjectrequest_change", dsr.pk),
            },
        )
        for dsr in due
    ]


def failed_runs(now: datetime.datetime) -> list[Occurrence]:
    kinds = {
        SWEEP_FAILED: Kind.SWEEP_FAILED,
        ANCHOR_REFUSED: Kind.RECEIPTS_FAILED,
        ANCHOR_FAILED: Kind.ANCHOR_FAILED,
    }
    events = AuditEvent.objects.filter(action__in=kinds, created_at__gte=now - LOOK_BACK)
    return [
        Occurrence(
            kinds[event.action],
            str(event.pk),
            {"event": event, "url": _admin_url("admin:privacy_auditevent_change", event.pk)},
        )
        for event in events
    ]


def _send(occurrence: Occurrence) -> bool:
    """Record the occurrence and email it, both or neither; False when it was already sent."""
    try:
        with transaction.atomic():
            OperatorAlert.objects.create(kind=occurrence.kind, key=occurrence.key)
            send_templated(
                to=settings.OPERATORS_EMAIL,
                template_prefix="backoffice/email/alert",
                context={"kind": occurrence.kind, **occurrence.context},
                language=settings.OPERATORS_LANGUAGE,
            )
    except IntegrityError:  # sent already, by this beat's predecessor or a concurrent one
        return False
    except Exception:  # the mail server: no row was kept, the next beat tries again
        logger.exception("operator alert %s:%s not sent", occurrence.kind, occurrence.key)
        return False
    return True


def _gpu_condition(now: datetime.datetime) -> list[Occurrence]:
    """The open GPU alert is closed when the condition ends; a new start is a new one."""
    open_alert = OperatorAlert.objects.filter(kind=Kind.GPU_UNSERVED, closed_at__isnull=True)
    if not gpu_unserved(now):
        open_alert.update(closed_at=now)
        return []
    if open_alert.exists():
        return []
    url = _admin_url("admin:index") + "#part-now"
    return [Occurrence(Kind.GPU_UNSERVED, now.isoformat(), {"url": url, "minutes": 10})]


def operator_alerts_send(*, now: datetime.datetime | None = None) -> list[str]:
    """Email the operators about every occurrence not yet sent; returns their `kind:key`."""
    now = now or timezone.now()
    found = [*failed_jobs(now), *requests_due(now), *failed_runs(now), *_gpu_condition(now)]
    sent_keys = set(
        OperatorAlert.objects.filter(kind__in={o.kind for o in found}).values_list("kind", "key")
    )
    return [f"{o.kind}:{o.key}" for o in found if (o.kind, o.key) not in sent_keys and _send(o)]
