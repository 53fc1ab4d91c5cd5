"""The site as production runs it, for the benchmarks that time it over HTTP (load.py, soak.py).

Production settings with DEBUG=0 (`benchmarks/settings.py`), a fresh PostgreSQL database of the
benchmark's own, static files collected with the production storage, data seeded by a child
process under those settings, and gunicorn's sync workers serving it on a free local port.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
# The project's packages, for what the benchmarks borrow from it (the signing chain).
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def production_env(port, *, database, data_dir):
    """DEBUG=0 with every required variable set to a local value; plain http on 127.0.0.1."""
    from generation.provenance import signing_chain_make

    # Production refuses to start without a C2PA signing chain: a throwaway one.
    signing = signing_chain_make(Path(data_dir) / "c2pa", common_name="Benchmark signer")
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
        "DEBUG": "0",
        "PICTUREUS_TESTING": "0",
        "SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": f"{PG}/{database}",
        "CELERY_BROKER_URL": os.environ.get("BENCH_BROKER", "redis://127.0.0.1:6379/10"),
        "REDIS_URL": os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/11"),
        "STRIPE_SECRET_KEY": "sk_test_bench",
        "STRIPE_WEBHOOK_SECRET": "whsec_bench",
        "DEFAULT_FROM_EMAIL": "PictureUs <bench@pictureus.localhost>",
        "PICTUREUS_COMPANY_NAME": "PictureUs Labs",
        "PICTUREUS_COMPANY_ADDRESS": "1 Bench Street, Seoul, Korea",
        "PICTUREUS_PRIVACY_OFFICER": "Bench Officer",
        "PICTUREUS_REPRESENTATIVE": "Bench Representative",
        "PICTUREUS_BUSINESS_NUMBER": "000-00-00000",
        "PICTUREUS_MAIL_ORDER_NUMBER": "2026-Bench-0000",
        "PICTUREUS_PHONE": "+82-2-000-0000",
        "PICTUREUS_SELLER_EMAIL": "help@pictureus.localhost",
        "PICTUREUS_HOSTING_PROVIDER": "Bench Hosting",
        "C2PA_SIGNING_CERT": str(signing.chain_path),
        "C2PA_SIGNING_KEY": str(signing.key_path),
        "PICTUREUS_RECEIPT_CHAIN_KEY": "bench-receipt-chain-key-0123456789abcdef",
        "PRIVACY_CONTACT_EMAIL": "privacy@pictureus.localhost",
        "SECURE_SSL_REDIRECT": "0",
        "PICTUREUS_DATA_DIR": str(data_dir),
        "LOG_LEVEL": "WARNING",
        "OMP_NUM_THREADS": "1",
        "SITE_URL": f"http://127.0.0.1:{port}",
    }


def fresh_database(database):
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {database}")


def analyze(database):
    """Planner statistics for the seeded rows, as autovacuum keeps them on a live database."""
    import psycopg

    with psycopg.connect(f"{PG}/{database}", autocommit=True) as conn:
        conn.execute("ANALYZE")


def manage(env, *args):
    subprocess.run([str(BIN / "python"), "manage.py", *args], cwd=ROOT, env=env, check=True)


def seed_child(env, script, *args):
    """Run `script --seed ARGS` in a child process under the production settings; its output."""
    out = subprocess.run(
        [str(BIN / "python"), str(script), "--seed", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if out.returncode:
        raise SystemExit(f"seeding failed:\n{out.stderr[-3000:]}")
    return out.stdout


def setup_django():
    """In the seeding child: the project importable and Django set up under its settings."""
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def start_gunicorn(env, base, workers, *options):
    """gunicorn's sync workers serving the site at `base` (http://127.0.0.1:PORT)."""
    return subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "pictureus.wsgi",
            "--bind",
            base.removeprefix("http://"),
            "--workers",
            str(workers),
            "--access-logfile",
            "-" if os.environ.get("BENCH_ACCESS_LOG") else "/dev/null",
            "--log-level",
            "warning",
            *options,
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )


def stop_gunicorn(gunicorn):
    os.killpg(gunicorn.pid, signal.SIGTERM)
    gunicorn.wait(timeout=30)


def wait_until_up(base):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            # noqa below: every URL here is the local gunicorn's own http:// address.
            with urllib.request.urlopen(f"{base}/healthz", timeout=5) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:  # refused while binding, or timed out while the workers boot
            time.sleep(0.3)
    raise SystemExit("gunicorn did not answer /healthz within 60 s")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def preflight(base, path, cookie):
    """The page must answer 200 itself (a redirect to the login page would flatter it)."""
    opener = urllib.request.build_opener(NoRedirect)
    headers = {"Cookie": cookie} if cookie else {}
    request = urllib.request.Request(base + path, headers=headers)  # noqa: S310
    try:
        with opener.open(request, timeout=10) as response:
            body = response.read()
            return response.status, body
    except urllib.error.HTTPError as exc:
        raise SystemExit(f"{path} answered {exc.code}; the benchmark needs a 200") from exc
