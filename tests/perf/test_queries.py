"""Pages cost the same number of queries however many sessions or portraits they show."""

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pictureus.pagecache import retire_cached_pages
from sessions_app.models import PhotoSession, Plan, StylePack


@pytest.fixture
def catalogue(db):
    call_command("load_demo", stdout=io.StringIO())


def add_sessions(user, count):
    plan = Plan.objects.get(slug="starter")
    styles = list(StylePack.objects.all()[:2])
    states = [value for value, _ in PhotoSession.State.choices]
    for i in range(count):
        photo_session = PhotoSession.objects.create(
            user=user, plan=plan, state=states[i % len(states)], currency="usd", amount=1900
        )
        photo_session.styles.set(styles)


def queries_for(client, url) -> tuple[int, int]:
    """Queries for the page rendered afresh, then for the same page served from the cache."""
    client.get(url)  # the first request fills per-process caches (content types, sites)
    retire_cached_pages()  # the next view renders
    counts = []
    for _ in ("rendered", "cached"):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200
        counts.append(len(captured.captured_queries))
    rendered, cached = counts
    assert cached < rendered, url
    return rendered, cached


@pytest.mark.parametrize("language", ["en", "ko"])
def test_the_dashboard_costs_the_same_queries_for_a_few_or_50_sessions(
    client, alice, catalogue, language
):
    client.force_login(alice)
    add_sessions(alice, len(PhotoSession.State.choices))
    few = queries_for(client, f"/{language}/sessions/")
    add_sessions(alice, 50 - len(PhotoSession.State.choices))
    assert PhotoSession.objects.filter(user=alice).count() == 50
    assert queries_for(client, f"/{language}/sessions/") == few


def test_the_home_page_costs_the_same_queries_whatever_the_catalogue(client, catalogue):
    few = queries_for(client, "/en/")
    for i in range(10):
        StylePack.objects.create(
            slug=f"extra-{i}", name_en=f"Extra {i}", name_ko=f"추가 {i}", prompt_template="{token}"
        )
    assert queries_for(client, "/en/") == few


def add_portraits(photo_session, count, start=0):
    from django.core.files.base import ContentFile

    from generation.models import GenerationJob, Portrait

    # The gallery shows what a finished generation job made.
    job, _ = GenerationJob.objects.get_or_create(
        photo_session=photo_session,
        kind=GenerationJob.Kind.GENERATION,
        state=GenerationJob.State.SUCCEEDED,
    )
    styles = list(photo_session.styles.all())
    for i in range(start, start + count):
        portrait = Portrait(
            photo_session=photo_session,
            job=job,
            style=styles[i % len(styles)],
            index=i // len(styles),
            seed=i,
            width=64,
            height=64,
        )
        portrait.image.save(f"{i}.png", ContentFile(b"not read by the page"), save=False)
        portrait.preview.save(f"{i}.webp", ContentFile(b"not read by the page"), save=False)
        portrait.save()


def test_the_gallery_costs_the_same_queries_for_10_or_100_portraits(client, alice, bob, catalogue):
    from django.utils import timezone

    photo_session = PhotoSession.objects.create(
        user=alice,
        plan=Plan.objects.get(slug="starter"),
        state=PhotoSession.State.DELIVERED,
        currency="usd",
        amount=1900,
        delivered_at=timezone.now(),
        state_changed_at=timezone.now(),
    )
    photo_session.styles.set(StylePack.objects.all()[:2])
    url = f"/en/studio/{photo_session.public_id}/"
    add_portraits(photo_session, 10)
    client.force_login(alice)
    few = queries_for(client, url)
    assert client.get(url).content.count(b"<img") >= 10
    add_portraits(photo_session, 90, start=10)
    assert queries_for(client, url) == few
    client.force_login(bob)
    assert client.get(url).status_code == 404


def add_business(user, count):
    """Sessions in every state with paid orders over the month, jobs in every state, requests
    with deadlines: what each figure of the back office's dashboard counts."""
    import datetime

    from django.utils import timezone

    from generation.models import GenerationJob
    from privacy.services import dsr_create
    from sessions_app.models import Order

    add_sessions(user, count)
    now = timezone.now()
    jobs = [value for value, _ in GenerationJob.State.choices]
    for i, photo_session in enumerate(
        PhotoSession.objects.filter(user=user).order_by("-pk")[:count]
    ):
        Order.objects.create(
            photo_session=photo_session, backend="local", status="paid", currency="usd",
            amount=1900, paid_at=now - datetime.timedelta(days=i % 30, hours=3),
        )  # fmt: skip
        GenerationJob.objects.create(
            photo_session=photo_session, kind="training", state=jobs[i % 5]
        )
        dsr_create(type="access", channel="visitor", email=f"r{i}@example.com", region="US")


@pytest.mark.parametrize("language", ["en", "ko"])
def test_the_back_office_dashboard_costs_the_same_queries_for_a_few_or_60_sessions(
    client, staff, alice, catalogue, language
):
    client.force_login(staff)
    add_business(alice, 6)
    url = f"/{language}/backoffice/"
    client.get(url)  # per-process caches (content types, permissions)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    add_business(alice, 54)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)
