"""`manage.py serve`: the site, a worker and the scheduler, stopped together by one Ctrl-C.

Each runs in a session of its own, so the terminal's Ctrl-C reaches only this command, which
then asks each of them once to stop (SIGTERM) and, after a grace period, ends what is still
running. A job cut short is not lost: tasks are acknowledged late and come back to the queue, and
training resumes from its last checkpoint.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

GRACE_S = 8


class Command(BaseCommand):
    help = "Serve the site with a Celery worker and beat; Ctrl-C stops all of them."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument(
            "--grace", type=float, default=GRACE_S, help="seconds a process has to stop"
        )

    def handle(self, *args, addrport, grace, **options):
        python = sys.executable
        celery = str(Path(python).with_name("celery"))
        commands = {
            "site": [python, str(settings.BASE_DIR / "manage.py"), "runserver", addrport],
            "worker": [
                celery,
                "-A",
                "pictureus",
                "worker",
                "-Q",
                "default,gpu",
                "--concurrency",
                "1",
                "--beat",
                "--loglevel",
                "INFO",
            ],  # fmt: skip
        }
        stopping = []
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda signum, frame: stopping.append(signum))
        children = {
            name: subprocess.Popen(command, start_new_session=True)  # noqa: S603
            for name, command in commands.items()
        }
        try:
            while not stopping and all(p.poll() is None for p in children.values()):
                time.sleep(0.2)
            ended = [name for name, p in children.items() if p.poll() is not None]
            if ended and not stopping:
                self.stderr.write(f"{', '.join(ended)} stopped on its own: stopping the rest")
        finally:
            self._stop(children, grace)
        self.stdout.write("Stopped.")

    def _stop(self, children, grace):
        for process in children.values():
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and any(p.poll() is None for p in children.values()):
            time.sleep(0.1)
        for name, process in children.items():
            if process.poll() is None:
                self.stderr.write(f"{name} did not stop within {grace:g} s: ended")
            # The whole group: runserver's reloader child, the worker's beat.
            _signal_group(process, signal.SIGKILL)
            process.wait()


def _signal_group(process, sig):
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
