"""Load benchmark: the site under gunicorn with production settings on PostgreSQL, hit by wrk.

    .venv/bin/python benchmarks/load.py [--duration 5] [--rounds 3] [--connections 8] [--workers 3]

Builds a fresh database (pictureus_bench), collects static files with the production storage
(compressed, cache-busted names), starts gunicorn with DEBUG=0, then runs wrk for a fixed time
against each page, in rounds: a bare Django view doing one query, the home page, a signed-in
dashboard with 50 sessions, the dashboard of a customer with none, and a gallery of 100
portraits. Then it serves the site again with the page cache off (PICTUREUS_PAGE_CACHE=0) and
times the dashboards and the gallery "cold", each request rendering its page, beside the bare
view again: the empty dashboard cold is the floor of any rendered signed-in page. Prints req/s,
p50, p99 and errors for each (medians over the rounds), the ratios to the bare view of the same
run, and whether each target is met (exit status 1 when one is not).
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import urllib.request
from pathlib import Path

from serve import (
    ROOT,
    analyze,
    free_port,
    fresh_database,
    manage,
    preflight,
    production_env,
    seed_child,
    setup_django,
    start_gunicorn,
    stop_gunicorn,
    wait_until_up,
)

DATABASE = "pictureus_bench"
# Targets: each page's throughput as a share of the bare view's, and no errors anywhere.
TARGETS = {
    "home": 0.60,
    "dashboard": 0.40,
    "gallery": 0.40,
    # Rendered on every request (the page cache off): the render path's own speed.
    "dashboard cold": 0.25,
    "gallery cold": 0.20,
}


def seed(env):
    """Run the seeding below in a child process under the production settings."""
    pages = {}
    for line in seed_child(env, Path(__file__)).splitlines():
        if line.startswith("PAGE "):
            _, name, url, cookie = (line.split(" ", 3) + [""])[:4]
            pages[name] = (url, cookie.strip())
        elif line.startswith("NOTE "):
            print(line[5:])
    return pages


def _seed_in_process():
    setup_django()
    from django.core.management import call_command

    from sessions_app.models import PhotoSession, Plan, StylePack

    call_command("load_demo", verbosity=0)
    user = _customer("bench@example.com", "Bench")
    plan = Plan.objects.get(slug="starter")
    styles = list(StylePack.objects.all()[:2])
    states = [s for s, _ in PhotoSession.State.choices]
    sessions = PhotoSession.objects.bulk_create(
        PhotoSession(
            user=user, plan=plan, state=states[i % len(states)], currency="usd", amount=1900
        )
        for i in range(50)
    )
    for photo_session in sessions:
        photo_session.styles.set(styles)
    cookie = _signed_in_cookie(user)
    # A customer with no sessions: the floor of any signed-in page that renders (site layout,
    # session, user and the page's own queries, no rows).
    newcomer = _customer("newcomer@example.com", "Newcomer")
    print("PAGE bare /bench/bare")
    print("PAGE home /en/")
    print(f"PAGE dashboard /en/sessions/ {cookie}")
    print(f"PAGE no-sessions /en/sessions/ {_signed_in_cookie(newcomer)}")
    gallery = _seed_gallery(user=user, plan=plan, styles=styles)
    if gallery:
        print(f"PAGE gallery {gallery} {cookie}")
    else:
        print("NOTE gallery: no gallery URL yet; left out")


def _customer(email, name):
    from accounts.models import User

    return User.objects.create_user(
        email=email,
        password="bench-password-0123",  # noqa: S106 - a throwaway local benchmark login
        display_name=name,
        region="US",
        age_attestation=User.AgeAttestation.OF_AGE,
    )


def _signed_in_cookie(user):
    """The cookies a signed-in browser of `user` sends: the session's and the CSRF one (the
    login form set it)."""
    from django.conf import settings
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    client.get("/en/sessions/")
    return "; ".join(
        f"{name}={client.cookies[name].value}"
        for name in (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME)
    )


def _seed_gallery(*, user, plan, styles):
    """A delivered session with 100 portraits (small real previews); its gallery's path."""
    import io

    from django.core.files.base import ContentFile
    from django.urls import NoReverseMatch, reverse
    from django.utils import timezone
    from PIL import Image

    from generation.models import GenerationJob, Portrait
    from sessions_app.models import PhotoSession

    photo_session = PhotoSession.objects.create(
        user=user,
        plan=plan,
        state=PhotoSession.State.DELIVERED,
        currency="usd",
        amount=1900,
        delivered_at=timezone.now(),
        state_changed_at=timezone.now(),
    )
    photo_session.styles.set(styles)
    # The gallery shows what a finished generation job made.
    job = GenerationJob.objects.create(
        photo_session=photo_session,
        kind=GenerationJob.Kind.GENERATION,
        state=GenerationJob.State.SUCCEEDED,
    )
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 160, 120)).save(buffer, "WEBP")
    for i in range(100):
        portrait = Portrait(
            photo_session=photo_session,
            job=job,
            style=styles[i % len(styles)],
            index=i // len(styles),
            seed=i,
            width=512,
            height=512,
        )
        portrait.image.save(f"{i}.png", ContentFile(buffer.getvalue()), save=False)
        portrait.preview.save(f"{i}.webp", ContentFile(buffer.getvalue()), save=False)
        portrait.save()
    # The gallery's URL name, whichever of these the generation app settled on.
    for name in ("generation:gallery", "sessions_app:gallery"):
        for kwargs in ({"public_id": photo_session.public_id}, {"pk": photo_session.pk}):
            try:
                return reverse(name, kwargs=kwargs).replace("/ko/", "/en/")
            except NoReverseMatch:
                continue
    return None


def check_static(base, home_html, static_root):
    """Production static files: cache-busted names in the page, compressed, cached for long."""
    links = re.findall(rb'(?:href|src)="(/static/[^"]+)"', home_html)
    busted = [u.decode() for u in links if re.search(rb"\.[0-9a-f]{12}\.\w+$", u)]
    if not links or len(busted) != len(links):
        return f"static: FAIL - not every static link on the home page is cache-busted: {links}"
    # The largest text asset shows compression (whitenoise leaves tiny files uncompressed).
    manifest = json.loads((static_root / "staticfiles.json").read_text())["paths"]
    name = max(
        (n for n in manifest if n.endswith((".css", ".js"))),
        key=lambda n: (static_root / n).stat().st_size,
    )
    url = f"{base}/static/{manifest[name]}"
    request = urllib.request.Request(url, headers={"Accept-Encoding": "br, gzip"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        encoding = response.headers.get("Content-Encoding", "none")
        cache = response.headers.get("Cache-Control", "")
    ok = encoding in ("br", "gzip") and "immutable" in cache
    verdict = "ok" if ok else "FAIL"
    return (
        f"static: {verdict} - {len(busted)} cache-busted links on home; "
        f"{manifest[name]} served {encoding}, {cache}"
    )


def parse_duration_ms(text):
    value, unit = re.match(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def run_wrk(url, cookie, *, duration, connections, threads):
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", out, re.MULTILINE))
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = (sum(map(int, socket_errors.groups())) if socket_errors else 0) + (
        int(non_2xx.group(1)) if non_2xx else 0
    )
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "p50": parse_duration_ms(latency["50"]),
        "p99": parse_duration_ms(latency["99"]),
        "errors": errors,
    }


def median_result(runs):
    """The median of each figure over the rounds; errors are summed, none may hide."""
    return {
        "rps": statistics.median(r["rps"] for r in runs),
        "p50": statistics.median(r["p50"] for r in runs),
        "p99": statistics.median(r["p99"] for r in runs),
        "errors": sum(r["errors"] for r in runs),
    }


def measure(args, env, base, pages, static_root) -> dict:
    """Serve the site with gunicorn under `env` and time each page with wrk, in rounds; each
    page's figures are medians over the rounds, with its throughput as a share of the bare
    view's in the same round."""
    gunicorn = start_gunicorn(env, base, args.workers)
    static_line = ""
    try:
        wait_until_up(base)
        for name, (path, cookie) in pages.items():
            _, body = preflight(base, path, cookie)
            if name == "home":
                static_line = check_static(base, body, static_root)
            # A short warm-up so that every worker has its connections and templates loaded.
            run_wrk(base + path, cookie, duration=2, connections=args.connections, threads=1)
        # Rounds of every page in turn: a slow spell of the machine touches every page alike,
        # and each figure below is the median over the rounds.
        rounds = {name: [] for name in pages}
        for number in range(1, args.rounds + 1):
            print(f"round {number}/{args.rounds}: wrk {args.duration}s per page ...", flush=True)
            for name, (path, cookie) in pages.items():
                rounds[name].append(
                    run_wrk(
                        base + path,
                        cookie,
                        duration=args.duration,
                        connections=args.connections,
                        threads=args.threads,
                    )
                )
        results = {name: median_result(runs) for name, runs in rounds.items()}
        for name in pages:
            pairs = zip(rounds[name], rounds["bare"], strict=True)
            results[name]["ratio"] = statistics.median(p["rps"] / b["rps"] for p, b in pairs)
    finally:
        stop_gunicorn(gunicorn)
    return {**results, "static_line": static_line}


def print_verdicts(results: dict, static_line: str) -> list[str]:
    """Print each page's figures against its target, then the static files' line; returns the
    names of the targets missed."""
    header = ("page", "req/s", "p50 ms", "p99 ms", "errors", "vs bare")
    print("{:<20} {:>9} {:>8} {:>8} {:>7} {:>8}  target".format(*header))
    missed = []
    for name, r in results.items():
        ratio = r["ratio"]
        target = TARGETS.get(name)
        verdict = ""
        if target is not None:
            ok = ratio >= target and r["errors"] == 0
            verdict = f">= {target:.0%} {'ok' if ok else 'MISSED'}"
            if not ok:
                missed.append(name)
        elif r["errors"]:
            verdict = "errors MISSED"
            missed.append(name)
        print(
            f"{name:<20} {r['rps']:>9.1f} {r['p50']:>8.2f} {r['p99']:>8.2f} {r['errors']:>7} "
            f"{ratio:>8.0%}  {verdict}"
        )
    print(static_line)
    if static_line.startswith("static: FAIL"):
        missed.append("static")
    for name in TARGETS:
        if name not in results:
            print(f"{name}: not measured")
    return missed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[1])
    parser.add_argument("--duration", type=int, default=5, help="seconds of wrk per page")
    parser.add_argument("--rounds", type=int, default=3, help="rounds over every page")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) + 1)
    parser.add_argument("--seed", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed:
        return _seed_in_process()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk")

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = production_env(port, database=DATABASE, data_dir=ROOT / "var" / "bench")
    static_root = Path(env["PICTUREUS_DATA_DIR"]) / "staticfiles"
    print(f"database {DATABASE}: migrate, collectstatic, seed ...", flush=True)
    fresh_database(DATABASE)
    manage(env, "migrate", "--no-input", "-v0")
    manage(env, "collectstatic", "--no-input", "-v0", "--clear")
    pages = seed(env)
    analyze(DATABASE)

    warm = measure(args, env, base, pages, static_root)
    static_line = warm.pop("static_line")
    # The render path itself: the page cache off, so every request renders its page (what a
    # customer's first view, or any view after a change, costs).
    cold_pages = {name: pages[name] for name in ("bare", "no-sessions", "dashboard", "gallery")}
    cold = measure(args, {**env, "PICTUREUS_PAGE_CACHE": "0"}, base, cold_pages, static_root)
    cold.pop("static_line")
    results = {**warm, **{f"{name} cold": r for name, r in cold.items() if name != "bare"}}
    print()
    print(
        f"gunicorn {args.workers} sync workers, DEBUG=0, PostgreSQL; "
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s, "
        f"median of {args.rounds} rounds"
    )
    missed = print_verdicts(results, static_line)
    print("all targets met" if not missed else f"targets missed: {', '.join(missed)}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
