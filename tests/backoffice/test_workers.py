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
