"""From a submitted session to a delivered gallery, on a real worker and the tiny model."""

import io
import zipfile

import numpy as np
import pytest
from PIL import Image

from tests.conftest import wait_for

from .conftest import state_of, submit

pytestmark = [pytest.mark.ml, pytest.mark.django_db(transaction=True)]


def _delivered(photo_session, worker):
    def check():
        state = state_of(photo_session)
        if state in ("failed", "refunded"):
            raise AssertionError(f"session {state}: {photo_session.failure_reason}\n{worker.log()}")
        return state == "delivered"

    wait_for(check, timeout=240, message="the session to be delivered")


def test_it_delivers_a_gallery_with_a_lora_that_stock_diffusers_loads(
    celery_worker, alice, bob, paid_session, client, tmp_path
):
    from generation.models import GenerationJob, Portrait, TrainingArtifact
    from generation.pipeline.base import BaseModel
    from generation.pipeline.generate import LORA_FILENAME, generate_image

    session = paid_session(alice)
    submit(session)
    _delivered(session, celery_worker)

    path = [t.to_state for t in session.transitions.order_by("created_at", "id")]
    assert path[-4:] == ["queued", "training", "generating", "delivered"]
    jobs = GenerationJob.objects.filter(photo_session=session)
    assert {(j.kind, j.state) for j in jobs} == {
        ("training", "succeeded"),
        ("generation", "succeeded"),
    }
    training = jobs.get(kind="training")
    assert training.progress_done == training.progress_total == 20
    # The worker that trained generated too, on the base model it had loaded once.
    assert jobs.get(kind="generation").worker == training.worker
    assert celery_worker.log().count("base model loaded") == 1
    # The loss is read off the device once per 50 steps and at the end, never every step.
    assert celery_worker.log().count(": mean loss ") == 1
    assert training.seconds_per_unit is not None

    portraits = list(Portrait.objects.filter(photo_session=session))
    assert len(portraits) == 2 * 2
    assert all(p.image and p.preview and p.seed for p in portraits)
    # Checkpoints are gone once training succeeded; latents and the LoRA stay until the sweep.
    artifacts = TrainingArtifact.objects.filter(photo_session=session)
    kinds = set(artifacts.values_list("kind", flat=True))
    assert kinds == {"latents", "lora"}

    # The LoRA file is diffusers' own format: stock load_lora_weights takes it.
    lora = TrainingArtifact.objects.get(photo_session=session, kind="lora")
    lora_dir = tmp_path / "lora"
    lora_dir.mkdir()
    with lora.file.open("rb") as fh:
        (lora_dir / LORA_FILENAME).write_bytes(fh.read())
    base = BaseModel.load("")
    kwargs = {"negative_prompt": "blurry", "resolution": 32, "output_type": "np"}
    prompt = portraits[0].prompt
    plain = generate_image(base, prompt=prompt, seed=7, **kwargs)
    base.pipe.load_lora_weights(str(lora_dir), weight_name=LORA_FILENAME)
    with_lora = generate_image(base, prompt=prompt, seed=7, **kwargs)
    scale_zero = generate_image(base, prompt=prompt, seed=7, lora_scale=0.0, **kwargs)
    assert np.abs(with_lora - plain).max() > 1e-3
    assert np.array_equal(scale_zero, plain)

    # Same seed, same image: the stored portrait (made in a batch, with the LoRA fused) is made
    # again from its recorded seed, alone, by stock diffusers with the LoRA unfused. Only
    # floating-point rounding differs: a level of 255 on a few values at most.
    portrait = portraits[0]
    again = generate_image(base, prompt=portrait.prompt, seed=portrait.seed, **kwargs)
    with portrait.image.open("rb") as fh:
        stored = np.asarray(Image.open(fh).convert("RGB")).astype(int)
    difference = np.abs((again * 255).round().astype(int) - stored)
    assert difference.max() <= 1 and (difference > 0).mean() < 0.01

    # The customer is told, and the gallery says its images are placeholders.
    assert any("ready" in mail for mail in celery_worker.sent_mail())
    client.force_login(alice)
    page = client.get(f"/en/studio/{session.public_id}/")
    assert page.status_code == 200
    assert "placeholders from the development model" in page.content.decode()
    progress = client.get(f"/en/studio/{session.public_id}/progress.json").json()
    assert progress["state"] == "delivered" and progress["finished"]

    # Download all streams every deliverable.
    response = client.get(f"/en/studio/{session.public_id}/download.zip")
    assert response.status_code == 200 and response.streaming
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert len(archive.namelist()) == len(portraits)
    assert archive.testzip() is None

    # One style made again with new seeds: the old images go once the new ones are there.
    style = portraits[0].style
    old = {p.pk: p.seed for p in portraits if p.style_id == style.pk}
    client.post(f"/en/studio/{session.public_id}/styles/{style.pk}/regenerate/")
    wait_for(
        lambda: (
            GenerationJob.objects.get(photo_session=session, kind="regeneration").state
            == "succeeded"
        ),
        timeout=120,
        message="the regeneration",
    )
    now = Portrait.objects.filter(photo_session=session, style=style)
    assert now.count() == 2 and not now.filter(pk__in=old).exists()
    assert set(now.values_list("seed", flat=True)).isdisjoint(old.values())
    assert Portrait.objects.filter(photo_session=session).count() == 4
    assert state_of(session) == "delivered"

    client.force_login(bob)
    assert client.get(f"/en/studio/{session.public_id}/download.zip").status_code == 404
