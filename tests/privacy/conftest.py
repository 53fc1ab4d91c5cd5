"""Fixtures for privacy: sessions that hold real files in the private storage."""

import hashlib

import pytest
from django.core.files.base import ContentFile


@pytest.fixture
def plan(db):
    from sessions_app.models import Plan, PlanPrice, StylePack

    plan = Plan.objects.create(slug="starter", name_en="Starter", name_ko="스타터")
    PlanPrice.objects.create(plan=plan, currency="usd", amount=1900)
    for i, slug in enumerate(["studio", "business"]):
        StylePack.objects.create(
            slug=slug, name_en=slug.title(), name_ko=f"스타일 {i}", prompt_template="{token}"
        )
    return plan


@pytest.fixture
def make_session(plan):
    """A session walked through the real transitions, holding originals, LoRA and portraits."""
    from generation.models import GenerationJob, Portrait, TrainingArtifact
    from sessions_app.models import PhotoSession, SourcePhoto, StylePack
    from sessions_app.services import session_create, session_transition

    path = [
        "awaiting_payment",
        "paid",
        "collecting_photos",
        "queued",
        "training",
        "generating",
        "delivered",
    ]

    def make(user, state="delivered", photos=3, files=True):
        s = session_create(user=user, plan=plan, styles=StylePack.objects.all()[:2], currency="usd")
        for step in path:
            if s.state == state:
                break
            s = session_transition(photo_session=s, to_state=step, cause="test setup")
        if not files:
            return PhotoSession.objects.get(pk=s.pk)
        for n in range(photos):
            body = f"photo {n} of {s.public_id}".encode()
            photo = SourcePhoto(
                photo_session=s, sha256=hashlib.sha256(body).hexdigest(), width=8, height=8
            )
            photo.image.save("x.jpg", ContentFile(body), save=False)
            photo.thumbnail.save("x.webp", ContentFile(b"thumb" + body), save=False)
            photo.save()
        for kind in ("latents", "lora"):
            art = TrainingArtifact(photo_session=s, kind=kind, sha256="0" * 64)
            art.file.save(
                f"{kind}.safetensors", ContentFile(b"weights-" + kind.encode()), save=False
            )
            art.save()
        style = StylePack.objects.first()
        # Portraits come from a finished generation job, as the gallery shows them.
        job = GenerationJob.objects.create(
            photo_session=s, kind=GenerationJob.Kind.GENERATION, state=GenerationJob.State.SUCCEEDED
        )
        portrait = Portrait(photo_session=s, style=style, job=job, index=0, seed=1)
        portrait.image.save("p.png", ContentFile(b"portrait"), save=False)
        portrait.preview.save("p.webp", ContentFile(b"preview"), save=False)
        portrait.save()
        return PhotoSession.objects.get(pk=s.pk)

    return make


def stored_files(prefix=""):
    """Every file name in the private storage (filesystem or S3), recursively."""
    from pictureus.storage import private_storage

    storage = private_storage()
    found = []

    def walk(path):
        dirs, files = storage.listdir(path)
        found.extend(f"{path}/{f}".lstrip("/") for f in files)
        for d in dirs:
            walk(f"{path}/{d}".lstrip("/"))

    try:
        walk(prefix)
    except FileNotFoundError:
        return []
    return found


def login(client, user, password="pw-Customer-123"):
    assert client.login(email=user.email, password=password)
    return client
