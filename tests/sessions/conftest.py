"""Fixtures for photo sessions: a catalogue, sessions in a given state, a current policy."""

import datetime

import pytest


@pytest.fixture
def plan(db):
    from sessions_app.models import Plan, PlanPrice, StylePack

    plan = Plan.objects.create(
        slug="starter", name_en="Starter", name_ko="스타터", styles_count=2, images_per_style=4
    )
    PlanPrice.objects.create(plan=plan, currency="usd", amount=1900)
    PlanPrice.objects.create(plan=plan, currency="krw", amount=25000)
    for i, slug in enumerate(["studio", "golden-hour", "business"]):
        StylePack.objects.create(
            slug=slug,
            name_en=slug.title(),
            name_ko=f"스타일 {i}",
            prompt_template="portrait of {token} {class_word}",
            order=i,
        )
    return plan


@pytest.fixture
def policy(db):
    from privacy.models import PolicyVersion

    # The published version the migrations seed, or one for a bare database.
    return PolicyVersion.current() or PolicyVersion.objects.create(
        kind="privacy",
        version="test-1",
        effective_date=datetime.date(2025, 1, 1),
        last_updated=datetime.date(2025, 1, 1),
    )


@pytest.fixture
def make_session(plan):
    """A session of `user` walked through the real transitions up to `state`."""
    from sessions_app.models import PhotoSession, StylePack
    from sessions_app.services import session_create, session_transition

    path = ["awaiting_payment", "paid", "collecting_photos", "queued", "training", "generating"]

    def make(user, state="draft", currency="usd"):
        s = session_create(
            user=user, plan=plan, styles=StylePack.objects.all()[:2], currency=currency
        )
        for step in path:
            if s.state == state:
                break
            s = session_transition(photo_session=s, to_state=step, cause="test setup")
        assert s.state == state
        return PhotoSession.objects.get(pk=s.pk)

    return make


def _free_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def localstripe_server(tmp_path_factory):
    """localstripe (plus recorded Checkout answers) as a subprocess: Stripe's HTTP edge."""
    import os
    import signal
    import socket
    import subprocess
    import sys
    import time
    from pathlib import Path

    port = _free_port()
    log = open(tmp_path_factory.mktemp("localstripe") / "log", "w")  # noqa: SIM115
    proc = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            str(Path(__file__).with_name("stripe_server.py")),
            "--port",
            str(port),
            "--from-scratch",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.1)
    else:
        os.killpg(proc.pid, signal.SIGTERM)
        raise RuntimeError("localstripe did not start")
    yield f"http://127.0.0.1:{port}"
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=30)


WEBHOOK_SECRET = "whsec_test_pictureus"  # noqa: S105 - a throwaway test secret


@pytest.fixture
def stripe_settings(settings, localstripe_server):
    settings.STRIPE_SECRET_KEY = "sk_test_pictureus"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = localstripe_server
    settings.PAYMENT_BACKEND = "stripe"
    return settings


@pytest.fixture
def local_payments(settings):
    """The local test backend: development only (DEBUG on, no Stripe key)."""
    settings.DEBUG = True
    settings.STRIPE_SECRET_KEY = ""
    settings.PAYMENT_BACKEND = "local"
    return settings


def sign(payload: bytes, *, secret=WEBHOOK_SECRET, timestamp=None) -> str:
    """A Stripe-Signature header, computed the way Stripe computes it."""
    import hashlib
    import hmac
    import time

    timestamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


@pytest.fixture
def minji(db):
    """A customer in Korea who reads the site in Korean."""
    from tests.conftest import make_customer

    return make_customer("minji@example.com", region="KR", language="ko")


@pytest.fixture
def customer_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def collecting_session(alice, make_session, policy, client):
    """Alice's session, paid, with face-photo consent given through the consent gate."""
    s = make_session(alice, "paid")
    client.force_login(alice)
    response = client.post(
        f"/en/sessions/{s.public_id}/consent/", {"face_photos": "on", "only_me": "on"}
    )
    assert response.status_code == 302
    s.refresh_from_db()
    assert s.state == "collecting_photos"
    return s


@pytest.fixture(autouse=True)
def private_dir(settings, tmp_path):
    """Each test gets its own private storage folder, so 'nothing stored' can be checked."""
    location = tmp_path / "private"
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(location), "base_url": None},
        },
    }
    return location
