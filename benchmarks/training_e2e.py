"""Helper of benchmarks/training.py: one session from queued to delivered on a running worker.

Run by training.py against its scratch database (the environment names it); prints
"E2E <seconds>" measured from the session's `queued` transition to its `delivered` one.
"""

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pictureus.settings")
os.environ["DEBUG"] = "1"

import django  # noqa: E402

django.setup()

from accounts.models import User  # noqa: E402
from generation import services as gs  # noqa: E402
from privacy.services import consent_record  # noqa: E402
from sessions_app import services as ss  # noqa: E402
from sessions_app.checkout import WITHDRAWAL_TERMS_VERSION, WithdrawalAgreement  # noqa: E402
from sessions_app.models import PhotoSession, Plan, PlanPrice, StylePack  # noqa: E402
from tests.generation.conftest import add_photos  # noqa: E402


def main():
    user = User.objects.create_user(email=f"bench-{time.time_ns()}@example.com", password=None)
    plan = Plan.objects.create(
        slug=f"bench-{time.time_ns()}", name_en="Bench", name_ko="벤치", images_per_style=4
    )
    PlanPrice.objects.create(plan=plan, currency="usd", amount=1900)
    styles = [
        StylePack.objects.create(
            slug=f"{name}-{time.time_ns()}",
            name_en=name,
            name_ko=name,
            prompt_template="a photo of {token} {class_word}, " + name,
            negative_prompt="blurry",
        )
        for name in ("studio", "outdoor")
    ]
    session = ss.session_create(user=user, plan=plan, styles=styles, currency="usd")
    agreement = WithdrawalAgreement(version=WITHDRAWAL_TERMS_VERSION, language="en")
    order = ss.order_checkout_start(
        photo_session=session, success_url="x", cancel_url="x", agreement=agreement
    )
    ss.local_payment_complete(order=order)
    session = PhotoSession.objects.get(pk=session.pk)
    if session.state == "paid":
        ss.session_transition(photo_session=session, to_state="collecting_photos", cause="bench")
    consent_record(
        user=user, purpose="face_photos", granted=True, method="form", photo_session=session
    )
    add_photos(session, 10)
    gs.session_submit(photo_session=session, actor=user)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        session.refresh_from_db()
        if session.state == "delivered":
            break
        if session.state in ("failed", "refunded"):
            raise SystemExit(f"session {session.state}: {session.failure_reason}")
        time.sleep(0.25)
    else:
        raise SystemExit("the session was not delivered in 10 minutes")
    times = dict(session.transitions.values_list("to_state", "created_at"))
    print(f"E2E {(times['delivered'] - times['queued']).total_seconds():.2f}")


if __name__ == "__main__":
    main()
