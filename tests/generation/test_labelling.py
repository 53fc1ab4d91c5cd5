"""Delivered portraits say in their own file that they are AI-generated (인공지능 기본법): signed
C2PA content credentials and an invisible watermark, read back from the gallery's zip."""

import io
import signal
import zipfile

import cv2
import numpy as np
import pytest
from PIL import Image

from tests.conftest import start_worker, wait_for

from .conftest import state_of, submit

TRAINED_ALGORITHMIC_MEDIA = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"


def _trusting_our_ca():
    """A C2PA reader context that trusts the development CA the worker signed with."""
    import c2pa
    from django.conf import settings

    ca = (settings.DATA_DIR / "c2pa-dev" / "ca.pem").read_text()
    return c2pa.Context.from_dict({"trust": {"user_anchors": ca}, "verify": {"verify_trust": True}})


def _manifest(data: bytes, mime: str) -> tuple[dict, str, str]:
    """The active manifest, the whole manifest store as JSON and its validation state."""
    import c2pa

    with c2pa.Reader(mime, io.BytesIO(data), context=_trusting_our_ca()) as reader:
        return reader.get_active_manifest(), reader.json(), reader.get_validation_state()


def _watermark(data: bytes) -> bytes:
    from imwatermark import WatermarkDecoder

    bgr = cv2.cvtColor(np.asarray(Image.open(io.BytesIO(data)).convert("RGB")), cv2.COLOR_RGB2BGR)
    return WatermarkDecoder("bytes", 64).decode(bgr, "dwtDctSvd")


@pytest.mark.ml
@pytest.mark.django_db(transaction=True)
def test_a_portrait_from_the_zip_says_it_is_ai_generated_and_nothing_about_its_customer(
    celery_worker, alice, bob, paid_session, client
):
    from generation.models import Portrait

    # What wrong code would copy into a manifest: the customer's name and email, the session.
    alice.display_name = "Alice Planted-Name"
    alice.save(update_fields=["display_name"])
    # 256 px: the smallest image the watermark takes (the tiny model's usual 32 px is below it).
    session = paid_session(alice, resolution=256, train_steps=4, images_per_style=1)
    submit(session)

    def delivered():
        state = state_of(session)
        assert state not in ("failed", "refunded"), (
            f"{state}: {session.failure_reason}\n{celery_worker.log()[-3000:]}"
        )
        return state == "delivered"

    wait_for(delivered, timeout=300, message="the session to be delivered")

    client.force_login(bob)
    assert client.get(f"/en/studio/{session.public_id}/download.zip").status_code == 404
    client.force_login(alice)
    response = client.get(f"/en/studio/{session.public_id}/download.zip")
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert len(archive.namelist()) == 2
    personal = [
        alice.email,
        "Planted-Name",
        str(session.public_id),
        session.public_id.hex,
        session.subject_token,
        *Portrait.objects.filter(photo_session=session).values_list("prompt", flat=True),
    ]
    for name in archive.namelist():
        data = archive.read(name)
        manifest, store, state = _manifest(data, "image/png")
        assert state == "Trusted", store
        assert manifest["claim_generator_info"][0]["name"] == "PictureUs"
        [action] = manifest["assertions"][0]["data"]["actions"]
        assert action["action"] == "c2pa.created"
        assert action["digitalSourceType"] == TRAINED_ALGORITHMIC_MEDIA
        assert action["parameters"] == {"model_family": "tiny"}
        assert "PictureUs development model" in action["description"]
        assert _watermark(data) == b"PictUsAI"
        for value in personal:
            assert value not in store, value
            assert value.encode() not in data, value

    # The preview the gallery shows carries the content credentials too.
    portrait = Portrait.objects.filter(photo_session=session).first()
    preview = client.get(f"/en/studio/{session.public_id}/portraits/{portrait.pk}/preview/")
    manifest, store, state = _manifest(b"".join(preview.streaming_content), "image/webp")
    assert state == "Trusted", store
    assert manifest["assertions"][0]["data"]["actions"][0]["digitalSourceType"] == (
        TRAINED_ALGORITHMIC_MEDIA
    )


@pytest.mark.ml
def test_a_real_models_portrait_too_small_to_watermark_is_not_delivered_unlabelled():
    from generation.pipeline.label import LabelError, label_outputs

    with pytest.raises(LabelError, match="too small to watermark"):
        label_outputs(Image.new("RGB", (128, 128), (90, 120, 150)), family="sd")


@pytest.mark.django_db(transaction=True)
def test_a_worker_refuses_to_start_when_it_could_not_sign_portraits(tmp_path):

    from generation.provenance import signing_chain_make

    credentials = signing_chain_make(tmp_path / "c2pa", common_name="Worker check signer")
    other = signing_chain_make(tmp_path / "other", common_name="Someone else")
    env = {
        "C2PA_SIGNING_CERT": str(credentials.chain_path),
        "C2PA_SIGNING_KEY": str(other.key_path),
    }
    with pytest.raises(RuntimeError) as wrong_key:
        started = start_worker(tmp_path, extra_env=env)
        # A worker that starts anyway would take other tests' jobs: stop it before failing.
        started.kill(signal.SIGKILL)
    assert "portraits cannot be signed" in str(wrong_key.value)
    assert "does not belong to the first certificate" in str(wrong_key.value)
    assert "PRIVATE KEY" not in str(wrong_key.value)
