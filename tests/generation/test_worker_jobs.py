"""Jobs on a real worker: own photos only, consent withdrawal, a killed worker, retries."""

import signal

import pytest

from tests.conftest import purge_queues, start_worker, wait_for

from .conftest import state_of, submit

pytestmark = [pytest.mark.ml, pytest.mark.django_db(transaction=True)]


def _job(photo_session, kind="training"):
    from generation.models import GenerationJob

    return GenerationJob.objects.filter(photo_session=photo_session, kind=kind).first()


@pytest.mark.promise("P04")
@pytest.mark.promise("P05")
def test_a_training_job_reads_only_its_own_sessions_photos(celery_worker, alice, bob, paid_session):
    from safetensors.torch import load as load_safetensors

    from generation.models import TrainingArtifact
    from privacy.models import AuditEvent
    from sessions_app.models import PhotoSession

    bobs = paid_session(bob, photos=12, seed=2)
    submit(bobs)  # queued alongside, so both sessions' photos are there to be mixed up
    alices = paid_session(alice, photos=10, seed=1)
    submit(alices)
    wait_for(
        lambda: (j := _job(alices)) is not None and j.state == "succeeded",
        timeout=240,
        message="alice's training",
    )

    read = AuditEvent.objects.filter(action="generation.photos_read", object_id=str(alices.pk))
    assert read.count() == 1
    assert sorted(read.get().detail["photos"]) == sorted(alices.photos.values_list("pk", flat=True))
    # The cached latents hold exactly alice's ten photos, not bob's twelve.
    latents = TrainingArtifact.objects.get(photo_session=alices, kind="latents")
    with latents.file.open("rb") as fh:
        assert load_safetensors(fh.read())["latents"].shape[0] == 10
    for event in AuditEvent.objects.filter(action="generation.photos_read"):
        owner = {alices.pk: alice.pk, bobs.pk: bob.pk}[int(event.object_id)]
        assert event.subject_id == owner
    # Her generation reads her own LoRA back (checked against its session and its hash) and
    # delivers her gallery.
    ended = wait_for(
        lambda: (
            PhotoSession.objects.filter(pk=alices.pk, state__in=("delivered", "failed", "refunded"))
            .values_list("state", flat=True)
            .first()
        ),
        timeout=240,
        message="alice's gallery",
    )
    assert ended == "delivered"


@pytest.mark.promise("P03")
def test_withdrawing_consent_mid_training_stops_the_job_and_deletes_its_data(
    celery_worker, alice, paid_session
):
    from django.core.files.storage import storages

    from generation.models import GenerationJob, TrainingArtifact
    from privacy.services import consent_withdraw

    session = paid_session(alice, train_steps=5000)
    submit(session)
    wait_for(
        lambda: (
            (j := _job(session)) is not None
            and j.state == "running"
            and j.progress_done >= 3
            and TrainingArtifact.objects.filter(photo_session=session, kind="latents").exists()
        ),
        timeout=120,
        message="training under way with cached latents",
    )
    names = list(
        TrainingArtifact.objects.filter(photo_session=session).values_list("file", flat=True)
    )
    names += list(session.photos.values_list("image", flat=True))

    consent_withdraw(user=alice, purpose="face_photos", photo_session=session)

    wait_for(
        lambda: _job(session).state == "cancelled", timeout=60, message="the job to be cancelled"
    )
    storage = storages["private"]
    assert not TrainingArtifact.objects.filter(photo_session=session).exists()
    assert not session.photos.exists()
    assert [name for name in names if storage.exists(name)] == []
    training_dir = f"sessions/{session.public_id}/training"
    assert (storage.listdir(training_dir)[1] if storage.exists(training_dir) else []) == []
    assert state_of(session) == "collecting_photos"
    assert not GenerationJob.objects.filter(photo_session=session, kind="generation").exists()


def test_a_worker_killed_mid_training_resumes_from_its_checkpoint(
    transactional_db, tmp_path, alice, paid_session
):
    from generation.models import TrainingArtifact
    from generation.tasks import jobs_stale_check

    purge_queues()
    session = paid_session(alice, train_steps=200)
    # Checkpoints by time, written beside the training: often enough to kill between two.
    first = start_worker(tmp_path, extra_env={"PICTUREUS_CHECKPOINT_SECONDS": "0.2"})
    second = None
    try:
        submit(session)
        wait_for(
            lambda: TrainingArtifact.objects.filter(
                photo_session=session, kind="checkpoint", step__gte=20
            ).exists(),
            timeout=180,
            message="a checkpoint",
        )
        first.kill(signal.SIGKILL)
        job = _job(session)
        assert job.state == "running" and job.progress_done < 200

        second = start_worker(tmp_path)
        # The scheduled check finds the silent job (here without waiting its 15 minutes).
        jobs_stale_check.apply_async(kwargs={"stale_after_seconds": 0})
        wait_for(lambda: state_of(session) == "delivered", timeout=240, message="delivery")
    finally:
        first.kill()
        if second:
            second.kill(signal.SIGTERM)
    job = _job(session)
    assert job.state == "succeeded"
    assert job.attempts == 2
    assert job.resumed_from >= 20
    assert "resum" not in (job.error or "")


def test_after_the_last_retry_the_session_fails_and_is_refunded_once(
    transactional_db, tmp_path, alice, staff, paid_session, client
):
    from generation.models import GenerationJob
    from sessions_app.models import Refund

    purge_queues()
    session = paid_session(alice)
    # The worker's storage is an S3 endpoint that is down: an outside error, every time.
    worker = start_worker(
        tmp_path,
        extra_env={
            "S3_BUCKET": "pictureus-unreachable",
            "S3_ENDPOINT_URL": "http://127.0.0.1:9",
            "S3_ACCESS_KEY_ID": "pictureus-test",
            "S3_SECRET_ACCESS_KEY": "unused",
            "AWS_MAX_ATTEMPTS": "1",
            "PICTUREUS_RETRY_BACKOFF_SECONDS": "0",
        },
    )
    try:
        submit(session)
        wait_for(lambda: state_of(session) == "refunded", timeout=120, message="the refund")
        wait_for(lambda: worker.sent_mail(), timeout=30, message="the email")
    finally:
        worker.kill(signal.SIGTERM)
    job = _job(session)
    assert job.state == "failed" and job.attempts == 3
    assert "EndpointConnectionError" in job.error or "Could not connect" in job.error
    assert Refund.objects.filter(order__photo_session=session).count() == 1
    assert session.failure_reason
    assert sum("could not make" in mail for mail in worker.sent_mail()) == 1

    # The operator sees why, and failing it again by hand refunds nothing more.
    client.force_login(staff)
    page = client.get("/en/backoffice/generation/generationjob/")
    assert "Could not connect" in page.content.decode() or "EndpointConnection" in (
        page.content.decode()
    )
    client.post(
        "/en/backoffice/generation/generationjob/",
        {"action": "fail_and_refund", "_selected_action": [job.pk]},
    )
    assert Refund.objects.filter(order__photo_session=session).count() == 1
    assert GenerationJob.objects.get(pk=job.pk).state == "failed"
