"""The operator's morning in the back office: the dashboard shows a stuck job, the operator
opens it from there, retries it, and sees the session delivered by a real worker."""

import datetime
import os
import re

import pytest
from django.utils import timezone

from generation.models import GenerationJob
from sessions_app import services as session_services
from sessions_app.checkout import WITHDRAWAL_TERMS_VERSION, WithdrawalAgreement
from sessions_app.models import Order, PhotoSession, StylePack
from tests.conftest import ROOT, make_customer, wait_for
from tests.generation.conftest import add_photos, gen_plan  # noqa: F401 - a fixture

pytestmark = [
    pytest.mark.browser,
    pytest.mark.ml,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "pw-Operator-123"


@pytest.fixture
def operator(transactional_db, language):
    from accounts.models import User

    return User.objects.create_superuser(
        email="operator@example.com",
        password=PASSWORD,
        display_name={"en": "Jordan", "ko": "지우"}[language],
        preferred_language=language,
    )


@pytest.fixture
def past_month(gen_plan):  # noqa: F811 - the fixture above
    """A month of paid and delivered sessions, so the charts have something to draw."""
    customer = make_customer("earlier@example.com")
    now = timezone.now()
    for day in range(1, 29, 2):
        for currency, amount in (("usd", 1900), ("krw", 25000))[: 1 + day % 2]:
            paid_at = now - datetime.timedelta(days=day, hours=2)
            photo_session = PhotoSession.objects.create(
                user=customer, plan=gen_plan, state="delivered", currency=currency,
                amount=amount, delivered_at=paid_at + datetime.timedelta(minutes=40 + day * 3),
            )  # fmt: skip
            Order.objects.create(
                photo_session=photo_session, backend="local", status="paid",
                currency=currency, amount=amount, paid_at=paid_at,
            )  # fmt: skip


@pytest.fixture
def stuck_job(gen_plan, language, settings):  # noqa: F811 - the fixture above
    """A session whose training job's worker was lost 40 minutes ago: silent, still 'running'.

    The session goes the customer's way through the services (paid, consent, photos, submitted),
    except that no worker ever reported on its job."""
    settings.DEBUG = True  # the clearly marked local payment backend
    customer = make_customer(f"minjun-{language}@example.com", region="KR", language=language)
    photo_session = session_services.session_create(
        user=customer, plan=gen_plan, styles=StylePack.objects.all(), currency="usd"
    )
    order = session_services.order_checkout_start(
        photo_session=photo_session,
        success_url="http://x/",
        cancel_url="http://x/",
        agreement=WithdrawalAgreement(version=WITHDRAWAL_TERMS_VERSION, language=language),
    )
    session_services.local_payment_complete(order=order)
    photo_session = session_services.session_consent_give(
        photo_session=PhotoSession.objects.get(pk=photo_session.pk),
        face_photos=True, model_improvement=False, marketing_likeness=False,
    )  # fmt: skip
    add_photos(photo_session, 10)
    silent_since = timezone.now() - datetime.timedelta(minutes=40)
    job = GenerationJob.objects.create(
        photo_session=photo_session, kind="training", state="running", attempts=1,
        progress_total=20, progress_done=7, worker="gpu0@10.0.0.7",
        started_at=silent_since, heartbeat_at=silent_since, enqueued_at=silent_since,
    )  # fmt: skip
    for state, cause in (("queued", "submitted by customer"), ("training", "training started")):
        photo_session = session_services.session_transition(
            photo_session=photo_session, to_state=state, cause=cause
        )
    return job


def screenshot_for_readme(page, language):
    # PICTUREUS_SCREENSHOTS=docs/screenshots refreshes the README's pictures of the dashboard.
    target = os.environ.get("PICTUREUS_SCREENSHOTS")
    if target:
        path = ROOT / target / f"backoffice-dashboard-{language}.png"
        page.screenshot(path=str(path), full_page=True)


def test_operator_finds_a_stuck_job_on_the_dashboard_retries_it_and_sees_it_delivered(
    open_visit, operator, stuck_job, past_month, celery_worker, language
):
    photo_session = stuck_job.photo_session
    visit = open_visit(language, width=1280, height=1000)
    # Worker names are data (the host they run on), shown as they are in both languages.
    visit.allow |= set(re.findall(r"[A-Za-z]+", os.uname().nodename))
    visit.allow |= {"test"}

    visit.at("log in")
    page = visit.goto(f"/{language}/backoffice/")
    page.fill("#id_username", operator.email)
    page.fill("#id_password", PASSWORD)
    page = visit.submit(page.locator("#login-form [type=submit]"))

    visit.at("the dashboard")
    stuck = page.locator("#part-now li.bo-figure.bo-alert a[href*='stuck=yes']")
    assert stuck.locator(".bo-value").inner_text() == "1"
    screenshot_for_readme(page, language)

    visit.at("the stuck job")
    page = visit.click(stuck)
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    assert rows.first.locator(f"a[href*='/generationjob/{stuck_job.pk}/change/']").count() == 1

    visit.at("retry it")
    rows.first.locator("input.action-select").check()
    page.select_option("select[name=action]", "retry_jobs")
    page = visit.submit(page.locator("button[name=index]"))
    assert page.locator(".messagelist .success").count() == 1

    def delivered():
        photo_session.refresh_from_db()
        assert photo_session.state not in ("failed", "refunded"), celery_worker.log()[-3000:]
        return photo_session.state == "delivered"

    wait_for(delivered, timeout=300, message="the retried session to be delivered")

    visit.at("delivered")
    page = visit.goto(f"/{language}/backoffice/")
    assert page.locator("#part-now a[href*='stuck=yes'] .bo-value").inner_text() == "0"
    page = visit.click(page.locator("#part-now a[href$='state__exact=delivered']"))
    assert page.locator(f"#result_list a:text-is('{photo_session.public_id}')").count() == 1

    visit.at("the session's story")
    page = visit.click(page.locator(f"#result_list a:text-is('{photo_session.public_id}')"))
    timeline = page.locator(".bo-story").inner_text()
    stuck_job.refresh_from_db()
    assert stuck_job.state == "succeeded" and f"#{stuck_job.pk}" in timeline
    assert page.locator(".bo-story tr.bo-alert").count() == 0  # nothing stuck or failed now
