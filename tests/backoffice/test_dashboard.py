"""The operations dashboard: the back office's index, figures linking to the lists behind them,
counts and rates only (P07), in both languages, for staff only."""

import datetime
import re

import pytest
from django.utils import timezone

from tests.site.helpers import page_text

from .conftest import DAYS, HOURS, MINUTES

pytestmark = pytest.mark.django_db


def figure(html, label):
    """The value and link of the dashboard tile labelled `label`."""
    match = re.search(
        r'<li class="bo-figure[^"]*">\s*(?:<a href="([^"]*)">)?<span class="bo-value">([^<]*)'
        r'</span> <span class="bo-label">' + re.escape(label) + "</span>",
        html,
    )
    assert match, f"no figure {label!r}"
    return match.group(2).strip(), (match.group(1) or "").replace("&amp;", "&")


def job_link(job):
    return f"/backoffice/generation/generationjob/{job.pk}/change/"


@pytest.fixture
def busy_day(alice, bob, make_session, make_job):
    """A day's work: sessions in several states, jobs healthy, stuck and failed, and a failed
    session with no refund. Returns the jobs by name."""
    healthy = make_job(make_session(alice, "training"), "running", silent_for=MINUTES)
    stuck = make_job(make_session(bob, "training"), "running", silent_for=40 * MINUTES)
    failed = make_job(make_session(bob, "failed"), "failed", finished_ago=2 * HOURS)
    old_failure = make_job(make_session(alice, "failed"), "failed", finished_ago=3 * DAYS)
    return {"healthy": healthy, "stuck": stuck, "failed": failed, "old_failure": old_failure}


def test_the_dashboard_is_the_back_office_index_and_each_figure_opens_its_list(
    client, staff, busy_day
):
    client.force_login(staff)
    html = client.get("/en/backoffice/").content.decode()
    assert figure(html, "Training")[0] == "2"
    value, url = figure(html, "Jobs stuck")
    assert value == "1"
    listed = client.get(url).content.decode()
    assert job_link(busy_day["stuck"]) in listed
    assert job_link(busy_day["healthy"]) not in listed
    value, url = figure(html, "Jobs failed in the last 24 hours")
    assert value == "1"
    listed = client.get(url).content.decode()
    assert job_link(busy_day["failed"]) in listed
    assert job_link(busy_day["old_failure"]) not in listed
    value, url = figure(html, "Failed sessions without a refund")
    assert value == "2"
    assert client.get(url).status_code == 200
    value, url = figure(html, "Jobs running")
    assert value == "2" and "state__exact=running" in url


def test_needs_you_counts_requests_by_deadline_and_links_to_them(client, staff, alice):
    from accounts.models import SupportRequest
    from privacy.models import DataSubjectRequest
    from privacy.services import dsr_create

    today = timezone.localdate()
    for days, email in (
        (-2, "late@example.com"),
        (2, "soon@example.com"),
        (20, "later@example.com"),
    ):
        dsr = dsr_create(type="access", channel="visitor", email=email, region="US")
        DataSubjectRequest.objects.filter(pk=dsr.pk).update(
            due_date=today + datetime.timedelta(days=days)
        )
    SupportRequest.objects.create(
        name="Alice", email=alice.email, topic="order", message="Where?", language="en"
    )
    client.force_login(staff)
    html = client.get("/en/backoffice/").content.decode()
    value, url = figure(html, "Requests overdue")
    assert value == "1"
    overdue = page_text(client.get(url))
    assert "late@example.com" in overdue and "soon@example.com" not in overdue
    value, url = figure(html, "Requests due within 3 days")
    assert value == "1" and "soon@example.com" in page_text(client.get(url))
    value, url = figure(html, "Requests due later")
    assert value == "1" and "later@example.com" in page_text(client.get(url))
    value, url = figure(html, "Support requests unanswered")
    assert value == "1" and alice.email in page_text(client.get(url))


@pytest.mark.promise("P07")
def test_the_dashboard_shows_counts_never_a_person(client, staff, alice, busy_day):
    from accounts.models import SupportRequest
    from privacy.services import dsr_create

    dsr_create(type="erasure", channel="visitor", email="someone@example.com", region="US")
    SupportRequest.objects.create(
        name="Alice Person", email=alice.email, topic="order", message="Hi", language="en"
    )
    client.force_login(staff)
    for language in ("en", "ko"):
        html = client.get(f"/{language}/backoffice/").content.decode()
        for planted in (alice.email, "someone@example.com", "Alice", "bob@example.com"):
            assert planted not in html
        assert str(busy_day["stuck"].photo_session.public_id) not in html
        assert "/staff/photo/" not in html and "CUDA" not in html


def test_figures_link_only_to_lists_the_operator_may_open(client, support, officer, busy_day):
    client.force_login(support)
    html = client.get("/en/backoffice/").content.decode()
    assert figure(html, "Requests overdue") == ("0", "")  # a count, no link to privacy records
    assert figure(html, "Jobs stuck")[1]  # their own work: linked
    client.force_login(officer)
    html = client.get("/en/backoffice/").content.decode()
    assert figure(html, "Requests overdue")[1]


def test_customers_are_kept_out_of_the_dashboard(client, bob):
    client.force_login(bob)
    response = client.get("/en/backoffice/")
    assert response.status_code == 302 and "/backoffice/login/" in response["Location"]


def test_business_charts_count_paid_sessions_and_revenue_per_currency(
    client, staff, alice, make_session
):
    make_session(alice, "delivered", paid_ago=2 * DAYS, delivered_after=2 * HOURS)
    make_session(alice, "delivered", paid_ago=1 * DAYS, delivered_after=4 * HOURS)
    make_session(alice, "queued", paid_ago=3 * HOURS, currency="krw")
    make_session(alice, "queued", paid_ago=40 * DAYS)  # outside the 30 days
    client.force_login(staff)
    html = client.get("/en/backoffice/").content.decode()
    assert re.search(r"Sessions paid per day</a> <span[^>]*>Total 3,", html)
    assert "Revenue per day (USD)" in html and "Revenue per day (KRW)" in html
    assert re.search(r"Revenue per day \(USD\)</a> <span[^>]*>Total \$38", html)
    assert html.count("<svg") >= 3 and "<script" not in html.split("</header>", 1)[-1]
    assert figure(html, "Delivery time, median (paid to delivered)")[0] == "3.0 h"
    assert figure(html, "Delivery time, 95th percentile")[0] == "4.0 h"


def test_the_dashboard_reads_in_korean(client, staff, busy_day):
    client.force_login(staff)
    html = client.get("/ko/backoffice/").content.decode()
    text = page_text(client.get("/ko/backoffice/"))
    for english in ("Needs you", "Privacy machinery", "Jobs stuck", "Business", "Customers"):
        assert english not in text
    assert "현재" in text and "개인정보" in text
    assert figure(html, "멈춘 작업")[0] == "1"


def test_sections_are_grouped_by_task_with_the_framework_last(client, staff):
    client.force_login(staff)
    html = client.get("/en/backoffice/").content.decode()
    captions = re.findall(r'class="section"[^>]*>([^<]+)</a>', html)
    assert captions == [
        "Customers", "Sessions and payments", "Generation", "Privacy desk", "Catalogue", "System",
    ]  # fmt: skip
    system = html[html.index('id="section-system"') :]
    assert "Periodic tasks" in system and "Sites" in system and "Groups" in system
    customers = html[html.index('id="section-customers"') : html.index('id="section-sessions"')]
    assert "Users" in customers and "Email addresses" in customers
    # One app's own page keeps Django's layout.
    assert client.get("/en/backoffice/privacy/").status_code == 200
