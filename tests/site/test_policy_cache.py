"""What the policy page and the gallery show about processors and retention is never stale.

Both pages are served from the page cache (the cache backend the test settings configure, not a
dummy one). A processor or a retention period changed in the back office or in code must show on
the very next view, in both languages.
"""

import datetime
import re

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.formats import date_format

from privacy.models import Processor, RetentionPolicy
from tests.conftest import day_on_their_calendar

from .helpers import page_text

pytestmark = pytest.mark.django_db

PROCESSOR_FIELDS = [
    "name_en",
    "name_ko",
    "purpose_en",
    "purpose_ko",
    "location_en",
    "location_ko",
    "transfer_safeguard_en",
    "transfer_safeguard_ko",
    "order",
]


@pytest.fixture
def officer(db):
    """The privacy officer: the role that keeps processors and retention periods (P24)."""
    from django.contrib.auth.models import Group

    from accounts.models import User

    user = User.objects.create_user(email="po@example.com", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name="Privacy officer"))
    return user


@pytest.fixture
def back_office(officer):
    client = Client()
    client.force_login(officer)
    return client


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what waits for the commit, as the end of a real request or transaction does."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def policy_pages(visitor) -> dict:
    """Both policy pages as a visitor sees them, and proof that the cache now holds them."""
    pages = {lang: page_text(visitor.get(f"/{lang}/privacy/")) for lang in ("en", "ko")}
    for lang in pages:
        with CaptureQueriesContext(connection) as queries:
            assert page_text(visitor.get(f"/{lang}/privacy/")) == pages[lang]
        assert len(queries) == 0, f"/{lang}/privacy/ was not served from the page cache"
    return pages


def processor_form(processor, **changes) -> dict:
    data = {field: getattr(processor, field) for field in PROCESSOR_FIELDS}
    data.update(active="on" if processor.active else "")
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def list_form(back_office, *, untick) -> dict:
    """The processor list's editable rows as the page shows them, with one "active" unticked."""
    html = back_office.get("/en/backoffice/privacy/processor/").content.decode()
    ids = re.findall(r'name="form-(\d+)-id" value="(\d+)"', html)
    data = {
        "form-TOTAL_FORMS": str(len(ids)),
        "form-INITIAL_FORMS": str(len(ids)),
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
        "_save": "Save",
    }
    for index, pk in ids:
        processor = Processor.objects.get(pk=pk)
        data[f"form-{index}-id"] = pk
        data[f"form-{index}-order"] = str(processor.order)
        if processor.active and processor != untick:
            data[f"form-{index}-active"] = "on"
    return data


@pytest.mark.promise("P18")
@pytest.mark.promise("P19")
def test_a_processor_edited_in_the_back_office_shows_on_the_cached_policy_page_at_once(
    client, back_office, committed
):
    stripe = Processor.objects.get(name_en="Stripe")
    before = policy_pages(client)
    assert "Stripe" in before["en"] and "United States" in before["en"]
    assert "표준계약조항(SCC)" in before["ko"]

    edit = processor_form(
        stripe,
        name_en="Stripe Payments Europe",
        name_ko="스트라이프 페이먼츠 유럽",
        location_en="Ireland",
        location_ko="아일랜드",
        transfer_safeguard_en="Adequacy decision",
        transfer_safeguard_ko="적정성 결정",
    )
    with committed():
        response = back_office.post(f"/en/backoffice/privacy/processor/{stripe.pk}/change/", edit)
    assert response.status_code == 302, response.content.decode()[:2000]
    pages = policy_pages(client)
    assert "Stripe Payments Europe" in pages["en"]
    assert "Ireland" in pages["en"] and "Adequacy decision" in pages["en"]
    assert "스트라이프 페이먼츠 유럽" in pages["ko"]
    assert "아일랜드" in pages["ko"] and "적정성 결정" in pages["ko"]

    added = {
        "name_en": "Inference Cloud Ltd",
        "name_ko": "인퍼런스 클라우드",
        "purpose_en": "GPU time for training and generation",
        "purpose_ko": "학습과 생성을 위한 GPU 연산",
        "location_en": "Japan",
        "location_ko": "일본",
        "transfer_safeguard_en": "Standard Contractual Clauses",
        "transfer_safeguard_ko": "표준계약조항(SCC)",
        "active": "on",
        "order": "9",
    }
    with committed():
        response = back_office.post("/en/backoffice/privacy/processor/add/", added)
    assert response.status_code == 302, response.content.decode()[:2000]
    pages = policy_pages(client)
    assert "Inference Cloud Ltd" in pages["en"] and "Japan" in pages["en"]
    assert "인퍼런스 클라우드" in pages["ko"] and "일본" in pages["ko"]

    # Deactivated with the list's "active" tick box: off the page, its row kept on record.
    aws = Processor.objects.get(name_en="Amazon Web Services")
    with committed():
        response = back_office.post(
            "/en/backoffice/privacy/processor/", list_form(back_office, untick=aws)
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Processor.objects.filter(pk=aws.pk, active=False).exists()
    pages = policy_pages(client)
    assert "Amazon Web Services" not in pages["en"] + pages["ko"]
    assert "Inference Cloud Ltd" in pages["en"] and "Stripe Payments Europe" in pages["en"]


@pytest.mark.promise("P18")
@pytest.mark.promise("P19")
def test_a_processor_changed_in_code_shows_on_the_cached_policy_page_at_once(client, committed):
    policy_pages(client)
    with committed():
        added = Processor.objects.create(
            name_en="Support Desk Inc", purpose_en="Answering support requests",
            purpose_ko="지원 요청 응대", location_en="Canada", location_ko="캐나다",
            transfer_safeguard_en="Adequacy decision", transfer_safeguard_ko="적정성 결정",
        )  # fmt: skip
    pages = policy_pages(client)
    assert "Support Desk Inc" in pages["en"] and "Canada" in pages["en"]
    assert "캐나다" in pages["ko"]

    with committed():
        added.location_en, added.location_ko = "United Kingdom", "영국"
        added.transfer_safeguard_en = "UK International Data Transfer Agreement"
        added.save()
    pages = policy_pages(client)
    assert "United Kingdom" in pages["en"] and "Canada" not in pages["en"]
    assert "UK International Data Transfer Agreement" in pages["en"] and "영국" in pages["ko"]

    with committed():
        added.active = False
        added.save()
    assert "Support Desk Inc" not in policy_pages(client)["en"]

    with committed():
        Processor.objects.filter(name_en="Email delivery provider").delete()
    pages = policy_pages(client)
    assert "Email delivery provider" not in pages["en"] and "Stripe" in pages["en"]


@pytest.mark.promise("P18")
@pytest.mark.promise("P19")
def test_a_processor_changed_by_a_data_migration_shows_at_once(client, committed):
    from django.core.management import call_command
    from django.db.migrations.executor import MigrationExecutor

    policy_pages(client)
    # A data migration saves through the historical model, which sends the app no signal.
    historical = MigrationExecutor(connection).loader.project_state().apps
    stripe = historical.get_model("privacy", "Processor").objects.get(name_en="Stripe")
    stripe.location_en, stripe.transfer_safeguard_en = "Ireland", "Adequacy decision"
    stripe.save()
    with committed():
        call_command("migrate", verbosity=0)
    page = policy_pages(client)["en"]
    assert "Ireland" in page and "Adequacy decision" in page


# --- retention periods: the deletion dates in the (cached) gallery ----------------------------


@pytest.fixture
def delivered(alice):
    """Alice's delivered session with one portrait: its gallery shows the deletion dates."""
    from generation.models import GenerationJob, Portrait
    from sessions_app.models import Plan, PlanPrice, StylePack
    from sessions_app.services import session_create, session_transition

    plan = Plan.objects.create(slug="starter", name_en="Starter", name_ko="스타터")
    PlanPrice.objects.create(plan=plan, currency="usd", amount=1900)
    style = StylePack.objects.create(
        slug="studio", name_en="Studio", name_ko="스튜디오", prompt_template="{token}"
    )
    photo_session = session_create(user=alice, plan=plan, styles=[style], currency="usd")
    for state in ("awaiting_payment", "paid", "collecting_photos", "queued", "training"):
        session_transition(photo_session=photo_session, to_state=state, cause="test setup")
    session_transition(photo_session=photo_session, to_state="generating", cause="test setup")
    photo_session = session_transition(
        photo_session=photo_session, to_state="delivered", cause="test setup"
    )
    job = GenerationJob.objects.create(
        photo_session=photo_session,
        kind=GenerationJob.Kind.GENERATION,
        state=GenerationJob.State.SUCCEEDED,
    )
    portrait = Portrait(photo_session=photo_session, style=style, job=job, index=0, seed=1)
    portrait.image.save("p.png", ContentFile(b"portrait"), save=False)
    portrait.preview.save("p.webp", ContentFile(b"preview"), save=False)
    portrait.save()
    photo_session.refresh_from_db()
    return photo_session


def deletion_dates_shown(client, photo_session, days: dict, *, not_after: tuple = ()) -> None:
    """The gallery, in both languages, shows the dates `days` after delivery (and none of the
    dates `not_after` days after it), and is then served from the cache."""

    def on(lang, period):
        when = photo_session.delivered_at + datetime.timedelta(days=period)
        with translation.override(lang):
            return date_format(day_on_their_calendar(photo_session.user, when), "DATE_FORMAT")

    for lang in ("en", "ko"):
        url = f"/{lang}/studio/{photo_session.public_id}/"
        text = page_text(client.get(url))
        for period in days.values():
            assert on(lang, period) in text, (lang, period)
        for period in not_after:
            assert on(lang, period) not in text, (lang, period)
        # The next view comes from the cache: the retention periods are not even read.
        with CaptureQueriesContext(connection) as queries:
            assert page_text(client.get(url)) == text
        assert not [q for q in queries if RetentionPolicy._meta.db_table in (q["sql"] or "")]


def retention_periods_shown(visitor, category) -> dict:
    """The policy pages' row for one kind of data, as text, in both languages (then cached)."""
    policy_pages(visitor)
    rows = {}
    for lang in ("en", "ko"):
        html = visitor.get(f"/{lang}/privacy/").content.decode()
        row = re.search(rf'<tr data-retention="{category}">(.*?)</tr>', html, re.S)
        assert row, f"/{lang}/privacy/ shows no retention period for {category}"
        rows[lang] = re.sub(r"<[^>]+>", " ", row.group(1))
    return rows


def days_in(rows: dict, days: int) -> bool:
    # Not \b: in "90일" the digits run straight into a Korean word character.
    found = [bool(re.search(rf"(?<!\d){days}(?!\d)", text)) for text in rows.values()]
    assert len(set(found)) == 1, rows
    return found[0]


@pytest.mark.promise("P09")
def test_a_retention_period_changed_in_the_back_office_shows_at_once_where_it_is_shown(
    client, alice, delivered, back_office, committed
):
    visitor = Client()
    assert days_in(retention_periods_shown(visitor, "deliverables"), 90)
    client.force_login(alice)
    deletion_dates_shown(client, delivered, {"originals": 30, "deliverables": 90})
    policy = RetentionPolicy.objects.get(category="deliverables")
    form = {
        "category": policy.category,
        "period_days": "60",
        "counts_from": policy.counts_from,
        "reminder_days": policy.reminder_days,
        "description": policy.description,
    }
    with committed():
        response = back_office.post(
            f"/en/backoffice/privacy/retentionpolicy/{policy.pk}/change/", form
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    shown = retention_periods_shown(visitor, "deliverables")
    assert days_in(shown, 60) and not days_in(shown, 90)
    deletion_dates_shown(client, delivered, {"originals": 30, "deliverables": 60}, not_after=(90,))


@pytest.mark.promise("P09")
def test_a_retention_period_changed_in_code_shows_at_once_where_it_is_shown(
    client, alice, delivered, committed
):
    visitor = Client()
    assert days_in(retention_periods_shown(visitor, "originals"), 30)
    client.force_login(alice)
    deletion_dates_shown(client, delivered, {"originals": 30, "deliverables": 90})
    # Originals and the model trained on them go together (P08); the gallery may show both.
    with committed():
        for policy in RetentionPolicy.objects.filter(
            category__in=["originals", "training_artifacts"]
        ):
            policy.period_days = 14
            policy.save()
    shown = retention_periods_shown(visitor, "originals")
    assert days_in(shown, 14) and not days_in(shown, 30)
    deletion_dates_shown(client, delivered, {"originals": 14, "deliverables": 90}, not_after=(30,))
