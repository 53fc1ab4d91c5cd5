"""Generation fixtures: a tiny-model plan, paid sessions with face-like photos, worker helpers."""

import hashlib
import io
import random

import pytest
from PIL import Image, ImageDraw


def face_image(seed: int, size=(96, 112)) -> tuple[bytes, list[int]]:
    """A small face-like JPEG (skin oval, eyes, mouth on a background) and its face box."""
    rng = random.Random(seed)
    bg = tuple(rng.randrange(40, 200) for _ in range(3))
    image = Image.new("RGB", size, bg)
    draw = ImageDraw.Draw(image)
    w, h = size
    x0, y0 = w // 4 + rng.randrange(-4, 5), h // 5 + rng.randrange(-4, 5)
    x1, y1 = x0 + w // 2, y0 + int(h * 0.55)
    draw.ellipse((x0, y0, x1, y1), fill=(224, 180, 150))
    ey = y0 + (y1 - y0) // 3
    for ex in (x0 + (x1 - x0) // 3, x0 + 2 * (x1 - x0) // 3):
        draw.ellipse((ex - 4, ey - 3, ex + 4, ey + 3), fill=(40, 30, 30))
    draw.arc((x0 + 12, y0 + (y1 - y0) // 2, x1 - 12, y1 - 8), 20, 160, fill=(150, 50, 60), width=3)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue(), [x0, y0, x1 - x0, y1 - y0]


def add_photos(photo_session, count: int, *, seed: int = 0):
    """Accepted photos written straight to the private storage (not the upload pipeline)."""
    from django.core.files.base import ContentFile

    from sessions_app.models import SourcePhoto

    photos = []
    for i in range(count):
        data, box = face_image(seed * 1000 + i)
        photo = SourcePhoto(
            photo_session=photo_session,
            sha256=hashlib.sha256(data).hexdigest(),
            width=96,
            height=112,
            face_box=box,
            sharpness=100.0,
        )
        photo.image.save("photo.jpg", ContentFile(data), save=False)
        photo.save()
        photos.append(photo)
    return photos


@pytest.fixture
def gen_plan(db):
    """A plan for the tiny model: 32 px, rank 4, a high learning rate so the LoRA shows."""
    from sessions_app.models import Plan, PlanPrice, StylePack

    plan = Plan.objects.create(
        slug="tiny",
        name_en="Tiny",
        name_ko="작은",
        styles_count=2,
        images_per_style=2,
        lora_rank=4,
        train_steps=20,
        learning_rate=2e-2,
        resolution=32,
    )
    PlanPrice.objects.create(plan=plan, currency="usd", amount=1900)
    for i, slug in enumerate(["studio", "outdoor"]):
        StylePack.objects.create(
            slug=slug,
            name_en=slug.title(),
            name_ko=f"스타일 {i}",
            prompt_template="a {token} {class_word} portrait, " + slug,
            negative_prompt="blurry",
            order=i,
        )
    return plan


@pytest.fixture
def paid_session(gen_plan, settings):
    """make(user, photos=10): a paid session with consent and accepted photos, not yet queued."""
    from privacy.services import consent_record
    from sessions_app import services as ss
    from sessions_app.checkout import WITHDRAWAL_TERMS_VERSION, WithdrawalAgreement
    from sessions_app.models import PhotoSession, StylePack

    # The local test payment backend (what `make run` uses) is refused under DEBUG=0.
    settings.DEBUG = True

    def make(user, *, photos=10, seed=0, **plan_changes):
        if plan_changes:
            for key, value in plan_changes.items():
                setattr(gen_plan, key, value)
            gen_plan.save()
        session = ss.session_create(
            user=user, plan=gen_plan, styles=StylePack.objects.all(), currency="usd"
        )
        order = ss.order_checkout_start(
            photo_session=session,
            success_url="http://x/",
            cancel_url="http://x/",
            agreement=WithdrawalAgreement(version=WITHDRAWAL_TERMS_VERSION, language="en"),
        )
        ss.local_payment_complete(order=order)
        session = PhotoSession.objects.get(pk=session.pk)
        if session.state == "paid":
            ss.session_transition(
                photo_session=session, to_state="collecting_photos", cause="test setup"
            )
        consent_record(
            user=user, purpose="face_photos", granted=True, method="form", photo_session=session
        )
        add_photos(session, photos, seed=seed)
        return PhotoSession.objects.get(pk=session.pk)

    return make


def submit(photo_session):
    from generation.services.jobs import session_submit

    return session_submit(photo_session=photo_session, actor=photo_session.user)


def state_of(photo_session):
    photo_session.refresh_from_db()
    return photo_session.state


@pytest.fixture(scope="session")
def folders(tmp_path_factory):
    """The tiny SD and SDXL models as diffusers folders."""
    from generation.pipeline import tiny

    root = tmp_path_factory.mktemp("base-models")
    tiny.build(root / "sd")
    tiny.build_sdxl(root / "sdxl")
    return {"sd": root / "sd", "sdxl": root / "sdxl"}
