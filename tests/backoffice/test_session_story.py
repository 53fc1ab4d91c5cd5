"""A session's page in the back office tells its whole story, with the actions it needs."""

import pytest

from generation.models import GenerationJob
from privacy.services import consent_record
from sessions_app.models import PhotoSession

from .conftest import DAYS, HOURS, MINUTES

pytestmark = pytest.mark.django_db


def page_of(photo_session):
    return f"/en/backoffice/sessions_app/photosession/{photo_session.pk}/change/"


def act(photo_session, job, action):
    return f"/en/backoffice/sessions/{photo_session.pk}/jobs/{job.pk}/{action}/"


@pytest.fixture
def stuck_session(alice, make_session, make_job):
    photo_session = make_session(alice, "training", paid_ago=2 * HOURS)
    consent_record(
        user=alice, purpose="face_photos", granted=True, method="form",
        photo_session=photo_session,
    )  # fmt: skip
    job = make_job(photo_session, "running", silent_for=40 * MINUTES)
    return photo_session, job


def test_the_session_page_shows_its_timeline_jobs_and_retention(client, staff, stuck_session):
    photo_session, job = stuck_session
    client.force_login(staff)
    html = client.get(page_of(photo_session)).content.decode()
    assert "Timeline" in html and "Paid" in html and "Consent given" in html
    assert f"Job created: {job}" in html
    assert "stuck</strong>" in html and f'form="job-{job.pk}-retry"' in html
    assert "Original photos deleted on" in html and "Place a legal hold" in html
    korean = client.get(page_of(photo_session).replace("/en/", "/ko/")).content.decode()
    assert "Timeline" not in korean and "Retry" not in korean


def test_an_operator_retries_a_stuck_job_from_the_session_page(client, staff, stuck_session):
    photo_session, job = stuck_session
    client.force_login(staff)
    response = client.post(act(photo_session, job, "retry"))
    assert response.status_code == 302 and response["Location"].endswith(page_of(photo_session))
    job.refresh_from_db()
    assert job.state == GenerationJob.State.QUEUED and job.enqueued_at is not None


def test_fail_and_refund_from_the_session_page(client, staff, stuck_session):
    photo_session, job = stuck_session
    client.force_login(staff)
    client.post(act(photo_session, job, "fail"))
    job.refresh_from_db()
    photo_session.refresh_from_db()
    assert job.state == GenerationJob.State.FAILED
    assert photo_session.state == PhotoSession.State.REFUNDED


def test_support_staff_see_the_story_without_consent_or_actions(client, support, stuck_session):
    photo_session, job = stuck_session
    client.force_login(support)
    html = client.get(page_of(photo_session)).content.decode()
    assert "Timeline" in html and "Consent given" not in html
    assert f'form="job-{job.pk}-retry"' not in html and "Place a legal hold" not in html
    assert client.post(act(photo_session, job, "retry")).status_code == 403
    job.refresh_from_db()
    assert job.state == GenerationJob.State.RUNNING


def test_a_job_of_another_session_cannot_be_acted_on_through_this_one(
    client, staff, stuck_session, bob, make_session, make_job
):
    photo_session, _job = stuck_session
    other = make_job(make_session(bob, "failed"), "failed", finished_ago=DAYS)
    client.force_login(staff)
    assert client.post(act(photo_session, other, "retry")).status_code == 404
    assert client.get(act(photo_session, _job, "retry")).status_code == 405
