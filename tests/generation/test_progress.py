"""What a customer reads while their portraits are made: one state wording on the session page,
on "My sessions" and in the progress panel (and its JSON), and an honest time left from the
first second: the place in the queue and the wait, then the steps, then the images."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import make_customer
from tests.generation.conftest import submit

BADGE = re.compile(r'class="state state-([a-z_]+)" data-session-state>([^<]*)</span>')


@pytest.fixture
def carol(db):
    """A third customer, whose job waits in the queue ahead of Alice's."""
    return make_customer("carol@example.com")


def _job(photo_session):
    return photo_session.generation_jobs.order_by("-created_at", "-id").first()


def _begin(photo_session):
    from generation.services.jobs import job_begin

    return job_begin(job_id=_job(photo_session).pk, worker="gpu-1")


def _progress(job, done, seconds_per_unit=None):
    from generation.services.jobs import job_progress

    job_progress(job=job, done=done, total=job.progress_total, seconds_per_unit=seconds_per_unit)


def _recorded(photo_session, *, kind, units, per_unit, seconds):
    """A finished job of `kind` that took `seconds` in all for `units` at `per_unit` each."""
    from generation.models import GenerationJob

    finished = timezone.now() - timedelta(hours=1)
    GenerationJob.objects.create(
        photo_session=photo_session,
        kind=kind,
        state="succeeded",
        progress_done=units,
        progress_total=units,
        seconds_per_unit=per_unit,
        started_at=finished - timedelta(seconds=seconds),
        finished_at=finished,
    )


@pytest.fixture
def history(bob, paid_session):
    """Jobs that ran before: training takes 30 s to get going and 3 s a step (20 steps: 90 s),
    generation 20 s to get going and 10 s an image (4 images: 60 s)."""
    earlier = paid_session(bob, seed=9)
    _recorded(earlier, kind="training", units=20, per_unit=3.0, seconds=90)
    _recorded(earlier, kind="generation", units=4, per_unit=10.0, seconds=60)
    return earlier


def _seen(client, photo_session, language="en"):
    """The progress JSON, checked against the badge of the session page and of My sessions."""
    base = f"/{language}/sessions/{photo_session.public_id}/"
    data = client.get(f"/{language}/studio/{photo_session.public_id}/progress.json").json()
    detail = client.get(base).content.decode()
    dashboard = client.get(f"/{language}/sessions/").content.decode()
    assert BADGE.findall(detail) == [(data["state_key"], data["state_label"])]
    card = dashboard[dashboard.index(base) :]
    assert BADGE.search(card).groups() == (data["state_key"], data["state_label"])
    # The panel's message names the same state in the same words.
    assert data["message"].startswith(f"{data['state_label']}:"), data
    assert data["message"] in detail and data["eta_text"] in detail
    return data


def test_a_queued_customer_sees_their_place_and_the_wait_before_the_start(
    client, alice, bob, carol, paid_session, history
):
    running = paid_session(bob, seed=1)
    submit(running)
    _progress(_begin(running), 10, seconds_per_unit=3.0)  # 10 steps left: 30 s
    submit(paid_session(carol, seed=2))  # ahead of Alice: 30 s + 20 steps x 3 s = 90 s
    mine = paid_session(alice, seed=3)
    submit(mine)

    client.force_login(alice)
    data = _seen(client, mine)
    assert data["state_label"] == "In the queue" and data["phase"] == "queued"
    assert data["queue_position"] == 2
    assert data["eta_text"] == "You are number 2 in the queue: about 2 minutes until we start."
    # Then its own training (90 s) and its four portraits (60 s).
    assert data["eta_seconds"] == 120 + 90 + 60
    assert (
        "You can close this page" in client.get(f"/en/sessions/{mine.public_id}/").content.decode()
    )


def test_first_in_an_idle_queue_is_told_the_start_is_near(client, alice, paid_session, history):
    mine = paid_session(alice)
    submit(mine)
    client.force_login(alice)
    data = _seen(client, mine)
    assert data["eta_text"] == "You are number 1 in the queue: we start in less than a minute."


def test_with_nothing_recorded_yet_the_wait_is_being_estimated(client, alice, bob, paid_session):
    submit(paid_session(bob, seed=1))
    mine = paid_session(alice)
    submit(mine)
    client.force_login(alice)
    data = _seen(client, mine)
    assert data["eta_text"] == ("You are number 2 in the queue. Estimating when we can start…")


def test_at_step_0_the_time_left_comes_from_the_plan_never_less_than_a_minute(
    client, alice, bob, paid_session
):
    # Recent jobs were quick (the small development model): well under a minute in all.
    earlier = paid_session(bob, seed=9)
    _recorded(earlier, kind="training", units=20, per_unit=0.05, seconds=3)
    _recorded(earlier, kind="generation", units=4, per_unit=0.5, seconds=4)
    mine = paid_session(alice)
    submit(mine)
    _begin(mine)

    client.force_login(alice)
    data = _seen(client, mine)
    assert data["state_label"] == "Learning your likeness"
    assert data["message"] == "Learning your likeness: step 0 of 20."
    assert data["eta_seconds"] < 60 and not data["eta_measured"]
    assert data["eta_text"] == "About 1 minute left."

    korean = _seen(client, mine, "ko")
    assert korean["state_label"] == "회원님의 모습 학습 중"
    assert korean["eta_text"] == "약 1분 남았습니다."


def test_at_step_0_with_nothing_recorded_the_time_left_is_being_estimated(
    client, alice, paid_session
):
    mine = paid_session(alice)
    submit(mine)
    _begin(mine)
    client.force_login(alice)
    data = _seen(client, mine)
    assert data["eta_text"] == "Estimating the time left…"


def test_half_way_through_training_the_time_left_counts_steps_and_portraits(
    client, alice, paid_session, history
):
    mine = paid_session(alice)
    submit(mine)
    _progress(_begin(mine), 10, seconds_per_unit=4.0)

    client.force_login(alice)
    data = _seen(client, mine)
    assert data["message"] == "Learning your likeness: step 10 of 20."
    # 10 steps at the 4 s measured, then 4 portraits as recent ones took (60 s): 100 s.
    assert data["eta_seconds"] == 100
    assert data["eta_text"] == "About 2 minutes left."
    korean = _seen(client, mine, "ko")
    assert korean["eta_text"] == "약 2분 남았습니다."


def test_training_shows_its_own_time_left_before_any_portrait_was_ever_timed(
    client, alice, paid_session
):
    mine = paid_session(alice)
    submit(mine)
    _progress(_begin(mine), 5, seconds_per_unit=8.0)  # 15 steps left: 2 minutes

    client.force_login(alice)
    data = _seen(client, mine)
    assert data["eta_seconds"] is None
    assert data["eta_text"] == (
        "About 2 minutes left to learn your likeness; then we create your portraits."
    )
    _progress(_job(mine), 18, seconds_per_unit=8.0)  # 2 steps left, measured: 16 s
    assert _seen(client, mine)["eta_text"] == (
        "Less than a minute left to learn your likeness; then we create your portraits."
    )


def test_generation_counts_down_from_the_images_done(client, alice, paid_session, history):
    from generation.models import TrainingArtifact
    from generation.services.jobs import training_finish
    from generation.services.training import artifact_save

    mine = paid_session(alice)
    submit(mine)
    training = _begin(mine)
    _progress(training, 20, seconds_per_unit=3.0)
    artifact_save(
        job=training, kind=TrainingArtifact.Kind.LORA, data=b"lora", filename="lora.safetensors"
    )
    training_finish(job_id=training.pk)

    client.force_login(alice)
    # Trained, the portraits wait for a machine: the badge and the panel both say so.
    data = _seen(client, mine)
    assert data["state"] == "training" and data["state_label"] == "In the queue"
    assert "your likeness is learned" in data["message"]
    assert data["eta_text"] == "You are number 1 in the queue: we start in less than a minute."

    generation = _begin(mine)
    _progress(generation, 1, seconds_per_unit=20.0)  # 3 images left: 60 s
    data = _seen(client, mine)
    assert data["state_label"] == "Creating your portraits"
    assert data["message"] == "Creating your portraits: 1 of 4 ready."
    assert data["eta_text"] == "About 1 minute left."
    _progress(generation, 3, seconds_per_unit=20.0)  # 1 image left, measured: 20 s
    data = _seen(client, mine)
    assert data["eta_text"] == "Less than a minute left."


def test_a_job_sent_back_to_the_queue_shows_on_my_sessions_at_once(
    client, alice, paid_session, history
):
    from generation.services.jobs import job_requeue_after_error

    mine = paid_session(alice)
    submit(mine)
    job = _begin(mine)
    _progress(job, 5, seconds_per_unit=3.0)
    client.force_login(alice)
    assert _seen(client, mine)["state_label"] == "Learning your likeness"  # My sessions cached

    job_requeue_after_error(job_id=job.pk, error="ConnectionError: storage away")
    data = _seen(client, mine)
    assert data["state"] == "training" and data["state_label"] == "In the queue"


def test_the_korean_panel_speaks_the_badge_words(client, alice, bob, paid_session, history):
    submit(paid_session(bob, seed=1))
    mine = paid_session(alice)
    submit(mine)
    client.force_login(alice)
    data = _seen(client, mine, "ko")
    assert data["state_label"] == "대기 중"
    assert data["eta_text"] == "대기 순서 2번째입니다: 시작까지 약 2분 남았습니다."
    page = client.get(f"/ko/sessions/{mine.public_id}/").content.decode()
    assert "이 페이지를 닫으셔도 됩니다" in page


def test_bob_cannot_read_alices_progress(client, alice, bob, paid_session):
    mine = paid_session(alice)
    submit(mine)
    client.force_login(bob)
    assert client.get(f"/en/studio/{mine.public_id}/progress.json").status_code == 404
