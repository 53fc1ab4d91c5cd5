"""Back-office fixtures: staff in each role, and the rows a dashboard figure counts."""

import datetime

import pytest
from django.utils import timezone


def staff_in(group, email):
    from django.contrib.auth.models import Group

    from accounts.models import User

    user = User.objects.create_user(email=email, password="pw-Staff-123", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def support(db):
    """Support staff: sees sessions and jobs, never a privacy record."""
    return staff_in("Support", "support@example.com")


@pytest.fixture
def officer(db):
    return staff_in("Privacy officer", "po@example.com")


@pytest.fixture
def plan(db):
    from sessions_app.models import Plan, PlanPrice

    plan = Plan.objects.create(slug="starter", name_en="Starter", name_ko="스타터")
    PlanPrice.objects.create(plan=plan, currency="usd", amount=1900)
    return plan


@pytest.fixture
def make_session(plan):
    """A session in `state`, paid `paid_ago` ago when given (an order), delivered when given."""
    from sessions_app.models import Order, PhotoSession

    def make(user, state="queued", *, paid_ago=None, delivered_after=None, currency="usd"):
        photo_session = PhotoSession.objects.create(
            user=user, plan=plan, state=state, currency=currency, amount=1900
        )
        if paid_ago is not None:
            paid_at = timezone.now() - paid_ago
            Order.objects.create(
                photo_session=photo_session, backend="local", status="paid",
                currency=currency, amount=1900 if currency == "usd" else 25000, paid_at=paid_at,
            )  # fmt: skip
            if delivered_after is not None:
                photo_session.delivered_at = paid_at + delivered_after
                photo_session.save(update_fields=["delivered_at"])
        return photo_session

    return make


@pytest.fixture
def make_job():
    from generation.models import GenerationJob

    def make(photo_session, state, *, silent_for=None, finished_ago=None, queued_ago=None):
        now = timezone.now()
        job = GenerationJob.objects.create(
            photo_session=photo_session, kind="training", state=state, attempts=1
        )
        fields = {}
        if silent_for is not None:
            fields.update(started_at=now - silent_for, heartbeat_at=now - silent_for)
        if finished_ago is not None:
            fields.update(finished_at=now - finished_ago, error="CUDA out of memory")
        if queued_ago is not None:
            fields.update(enqueued_at=now - queued_ago)
        GenerationJob.objects.filter(pk=job.pk).update(**fields)
        job.refresh_from_db()
        return job

    return make


MINUTES = datetime.timedelta(minutes=1)
HOURS = datetime.timedelta(hours=1)
DAYS = datetime.timedelta(days=1)
