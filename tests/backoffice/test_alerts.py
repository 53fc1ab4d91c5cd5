"""The operators' alerts: emailed to OPERATORS_EMAIL in their language, once per occurrence."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from pictureus.tasks import operator_alerts_send
from tests.privacy.test_receipt_chain import as_attacker

from .conftest import DAYS, HOURS, MINUTES

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def operators(settings):
    settings.OPERATORS_EMAIL = ["ops@example.com", "oncall@example.com"]
    settings.OPERATORS_LANGUAGE = "en"


def beat():
    """One run of the periodic task; the emails it sent."""
    mail.outbox.clear()
    operator_alerts_send()
    return list(mail.outbox)


def test_a_job_failing_its_last_attempt_is_emailed_once(alice, make_session, make_job):
    job = make_job(make_session(alice, "failed"), "failed", finished_ago=5 * MINUTES)
    make_job(make_session(alice, "failed"), "failed", finished_ago=10 * DAYS)  # long known
    make_job(make_session(alice, "training"), "running", silent_for=MINUTES)
    (email,) = beat()
    assert email.to == ["ops@example.com", "oncall@example.com"]
    assert f"Job #{job.pk} failed its last attempt" in email.subject
    assert f"/en/backoffice/generation/generationjob/{job.pk}/change/" in email.body
    assert alice.email not in email.body
    assert beat() == []  # the next beat stays silent
    other = make_job(make_session(alice, "failed"), "failed", finished_ago=MINUTES)
    (email,) = beat()
    assert f"Job #{other.pk} " in email.subject


def test_no_gpu_worker_for_10_minutes_while_jobs_wait_is_emailed_once_per_outage(
    alice, make_session, make_job
):
    from pictureus.backoffice.workers import worker_presence_record
    from pictureus.models import WorkerPresence

    worker_presence_record(hostname="default@web1", queues=["default"])
    job = make_job(make_session(alice, "queued"), "queued", queued_ago=4 * MINUTES)
    assert beat() == []  # jobs have not waited 10 minutes yet
    job.enqueued_at = timezone.now() - 11 * MINUTES
    job.save(update_fields=["enqueued_at"])
    (email,) = beat()
    assert "No worker has served the GPU queue for 10 minutes" in email.subject
    assert beat() == []  # the same outage
    worker_presence_record(hostname="gpu0@box", queues=["gpu"])
    assert beat() == []  # a GPU worker is back: the outage ends
    WorkerPresence.objects.filter(hostname="gpu0@box").update(seen_at=timezone.now() - 12 * MINUTES)
    (email,) = beat()  # a new outage is a new occurrence
    assert "GPU" in email.subject


def test_a_worker_serving_the_gpu_queue_silences_the_gpu_alert(alice, make_session, make_job):
    from pictureus.backoffice.workers import worker_presence_record

    worker_presence_record(hostname="gpu0@box", queues=["gpu"])
    make_job(make_session(alice, "queued"), "queued", queued_ago=30 * MINUTES)
    assert beat() == []


def test_a_request_3_days_from_its_deadline_is_emailed_once_in_the_operators_language(
    settings,
):
    from privacy.models import DataSubjectRequest
    from privacy.services import dsr_create

    settings.OPERATORS_LANGUAGE = "ko"
    today = timezone.localdate()
    due = dsr_create(type="erasure", channel="visitor", email="near@example.com", region="US")
    far = dsr_create(type="access", channel="visitor", email="far@example.com", region="US")
    DataSubjectRequest.objects.filter(pk=due.pk).update(due_date=today + datetime.timedelta(days=3))
    DataSubjectRequest.objects.filter(pk=far.pk).update(due_date=today + datetime.timedelta(days=4))
    (email,) = beat()
    assert email.extra_headers["Content-Language"] == "ko"
    assert "정보주체" in email.subject or "요청" in email.subject
    assert f"/ko/backoffice/privacy/datasubjectrequest/{due.pk}/change/" in email.body
    assert beat() == []
    # Extended, the request nears a new deadline later: that is a new occurrence.
    DataSubjectRequest.objects.filter(pk=due.pk).update(due_date=today + datetime.timedelta(days=1))
    assert len(beat()) == 1
    DataSubjectRequest.objects.filter(pk=due.pk).update(status="fulfilled")
    assert beat() == []


def test_a_failed_retention_sweep_is_emailed_once(db):
    from privacy.services import audit_log
    from privacy.services.sweep import SWEEP_FAILED, retention_sweep_scheduled

    retention_sweep_scheduled()  # a run that succeeds: nothing to say
    assert beat() == []
    audit_log(action=SWEEP_FAILED, detail={"error": "OSError"})
    (email,) = beat()
    assert email.subject == "The retention sweep failed"
    assert beat() == []


def test_a_receipt_chain_that_fails_verification_is_emailed_once(alice):
    from privacy import tasks
    from privacy.models import DeletionReceipt
    from privacy.services import receipt_append

    receipt_append(subject=alice, category="originals", what="a photo", reason="request")
    tasks.receipts_anchor()
    assert beat() == []  # a verified chain
    block = as_attacker()  # the chain no longer adds up
    DeletionReceipt.objects.update(what="nothing deleted")
    block.__exit__(None, None, None)
    tasks.receipts_anchor()
    (email,) = beat()
    assert "deletion-receipt chain failed its verification" in email.subject
    assert beat() == []


def test_an_anchoring_run_that_gives_up_after_its_retries_is_emailed_once(settings, alice):
    """The mail server is down for the whole run: each retry fails, the last one is recorded,
    the dashboard shows the chain's result as failed, and the operators hear of it once."""
    import socket
    import threading

    from pictureus.backoffice.figures import privacy_part
    from privacy import tasks
    from privacy.models import AuditEvent
    from privacy.services import receipt_append

    receipt_append(subject=alice, category="originals", what="a photo", reason="request")
    tasks.receipts_anchor.apply()  # a day that went well
    # A mail server that hangs up on every connection, counting them.
    server = socket.create_server(("127.0.0.1", 0))
    attempts = []

    def hang_up():
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            attempts.append(1)
            connection.close()

    threading.Thread(target=hang_up, daemon=True).start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_USE_TLS = "127.0.0.1", False
    settings.EMAIL_PORT = server.getsockname()[1]
    try:
        run = tasks.receipts_anchor.apply()
    finally:
        server.close()
    assert run.failed() and isinstance(run.result, OSError)
    # It tried again before giving up, and only giving up is recorded.
    assert len(attempts) == 1 + tasks.receipts_anchor.max_retries
    (failed,) = AuditEvent.objects.filter(action="receipts.anchor_failed")
    result = {f.label: f.value for f in privacy_part(timezone.now()).figures}
    assert result["Receipt chain, result"] == "failed"

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    (email,) = beat()
    assert email.subject == "The deletion-receipt chain could not be anchored"
    assert type(run.result).__name__ in email.body
    assert f"/auditevent/{failed.pk}/" in email.body
    assert beat() == []


def test_the_alert_check_is_scheduled():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="pictureus.tasks.operator_alerts_send")
    assert task.enabled and task.interval.every == 5 and task.queue == "default"


def test_a_failed_send_is_tried_again_at_the_next_beat(settings, alice, make_session, make_job):
    from pictureus.models import OperatorAlert

    make_job(make_session(alice, "failed"), "failed", finished_ago=HOURS)
    settings.EMAIL_BACKEND = "tests.backoffice.test_alerts.BrokenBackend"
    operator_alerts_send()
    assert not OperatorAlert.objects.exists()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert len(beat()) == 1


class BrokenBackend:
    """An SMTP server that refuses the connection (the network edge)."""

    def __init__(self, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("smtp down")
