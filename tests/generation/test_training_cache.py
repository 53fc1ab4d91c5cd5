"""The training cache (latents, prompt embedding) and checkpoints: reused only for the exact photo
set they were made from, and only within their own session, on a real worker and the tiny model.

Each test plants what a wrong lookup would pick up: a cache and a checkpoint made by the trainer
itself, as a worker lost at its first checkpoint leaves them.
"""

import dataclasses
import hashlib
import io

import pytest
from PIL import Image

from tests.conftest import wait_for

from .conftest import add_photos, submit

pytestmark = [pytest.mark.ml, pytest.mark.django_db(transaction=True)]


class WorkerLost(Exception):
    pass


def _image(photo):
    with photo.image.open("rb") as fh:
        return Image.open(io.BytesIO(fh.read()))


def _key(base, photo_session):
    """The cache key of the session's photos as they stand, built as its training task does."""
    from generation.pipeline.jobs import training_config
    from generation.pipeline.train import cache_key

    photos = photo_session.photos.all()
    config = training_config(photo_session)
    return cache_key(base, config, [(p.pk, p.sha256, p.face_box) for p in photos])


def _plant(photo_session, kind, data, step=0):
    from django.core.files.base import ContentFile

    from generation.models import TrainingArtifact

    artifact = TrainingArtifact(
        photo_session=photo_session,
        kind=kind,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        step=step,
    )
    artifact.file.save(f"{kind}.bin", ContentFile(data), save=False)
    artifact.save()
    return artifact


def _lost_run(photo_session, *, photos=None, into=None):
    """Train `photo_session`'s LoRA (its config and cache key) on `photos` (its own by default)
    in this process, stopping after the first checkpoint; store the cache and the checkpoint
    with the session `into` (the same one by default). Returns (latents, checkpoint, key)."""
    from generation.pipeline.base import BaseModel
    from generation.pipeline.jobs import training_config
    from generation.pipeline.train import train_lora

    base = BaseModel.load()
    key = _key(base, photo_session)
    photos = list(photo_session.photos.all()) if photos is None else photos
    made = {}

    def stop(done, total, speed):
        if "checkpoint" in made:
            raise WorkerLost

    with pytest.raises(WorkerLost):
        train_lora(
            base,
            [(_image(p), p.face_box) for p in photos],
            dataclasses.replace(training_config(photo_session), checkpoint_every=10),
            key=key,
            on_cache=lambda data: made.update(latents=data),
            on_checkpoint=lambda data, step: made.update(checkpoint=(data, step)),
            on_progress=stop,
        )
    into = into or photo_session
    latents = _plant(into, "latents", made["latents"])
    checkpoint = _plant(into, "checkpoint", *made["checkpoint"])
    return latents, checkpoint, key


def _trained(photo_session, worker):
    """Wait for the session's training job to succeed; its row."""
    from generation.models import GenerationJob

    def done():
        job = GenerationJob.objects.filter(photo_session=photo_session, kind="training").first()
        if job is not None and job.state in ("failed", "cancelled"):
            raise AssertionError(f"training {job.state}: {job.error}\n{worker.log()}")
        return job if job is not None and job.state == "succeeded" else None

    return wait_for(done, timeout=240, message="the training to succeed")


def _latents(artifact):
    from safetensors.torch import load as load_safetensors

    from generation.pipeline.train import cache_key_of

    with artifact.file.open("rb") as fh:
        data = fh.read()
    return load_safetensors(data)["latents"], cache_key_of(data)


def _encoded(photos, resolution):
    """What the VAE makes of each photo as the trainer crops it: one row per photo, in order."""
    import torch

    from generation.pipeline.base import BaseModel
    from generation.pipeline.train import TrainingConfig, encode_cache, face_crop, images_to_tensor

    base = BaseModel.load()
    config = TrainingConfig(rank=4, steps=1, learning_rate=0, resolution=resolution, prompt="")
    rows = []
    for photo in photos:
        pixels = images_to_tensor([face_crop(_image(photo), photo.face_box, resolution)])
        rows.append(encode_cache(base, pixels, config)["latents"][0])
    return torch.stack(rows)


def _holds(latents, photos, resolution):
    """The latents are those of exactly these photos, in this order."""
    import torch

    expected = _encoded(photos, resolution)
    return latents.shape == expected.shape and torch.allclose(latents, expected, atol=1e-4)


def _photos_read(photo_session):
    from privacy.models import AuditEvent

    events = AuditEvent.objects.filter(
        action="generation.photos_read", object_id=str(photo_session.pk)
    )
    return [sorted(event.detail["photos"]) for event in events]


@pytest.mark.promise("P04")
@pytest.mark.promise("P05")
@pytest.mark.parametrize("owner", ["alice", "bob"])
def test_a_cache_of_another_session_is_never_used_even_under_this_sessions_key(
    celery_worker, request, alice, paid_session, owner
):
    from generation.models import TrainingArtifact
    from generation.pipeline.jobs import training_config

    # Same count of photos, other faces; a session of the same customer, or of another one.
    other = paid_session(request.getfixturevalue(owner), photos=10, seed=1)
    mine = paid_session(alice, photos=10, seed=2)
    # The other session holds a cache and a checkpoint made from its own photos, but under the
    # key of alice's photo set: only the session filter stands between them and her training.
    planted, planted_checkpoint, key = _lost_run(mine, photos=list(other.photos.all()), into=other)
    submit(mine)
    job = _trained(mine, celery_worker)

    assert job.resumed_from == 0
    cache = TrainingArtifact.objects.get(photo_session=mine, kind="latents")
    assert cache.job_id == job.pk
    latents, cache_key = _latents(cache)
    assert cache_key == key  # the planted key was the one her training looked for
    assert _holds(latents, list(mine.photos.all()), training_config(mine).resolution)
    assert _photos_read(mine) == [sorted(mine.photos.values_list("pk", flat=True))]
    assert _photos_read(other) == []
    # The other session's files are as they were.
    kept = TrainingArtifact.objects.filter(photo_session=other).values_list("pk", "sha256")
    assert sorted(kept) == sorted(
        [(planted.pk, planted.sha256), (planted_checkpoint.pk, planted_checkpoint.sha256)]
    )


@pytest.mark.promise("P04")
def test_a_changed_photo_set_of_the_same_size_is_encoded_again(celery_worker, alice, paid_session):
    from generation.models import TrainingArtifact
    from generation.pipeline.jobs import training_config
    from sessions_app.services import photo_delete

    session = paid_session(alice, photos=10, seed=3)
    planted, planted_checkpoint, old_key = _lost_run(session)
    # The customer swaps one photo for another: still ten.
    gone = session.photos.first()
    photo_delete(photo=gone, reason="request", actor=alice)
    (new,) = add_photos(session, 1, seed=4)
    assert session.photos.count() == 10 and not session.photos.filter(pk=gone.pk).exists()

    submit(session)
    job = _trained(session, celery_worker)

    # Neither the cache nor the weights of the old set were carried on.
    assert job.resumed_from == 0
    cache = TrainingArtifact.objects.get(photo_session=session, kind="latents")
    assert cache.pk != planted.pk and cache.job_id == job.pk
    latents, key = _latents(cache)
    assert key != old_key
    photos = list(session.photos.all())
    assert new in photos
    assert _holds(latents, photos, training_config(session).resolution)
    assert _photos_read(session) == [sorted(p.pk for p in photos)]
    assert not TrainingArtifact.objects.filter(pk__in=[planted.pk, planted_checkpoint.pk]).exists()


def test_an_unchanged_photo_set_reuses_its_cache_and_checkpoint(celery_worker, alice, paid_session):
    from generation.models import TrainingArtifact

    session = paid_session(alice, photos=10, seed=5)
    planted, planted_checkpoint, key = _lost_run(session)

    submit(session)
    job = _trained(session, celery_worker)

    assert job.resumed_from == planted_checkpoint.step == 10
    cache = TrainingArtifact.objects.get(photo_session=session, kind="latents")
    assert (cache.pk, cache.sha256) == (planted.pk, planted.sha256)
    assert _latents(cache)[1] == key
    assert TrainingArtifact.objects.filter(photo_session=session, kind="lora").exists()
