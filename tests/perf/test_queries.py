"""Pages cost the same number of queries however many sessions or portraits they show."""

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

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


def queries_for(client, url):
    client.get(url)  # the first request fills per-process caches (content types, sites)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


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
