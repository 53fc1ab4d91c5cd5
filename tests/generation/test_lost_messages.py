"""The scheduled job check: a queued job whose task message was lost is sent again, once; one
waiting behind busy workers, or a running one that is alive, is left alone."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from tests.conftest import make_customer, purge_queues, start_worker, wait_for

from .conftest import state_of, submit


def _job(photo_session):
    return photo_session.generation_jobs.get(kind="training")


def _later(minutes):
    return time_machine.travel(timezone.now() + timedelta(minutes=minutes), tick=False)


def _worker_takes(job, name="gpu0@test"):
    from generation.services.jobs import job_begin

    assert job_begin(job_id=job.pk, worker=name) is not None


def _reports_progress(job):
    from generation.services.jobs import job_progress

    job_progress(job=job, done=5, total=job.progress_total)


def test_a_job_waiting_behind_a_busy_worker_is_not_sent_again(alice, bob, paid_session):
    from generation.services.watchdog import jobs_stale_check

    bobs = paid_session(bob, seed=2)
    submit(bobs)
    alices = paid_session(alice)
    submit(alices)
    _worker_takes(_job(bobs))
    sent = _job(alices).celery_task_id

    # Bob's long training still reports progress; Alice's job waits its turn behind it.
    with _later(40):
        _reports_progress(_job(bobs))
        assert jobs_stale_check() == {"requeued": [], "failed": [], "resent": []}
    assert _job(alices).celery_task_id == sent
    assert _job(alices).state == "queued"
    assert _job(bobs).state == "running"


def test_a_job_passed_over_by_one_sent_after_it_is_sent_again_once(alice, bob, paid_session):
    from generation.services.watchdog import jobs_stale_check

    bobs = paid_session(bob, seed=2)
    submit(bobs)
    alices = paid_session(alice)
    submit(alices)
    carols = paid_session(make_customer("carol@example.com"), seed=3)
    submit(carols)
    # Two GPU workers: one on Bob's job, the other on Carol's, sent after Alice's; so the broker
    # no longer holds Alice's message.
    _worker_takes(_job(bobs))
    _worker_takes(_job(carols), name="gpu1@test")
    lost = _job(alices).celery_task_id

    with _later(20):
        _reports_progress(_job(bobs))
        _reports_progress(_job(carols))
        assert jobs_stale_check()["resent"] == [_job(alices).pk]
        assert jobs_stale_check()["resent"] == [], "sent again once, not at every check"
    job = _job(alices)
    assert job.state == "queued" and job.attempts == 0
    assert job.celery_task_id != lost
    assert state_of(alices) == "queued"


def test_a_queued_job_is_not_sent_again_before_its_time(alice, paid_session):
    from generation.services.watchdog import jobs_stale_check

    session = paid_session(alice)
    submit(session)
    with _later(10):
        assert jobs_stale_check()["resent"] == []


def test_a_running_job_that_reports_progress_meanwhile_is_left_running(alice, paid_session):
    from generation.services.watchdog import job_stale_handle

    session = paid_session(alice)
    submit(session)
    _worker_takes(_job(session))
    silent_since = timezone.now()
    # Between the check's query and its requeue the worker reports: requeueing would stop it.
    _reports_progress(_job(session))

    assert job_stale_handle(job_id=_job(session).pk, silent_since=silent_since) == ""
    assert _job(session).state == "running"


@pytest.mark.ml
def test_a_job_whose_message_the_broker_lost_runs_when_the_check_sends_it_again(
    transactional_db, tmp_path, alice, paid_session
):
    from generation.tasks import jobs_stale_check

    purge_queues()
    session = paid_session(alice)
    submit(session)
    purge_queues()  # the broker restarted without its data: the training message is gone
    lost = _job(session).celery_task_id
    worker = start_worker(tmp_path)
    try:
        # The scheduled check, here without waiting its 15 minutes.
        jobs_stale_check.apply_async(kwargs={"lost_after_seconds": 0})
        wait_for(lambda: state_of(session) == "delivered", timeout=240, message="delivery")
    finally:
        worker.kill()
    job = _job(session)
    assert job.state == "succeeded" and job.attempts == 1
    assert job.celery_task_id != lost


def test_generation_that_follows_training_retries_with_a_message_of_its_own(
    alice, paid_session, settings, django_capture_on_commit_callbacks
):
    """The worker that trained goes straight on to generate; an outside error there is the
    generation job's own retry, due after its backoff, not a retry of the training task."""
    from types import SimpleNamespace

    from generation import tasks
    from generation.models import GenerationJob, TrainingArtifact
    from generation.services.jobs import training_finish
    from generation.services.training import artifact_save

    settings.PICTUREUS_RETRY_BACKOFF_SECONDS = 30
    session = paid_session(alice)
    submit(session)
    training = _job(session)
    _worker_takes(training)
    artifact_save(
        job=training, kind=TrainingArtifact.Kind.LORA, data=b"lora", filename="lora.safetensors"
    )
    generation = training_finish(job_id=training.pk)
    first_message = generation.celery_task_id

    def storage_away(job):
        raise ConnectionError("storage away")

    # The training task's own request: already retried once, which must not count here.
    task = SimpleNamespace(request=SimpleNamespace(hostname="gpu0@test", retries=1), max_retries=1)
    before = timezone.now()
    with django_capture_on_commit_callbacks() as sent:
        tasks._run(task, generation.pk, storage_away, follows=True)

    job = GenerationJob.objects.get(pk=generation.pk)
    assert job.state == "queued" and job.attempts == 1
    assert "storage away" in job.error
    assert len(sent) == 1, "a message of its own"
    assert job.celery_task_id != first_message
    assert job.enqueued_at >= before + timedelta(seconds=30)
    assert state_of(session) == "generating"
