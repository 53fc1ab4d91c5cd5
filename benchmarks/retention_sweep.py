"""Retention sweep benchmark: does the sweep's cost grow with what is due, not with the table?

    .venv/bin/python benchmarks/retention_sweep.py [--rows 1000000] [--due 10000]

Builds a throw-away database (DATABASE_URL's server, or SQLite) and a private folder, then:
- big table: --rows photo rows (20 per delivered session), of which --due are past the 30-day
  originals period, each of those with a real file on disk;
- small table: --due rows, all due, with their files;
and times `privacy.services.retention_sweep` over each. Prints both times, their ratio
(target: <= 2x) and the files deleted per second; exit status 1 when the target is missed.
"""

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PHOTOS_PER_SESSION = 20
TARGET_RATIO = 2.0


def setup_django(data_dir):
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pictureus.settings")
    os.environ["PICTUREUS_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("PICTUREUS_TESTING", "1")
    os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    return connection


def populate(*, rows, due, storage_dir):
    """Insert `rows` photos in delivered sessions; the first `due` are past the period."""
    import datetime

    from django.utils import timezone

    from accounts.models import User
    from sessions_app.models import PhotoSession, Plan, SourcePhoto

    plan = Plan.objects.get_or_create(slug="bench", defaults={"name_en": "B", "name_ko": "B"})[0]
    user = User.objects.create_user(email=f"bench-{time.monotonic_ns()}@example.com")
    now = timezone.now()
    old, recent = now - datetime.timedelta(days=45), now - datetime.timedelta(days=2)
    sessions_total = rows // PHOTOS_PER_SESSION
    sessions_due = due // PHOTOS_PER_SESSION
    created = 0
    batch = 2000
    while created < sessions_total:
        n = min(batch, sessions_total - created)
        objs = [
            PhotoSession(
                user=user,
                plan=plan,
                state="delivered",
                currency="usd",
                amount=1900,
                delivered_at=old if created + i < sessions_due else recent,
            )
            for i in range(n)
        ]
        objs = PhotoSession.objects.bulk_create(objs)
        photos = []
        for i, ps in enumerate(objs):
            is_due = created + i < sessions_due
            for k in range(PHOTOS_PER_SESSION):
                name = f"sessions/{ps.public_id}/originals/{k}.jpg"
                if is_due:
                    path = storage_dir / name
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(b"x" * 2048)
                photos.append(
                    SourcePhoto(photo_session=ps, image=name, sha256="0" * 64, width=1, height=1)
                )
        SourcePhoto.objects.bulk_create(photos, batch_size=5000)
        created += n
    return user


def timed_sweep():
    from privacy import services

    start = time.perf_counter()
    result = services.retention_sweep()
    return time.perf_counter() - start, result["photos"]


def clear():
    from django.db import connection

    from sessions_app.models import PhotoSession

    # The ledgers are append-only; the benchmark throws the whole database away afterwards.
    with connection.cursor() as cursor:
        for table in ("sessions_app_sourcephoto", "sessions_app_sessiontransition"):
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
    PhotoSession.objects.all().delete()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=10_000)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="pictureus-bench-retention-"))
    connection = setup_django(data_dir)
    storage_dir = data_dir / "private"
    try:
        t0 = time.perf_counter()
        populate(rows=args.rows, due=args.due, storage_dir=storage_dir)
        print(
            f"built {args.rows:,} photo rows ({args.due:,} due) in {time.perf_counter() - t0:.1f}s"
        )
        big_time, big_deleted = timed_sweep()
        clear()
        populate(rows=args.due, due=args.due, storage_dir=storage_dir)
        small_time, small_deleted = timed_sweep()
        ratio = big_time / small_time
        print(
            f"sweep over {args.rows:,} rows ({args.due:,} due): "
            f"{big_time:.2f}s, {big_deleted:,} deleted"
        )
        print(
            f"sweep over {args.due:,} rows (all due): {small_time:.2f}s, {small_deleted:,} deleted"
        )
        print(
            f"files deleted per second: {small_deleted / small_time:,.0f} (small), "
            f"{big_deleted / big_time:,.0f} (big)"
        )
        ok = ratio <= TARGET_RATIO and big_deleted == args.due == small_deleted
        print(
            f"ratio big/small: {ratio:.2f}x (target <= {TARGET_RATIO}x): {'OK' if ok else 'MISSED'}"
        )
        return 0 if ok else 1
    finally:
        connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
