"""Soak run: many clients at once for a minute over the customer pages and uploads.

    .venv/bin/python benchmarks/soak.py [--clients 200] [--duration 60] [--warmup 15]
        [--workers 3] [--customers 8] [--upload-share 0.02]

Serves the site as load.py does (benchmarks/serve.py: production settings with DEBUG=0, a fresh
PostgreSQL database of its own, collected static files, gunicorn's sync workers, Redis for the
cache and the sessions), then runs that many clients concurrently until the time is up, each in
a loop without pause: signed-out visitors (home, pricing, FAQ, privacy policy, in English and
Korean), signed-in customers (dashboard, a session's detail and photos pages, a gallery, a
portrait preview, the privacy centre) and a few uploading customers, who add a real face photo
to their own collecting session, look at their photos page and delete the photo again. Every
request must answer the status it expects in time. Before the clock starts, one photo per
worker is sent at once, so that every worker has loaded its face models (a worker does on its
first photo); each worker's resident memory is read after the warm-up seconds of the run and at
the end. Prints req/s, p50 and p99 and errors per kind of request, and each worker's memory;
exits 1 when there is an error or a worker grew by more than 10%.
"""

import argparse
import asyncio
import json
import random
import shutil
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import aiohttp
import serve

sys.path.insert(0, str(serve.ROOT))
from tests.mutate import descendants  # noqa: E402 - the project's own /proc walk

DATABASE = "pictureus_soak"
# Its own Redis databases, so that a load run beside it shares no cache.
BROKER, CACHE = "redis://127.0.0.1:6379/12", "redis://127.0.0.1:6379/13"
MAX_GROWTH = 0.10
# Seconds a request may take before it counts as an error: what a proxy in front allows by
# default (nginx's proxy_read_timeout) and gunicorn's --timeout in docs/deploy.md.
TIMEOUT = 60
PUBLIC = ["", "pricing/", "faq/", "privacy/"]


# --- seeding, in a child process under the production settings ---


def _seed_in_process(customers: int) -> None:
    serve.setup_django()
    from django.core.management import call_command
    from load import _seed_gallery

    from sessions_app.models import Plan, StylePack

    call_command("load_demo", verbosity=0)
    plan = Plan.objects.get(slug="starter")
    styles = list(StylePack.objects.all()[:2])
    seeded = [_seed_customer(i, plan, styles, _seed_gallery) for i in range(customers)]
    print("SOAK " + json.dumps(seeded))


def _seed_customer(i, plan, styles, seed_gallery) -> dict:
    """A customer with a few sessions, a delivered gallery and a paid session collecting photos
    (face-photo consent given through the consent page), and the cookies of a browser signed in
    as them."""
    from django.conf import settings
    from django.test import Client
    from django.urls import reverse

    from accounts.models import User
    from generation.models import Portrait
    from sessions_app.services import session_create, session_transition

    user = User.objects.create_user(
        email=f"soak{i}@example.com",
        password="soak-password-0123",  # noqa: S106 - a throwaway local benchmark login
        display_name=f"Soak {i}",
        region="US",
        age_attestation=User.AgeAttestation.OF_AGE,
    )
    for _ in range(3):
        session_create(user=user, plan=plan, styles=styles, currency="usd")
    gallery = seed_gallery(user=user, plan=plan, styles=styles)
    portrait = Portrait.objects.filter(photo_session__user=user).order_by("pk").first()
    collecting = session_create(user=user, plan=plan, styles=styles, currency="usd")
    for state in ("awaiting_payment", "paid"):
        collecting = session_transition(photo_session=collecting, to_state=state, cause="seed")
    session_path = f"/en/sessions/{collecting.public_id}/"
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    answer = client.post(f"{session_path}consent/", {"face_photos": "on", "only_me": "on"})
    assert answer.status_code == 302, answer.status_code
    client.get("/en/sessions/")  # the CSRF cookie a signed-in browser holds
    csrf = client.cookies[settings.CSRF_COOKIE_NAME].value
    preview = reverse(
        "generation:portrait_file",
        kwargs={
            "public_id": portrait.photo_session.public_id,
            "portrait_id": portrait.pk,
            "kind": "preview",
        },
    )
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    return {
        "cookie": f"{settings.SESSION_COOKIE_NAME}={session}; {settings.CSRF_COOKIE_NAME}={csrf}",
        "csrf": csrf,
        "pages": {
            "dashboard": "/en/sessions/",
            "session detail": session_path,
            "session photos": f"{session_path}photos/",
            "gallery": gallery,
            "portrait preview": preview.replace("/ko/", "/en/"),
            "privacy centre": "/en/privacy/centre/",
        },
        "photos": f"{session_path}photos/",
    }


# --- the clients ---


class Tally:
    """Latencies of the requests that answered as expected, and errors, per kind."""

    def __init__(self):
        self.latencies = defaultdict(list)
        self.errors = Counter()
        self.samples = {}

    def error(self, kind, what):
        self.errors[kind] += 1
        self.samples.setdefault(kind, what)


async def fetch(http, tally, kind, url, *, method="GET", expect=200, **kwargs):
    """One request; its body when it answered `expect`, else None (and an error counted)."""
    start = time.perf_counter()
    try:
        async with http.request(method, url, allow_redirects=False, **kwargs) as response:
            body = await response.read()
    except (aiohttp.ClientError, TimeoutError) as exc:
        tally.error(kind, f"{type(exc).__name__}: {exc}"[:200])
        return None
    if response.status != expect:
        tally.error(kind, f"{method} {url} answered {response.status}, not {expect}")
        return None
    tally.latencies[kind].append(time.perf_counter() - start)
    return body


async def visitor(http, tally, base, deadline):
    while time.monotonic() < deadline:
        language, page = random.choice(["en", "ko"]), random.choice(PUBLIC)
        name = f"{page.rstrip('/') or 'home'} ({language})"
        await fetch(http, tally, name, f"{base}/{language}/{page}")


async def customer(http, tally, base, deadline, seeded):
    headers = {"Cookie": seeded["cookie"]}
    while time.monotonic() < deadline:
        kind, path = random.choice(list(seeded["pages"].items()))
        await fetch(http, tally, kind, base + path, headers=headers)


async def upload_cycle(http, tally, base, seeded, photo):
    """Add a face photo to the customer's own collecting session, see it, delete it: the
    session never fills."""
    headers = {
        "Cookie": seeded["cookie"],
        "X-CSRFToken": seeded["csrf"],
        "Accept": "application/json",
    }
    url = base + seeded["photos"]
    form = aiohttp.FormData()
    form.add_field("photos", photo, filename="me.jpg", content_type="image/jpeg")
    body = await fetch(http, tally, "upload", url, method="POST", data=form, headers=headers)
    if body is None:
        return
    result = (json.loads(body).get("results") or [{}])[0]
    if not result.get("accepted"):
        tally.error("upload", f"photo not accepted: {result}"[:200])
        return
    await fetch(http, tally, "session photos", url, headers={"Cookie": seeded["cookie"]})
    delete = base + result["delete_url"]
    await fetch(http, tally, "photo delete", delete, method="POST", headers=headers)


async def uploader(http, tally, base, deadline, seeded, photo):
    while time.monotonic() < deadline:
        await upload_cycle(http, tally, base, seeded, photo)


# --- the workers' memory ---


def worker_pids(master: int) -> list[int]:
    """gunicorn's workers: the master's children (they start none of their own)."""
    return sorted(descendants(master))


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise ValueError(f"no VmRSS for {pid}")


def has_face_models(pid: int) -> bool:
    return "dlib" in Path(f"/proc/{pid}/maps").read_text()


async def warm_workers(http, base, master, customers, photo):
    """Before the clock: as many photos at once as there are workers, so that each idle sync
    worker takes one and loads dlib and its face models (on a worker's first photo) here
    rather than during the run. Whether every worker did is read from its mapped libraries."""
    tally = Tally()
    await asyncio.gather(*(upload_cycle(http, tally, base, seeded, photo) for seeded in customers))
    if tally.errors:
        raise SystemExit(f"the warm-up uploads failed: {tally.samples}")
    return all(map(has_face_models, worker_pids(master)))


# --- the run ---


async def soak(args, base, master, customers, photo):
    tally = Tally()
    uploaders = max(1, round(args.clients * args.upload_share))
    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    timeout = aiohttp.ClientTimeout(total=TIMEOUT)
    async with aiohttp.ClientSession(
        connector=connector, timeout=timeout, cookie_jar=aiohttp.DummyCookieJar()
    ) as http:
        ready = await warm_workers(http, base, master, customers[: args.workers], photo)
        start = time.monotonic()
        deadline = start + args.duration
        clients = []
        for n in range(args.clients):
            seeded = customers[n % len(customers)]
            if n < uploaders:
                clients.append(uploader(http, tally, base, deadline, seeded, photo))
            elif n % 2:
                clients.append(customer(http, tally, base, deadline, seeded))
            else:
                clients.append(visitor(http, tally, base, deadline))
        running = asyncio.gather(*clients)
        await asyncio.sleep(args.warmup)
        warm_rss = {pid: rss_mib(pid) for pid in worker_pids(master)}
        await running
        elapsed = time.monotonic() - start
    end_rss = {pid: rss_mib(pid) for pid in worker_pids(master)}
    return tally, elapsed, uploaders, (warm_rss, end_rss, ready)


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000 if ordered else 0.0


def report(args, tally, elapsed, uploaders, memory) -> list[str]:
    """Print the figures; the targets missed."""
    warm_rss, end_rss, ready = memory
    kinds = sorted(set(tally.latencies) | set(tally.errors))
    total = sum(map(len, tally.latencies.values())) + sum(tally.errors.values())
    signed_in = (args.clients - uploaders) // 2
    print(
        f"\n{args.clients} clients ({uploaders} uploading, {signed_in} signed in, "
        f"{args.clients - uploaders - signed_in} signed out) for {args.duration} s "
        f"({elapsed:.0f} s to the last answer; req/s over that); gunicorn "
        f"{args.workers} sync workers, DEBUG=0, PostgreSQL, Redis"
    )
    print(f"{'kind':<22} {'requests':>8} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}")
    for kind in kinds:
        times = tally.latencies[kind]
        count = len(times) + tally.errors[kind]
        print(
            f"{kind:<22} {count:>8} {count / elapsed:>7.1f} {percentile(times, 0.5):>8.0f} "
            f"{percentile(times, 0.99):>8.0f} {tally.errors[kind]:>6}"
        )
    every = [t for times in tally.latencies.values() for t in times]
    errors = sum(tally.errors.values())
    print(
        f"{'all':<22} {total:>8} {total / elapsed:>7.1f} {percentile(every, 0.5):>8.0f} "
        f"{percentile(every, 0.99):>8.0f} {errors:>6}"
    )
    print(f"slowest answer: {max(every, default=0.0):.1f} s (an error after {TIMEOUT} s)")
    for kind, sample in tally.samples.items():
        print(f"  first error, {kind}: {sample}")
    missed = [] if errors == 0 and total else ["errors"]
    print(f"\nworker memory (RSS), after a {args.warmup} s warm-up and at the end:")
    if not ready:
        print("  (not every worker had loaded the face models before the run)")
    growths = []
    for pid in sorted(set(warm_rss) | set(end_rss)):
        if pid not in warm_rss or pid not in end_rss:
            print(f"  worker {pid}: replaced during the run")
            missed.append("a worker was replaced")
            continue
        growth = end_rss[pid] / warm_rss[pid] - 1
        growths.append(growth)
        print(f"  worker {pid}: {warm_rss[pid]:.1f} MiB -> {end_rss[pid]:.1f} MiB ({growth:+.1%})")
    largest = max(growths, default=0.0)
    verdict = "ok" if largest <= MAX_GROWTH else "MISSED"
    print(f"largest growth {largest:+.1%} (target <= {MAX_GROWTH:.0%}) {verdict}")
    print(f"errors {errors} (target 0) {'ok' if 'errors' not in missed else 'MISSED'}")
    if largest > MAX_GROWTH:
        missed.append("memory")
    return missed


def prepare(args, port):
    """The database, static files, seeded customers; the environment and what was seeded."""
    env = serve.production_env(port, database=DATABASE, data_dir=serve.ROOT / "var" / "soak")
    env.update(CELERY_BROKER_URL=BROKER, REDIS_URL=CACHE)
    import redis

    for url in (BROKER, CACHE):
        redis.Redis.from_url(url).flushdb()
    shutil.rmtree(env["PICTUREUS_DATA_DIR"], ignore_errors=True)
    print(f"database {DATABASE}: migrate, collectstatic, seed ...", flush=True)
    serve.fresh_database(DATABASE)
    serve.manage(env, "migrate", "--no-input", "-v0")
    serve.manage(env, "collectstatic", "--no-input", "-v0", "--clear")
    count = max(args.customers, round(args.clients * args.upload_share), args.workers, 1)
    out = serve.seed_child(env, Path(__file__), str(count))
    customers = json.loads(next(line for line in out.splitlines() if line.startswith("SOAK "))[5:])
    serve.analyze(DATABASE)
    return env, customers


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[1])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--duration", type=int, default=60, help="seconds")
    parser.add_argument("--warmup", type=int, default=15, help="seconds before memory is read")
    # One sync worker per core and one more for the time a worker waits on PostgreSQL or Redis;
    # more on two cores only add memory and switching, fewer leave a core idle.
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--customers", type=int, default=8, help="signed-in customers")
    parser.add_argument("--upload-share", type=float, default=0.02, help="of the clients")
    parser.add_argument("--seed", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed is not None:
        return _seed_in_process(args.seed)
    from tests.sessions.images import face_jpeg

    port = serve.free_port()
    base = f"http://127.0.0.1:{port}"
    env, customers = prepare(args, port)
    gunicorn = serve.start_gunicorn(env, base, args.workers, "--timeout", str(TIMEOUT))
    try:
        serve.wait_until_up(base)
        for language in ("en", "ko"):
            for page in PUBLIC:
                serve.preflight(base, f"/{language}/{page}", "")
        for seeded in customers:
            for path in seeded["pages"].values():
                serve.preflight(base, path, seeded["cookie"])
        print(f"{args.clients} clients for {args.duration} s ...", flush=True)
        tally, elapsed, uploaders, memory = asyncio.run(
            soak(args, base, gunicorn.pid, customers, face_jpeg(0))
        )
    finally:
        serve.stop_gunicorn(gunicorn)
    missed = report(args, tally, elapsed, uploaders, memory)
    print("all targets met" if not missed else f"targets missed: {', '.join(missed)}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
