"""`make run`'s server (`manage.py serve`): one Ctrl-C stops the site, the worker and beat."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.conftest import ROOT, _database_url, wait_for


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def answers(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - local test server
            return response.status
    except OSError:
        return None


def running_in_group(pgid):
    """Processes of a group still running (a zombie left to an init that never reaps is not)."""
    out = subprocess.run(["ps", "-eo", "pid=,pgid=,stat="], capture_output=True, text=True)
    rows = (line.split() for line in out.stdout.splitlines())
    return [int(pid) for pid, group, stat in rows if int(group) == pgid and "Z" not in stat]


@pytest.mark.django_db(transaction=True)
def test_ctrl_c_stops_site_worker_and_beat_cleanly_within_ten_seconds(tmp_path):
    from django.conf import settings

    port = free_port()
    log = tmp_path / "serve.log"
    env = dict(
        os.environ,
        OMP_NUM_THREADS="1",
        DATABASE_URL=_database_url(),
        PICTUREUS_DATA_DIR=str(settings.DATA_DIR),
    )
    with open(log, "w") as out:
        # A session of its own stands for the terminal: Ctrl-C goes to its whole group.
        serve = subprocess.Popen(  # noqa: S603
            [sys.executable, "manage.py", "serve", f"127.0.0.1:{port}"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        wait_for(lambda: answers(f"http://127.0.0.1:{port}/en/"), timeout=90, message="the site")
        wait_for(lambda: "ready." in log.read_text(), timeout=90, message="the worker")
        wait_for(lambda: "beat: Starting" in log.read_text(), timeout=30, message="beat")
        children = [
            int(line.split()[0])
            for line in subprocess.run(
                ["ps", "-o", "pid=", "--ppid", str(serve.pid)], capture_output=True, text=True
            ).stdout.splitlines()
        ]
        assert len(children) == 2  # the site and the worker, each in a group of its own

        started = time.monotonic()
        os.killpg(serve.pid, signal.SIGINT)
        assert serve.wait(timeout=15) == 0
        took = time.monotonic() - started
    finally:
        if serve.poll() is None:
            os.killpg(serve.pid, signal.SIGKILL)
    text = log.read_text()
    assert took < 10, f"stopping took {took:.1f}s"
    assert "Segmentation fault" not in text and "Traceback" not in text, text[-3000:]
    assert "did not stop" not in text and "Stopped." in text
    assert not [pid for pid in children if running_in_group(pid)]
    assert answers(f"http://127.0.0.1:{port}/en/") is None
