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

    return PolicyVersion.objects.create(
        kind="privacy",
        version="1.0",
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
