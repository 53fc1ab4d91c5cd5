"""A running worker records itself and its queues; the dashboard shows who serves what."""

import signal

import pytest

from tests.conftest import purge_queues, start_worker, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_running_worker_shows_on_the_dashboard_with_the_queue_it_serves(client, staff, tmp_path):
    from pictureus.models import WorkerPresence

    purge_queues()
    worker = start_worker(tmp_path, queues="gpu")
    try:
        presence = wait_for(
            lambda: WorkerPresence.objects.filter(hostname__startswith="test-").first(),
            timeout=30,
            message="the worker's presence",
        )
    finally:
        worker.kill(signal.SIGTERM)
    assert presence.queues == ["gpu"]
    client.force_login(staff)
    html = client.get("/en/backoffice/").content.decode()
    gpu_row = html[html.index("GPU (training and generation)") :].split("</tr>", 1)[0]
    assert presence.hostname in gpu_row
    default_row = html[html.index("Default (email, exports, sweeps)") :].split("</tr>", 1)[0]
    assert "No worker serves this queue" in default_row


def queue_row(html, label):
    return html[html.index(label) :].split("</tr>", 1)[0]


def test_the_dashboard_counts_the_messages_waiting_in_each_queue(client, staff):
    """Asked of the broker the site runs with (a folder locally, Redis in CI): two trainings
    and a generation wait for a GPU worker, an email for the default queue."""
    from pictureus.celery import app

    purge_queues()
    try:
        for _ in range(3):
            app.send_task("generation.tasks.train_lora", args=[0], queue="gpu")
        app.send_task("privacy.tasks.export_build", args=[0], queue="default")
        client.force_login(staff)
        html = client.get("/en/backoffice/").content.decode()
    finally:
        purge_queues()
    assert "<td>3</td>" in queue_row(html, "GPU (training and generation)")
    assert "<td>1</td>" in queue_row(html, "Default (email, exports, sweeps)")


def test_a_broker_that_cannot_be_reached_leaves_the_depth_unknown_not_zero(
    client, staff, monkeypatch
):
    from pictureus.celery import app

    down = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    monkeypatch.setenv("CELERY_BROKER_URL", down)  # Celery reads it before its settings
    url = app.conf.broker_url
    app.conf.broker_url = down
    try:
        client.force_login(staff)
        response = client.get("/en/backoffice/")
    finally:
        app.conf.broker_url = url
    assert response.status_code == 200
    html = response.content.decode()
    assert "<td>–</td>" in queue_row(html, "GPU (training and generation)")
