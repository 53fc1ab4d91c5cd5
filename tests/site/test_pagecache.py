"""Pages served from the cache: as fresh as the data, one visitor's never shown to another."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from pictureus.pagecache import CSRF_PLACEHOLDER


def csrf_token_in(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def test_the_home_page_comes_from_the_cache_and_shows_a_new_price_once_saved(
    client, catalogue, django_capture_on_commit_callbacks
):
    from sessions_app.models import PlanPrice

    assert "$19" in client.get("/en/").content.decode()
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/en/").status_code == 200
    assert len(queries) == 0

    price = PlanPrice.objects.get(plan__slug="starter", currency="usd")
    price.amount = 2300
    with django_capture_on_commit_callbacks(execute=False) as on_commit:
        price.save()
        # Until the change is committed, no page is retired: one rendered now would hold the
        # old price under the new version.
        assert "$19" in client.get("/en/").content.decode()
    for callback in on_commit:
        callback()
    html = client.get("/en/").content.decode()
    assert "$23" in html and "$19" not in html


def test_each_visitor_posts_with_their_own_token_from_a_cached_page(catalogue):
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first_page = first.get("/en/").content.decode()
    second_page = second.get("/en/").content.decode()  # from the cache
    assert CSRF_PLACEHOLDER not in first_page + second_page
    choice = {"choice": "reject", "next": "/en/"}

    # The other visitor's token does not match this browser's CSRF cookie.
    refused = second.post("/en/privacy/cookies/", {**choice, "csrfmiddlewaretoken": "x" * 64})
    assert refused.status_code == 403
    for visitor, page in ((first, first_page), (second, second_page)):
        response = visitor.post(
            "/en/privacy/cookies/", {**choice, "csrfmiddlewaretoken": csrf_token_in(page)}
        )
        assert response.status_code == 302


def test_a_visitor_who_chose_cookies_no_longer_gets_the_banner_from_the_cache(client, catalogue):
    assert "cookie-banner" in client.get("/en/").content.decode()
    client.post("/en/privacy/cookies/", {"choice": "accept", "next": "/en/"})
    assert "cookie-banner" not in client.get("/en/").content.decode()
    assert "cookie-banner" in Client().get("/en/").content.decode()


def test_a_message_is_shown_once_and_never_kept_in_the_cache(client, alice, catalogue):
    client.get("/en/")
    client.force_login(alice)
    client.post("/en/accounts/logout/")
    assert "You are logged out. See you soon." in client.get("/en/").content.decode()
    assert "You are logged out. See you soon." not in client.get("/en/").content.decode()


def test_a_customers_dashboard_follows_their_sessions(client, alice, catalogue):
    from sessions_app.services import session_transition

    client.force_login(alice)
    assert "No sessions yet" in client.get("/en/sessions/").content.decode()
    photo_session = new_session(alice)
    html = client.get("/en/sessions/").content.decode()
    assert str(photo_session.public_id) in html and "Draft" in html
    session_transition(photo_session=photo_session, to_state="awaiting_payment", cause="test")
    assert "Awaiting payment" in client.get("/en/sessions/").content.decode()


def test_a_cached_dashboard_is_never_shown_to_another_customer(client, alice, bob, catalogue):
    from sessions_app.models import PhotoSession

    alices, bobs = new_session(alice), new_session(bob)
    # The same count and the same last change: only who is looking tells the pages apart.
    PhotoSession.objects.update(updated_at=alices.updated_at)
    client.force_login(alice)
    assert str(alices.public_id) in client.get("/en/sessions/").content.decode()
    client.force_login(bob)
    html = client.get("/en/sessions/").content.decode()
    assert str(bobs.public_id) in html and str(alices.public_id) not in html


def new_session(user):
    from sessions_app.models import Plan, StylePack
    from sessions_app.services import session_create

    return session_create(
        user=user,
        plan=Plan.objects.get(slug="starter"),
        styles=StylePack.objects.all()[:2],
        currency="usd",
    )


def test_the_signed_in_user_is_loaded_whole_and_only_while_active(alice):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.backends import ModelBackend as DjangoModelBackend

    from accounts.backends import AuthenticationBackend, ModelBackend

    user_model = get_user_model()
    expected = DjangoModelBackend().get_user(alice.pk)
    for backend in (ModelBackend(), AuthenticationBackend()):
        user = backend.get_user(alice.pk)
        for field in user_model._meta.concrete_fields:
            assert getattr(user, field.attname) == getattr(expected, field.attname), field.name
        assert backend.get_user(alice.pk + 1000) is None
    user_model.objects.filter(pk=alice.pk).update(is_active=False)
    assert ModelBackend().get_user(alice.pk) is None


@pytest.mark.django_db
def test_statements_asked_on_every_view_are_planned_once_per_connection():
    from pictureus.db import prepared_cursor

    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's; other databases plan every time")
    statement = "SELECT COUNT(*) FROM django_content_type WHERE app_label = %s"
    for _ in range(connection.settings_dict["OPTIONS"]["prepare_threshold"] + 1):
        with prepared_cursor() as cursor:
            cursor.execute(statement, ["sessions_app"])
            assert cursor.fetchone()[0] > 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any("FROM django_content_type WHERE app_label = $1" in s for s in prepared), prepared


def _cached_pages() -> int:
    """How many rendered pages the cache holds (Redis in CI, files on a laptop)."""
    from pathlib import Path

    from django.conf import settings
    from django.core.cache import cache

    if hasattr(cache, "keys"):  # django-redis
        return len(cache.keys("pagecache:*"))
    return sum(1 for _ in Path(settings.CACHES["default"]["LOCATION"]).glob("*.djcache"))


def test_made_up_query_strings_never_fill_the_cache(client, catalogue):
    from django.core.cache import cache

    cache.clear()
    client.get("/en/")  # the page itself, cached once
    before = _cached_pages()
    for n in range(30):
        response = client.get(f"/en/?utm_source=x{n}&q={n}")
        assert response.status_code == 200 and "$19" in response.content.decode()
    assert _cached_pages() == before
    with CaptureQueriesContext(connection) as queries:
        client.get("/en/?ref=ad")
    assert len(queries) > 0, "rendered, not served from someone's cached copy"
    with CaptureQueriesContext(connection) as queries:
        client.get("/en/")
    assert len(queries) == 0, "the page without a query string is still cached"
