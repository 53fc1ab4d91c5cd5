"""Export benchmark: building a customer's data export of --gb gigabytes of photos.

    .venv/bin/python benchmarks/export.py [--gb 2] [--file-mb 8]

Builds a throw-away database and private folder holding one customer with --gb of photo files
(incompressible bytes, --file-mb each), then measures:
- a plain read of the same files from disk (1 MiB chunks), as the reference throughput;
- `privacy.services.export_build` (zip written to a temporary file, then to the private storage):
  its time, throughput and peak memory (rise of the process's peak RSS while it runs).
Target: peak memory under 150 MB whatever the size. Exit status 1 when it is missed.
"""

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from retention_sweep import setup_django  # noqa: E402

TARGET_MB = 150


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def seed_photos(data_dir: Path, gb: float, file_mb: int) -> tuple:
    """One customer with `gb` of photo files (incompressible bytes, `file_mb` each), 20 to a
    session, in the database and the private folder; the customer and the files' paths."""
    from accounts.models import User
    from sessions_app.models import PhotoSession, Plan, SourcePhoto

    plan = Plan.objects.create(slug="bench", name_en="B", name_ko="B")
    user = User.objects.create_user(email="export-bench@example.com")
    files = int(gb * 1024 // file_mb)
    block = os.urandom(1 << 20)
    paths = []
    for s in range((files + 19) // 20):
        ps = PhotoSession.objects.create(
            user=user, plan=plan, state="delivered", currency="usd", amount=1
        )
        for k in range(min(20, files - s * 20)):
            name = f"sessions/{ps.public_id}/originals/{k}.jpg"
            path = data_dir / "private" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "wb") as fh:
                for _ in range(file_mb):
                    fh.write(block)
            paths.append(path)
            SourcePhoto.objects.create(
                photo_session=ps, image=name, sha256="0" * 64, width=1, height=1
            )
    return user, paths


def plain_read_seconds(paths: list[Path]) -> float:
    """Seconds to read the files from disk in 1 MiB chunks: the reference throughput."""
    start = time.perf_counter()
    for path in paths:
        with open(path, "rb") as fh:
            while fh.read(1 << 20):
                pass
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gb", type=float, default=2.0)
    parser.add_argument("--file-mb", type=int, default=8)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="pictureus-bench-export-"))
    connection = setup_django(data_dir)
    try:
        from privacy import services
        from privacy.models import DataExport

        user, paths = seed_photos(data_dir, args.gb, args.file_mb)
        total = sum(p.stat().st_size for p in paths)
        plain = plain_read_seconds(paths)

        before = peak_rss_mb()
        export = DataExport.objects.create(user=user)
        start = time.perf_counter()
        export = services.export_build(export=export)
        built = time.perf_counter() - start
        rise = max(0.0, peak_rss_mb() - before)

        gb = total / (1 << 30)
        print(
            f"photos: {len(paths)} files, {gb:.2f} GiB; "
            f"export zip: {export.size / (1 << 30):.2f} GiB"
        )
        print(f"plain disk read: {plain:.1f}s, {total / plain / (1 << 20):,.0f} MiB/s")
        print(
            f"export build: {built:.1f}s, {total / built / (1 << 20):,.0f} MiB/s "
            f"({plain / built:.2f}x plain read throughput)"
        )
        ok = rise < TARGET_MB
        print(
            f"peak memory rise during export: {rise:.0f} MB (process peak {peak_rss_mb():.0f} MB); "
            f"target < {TARGET_MB} MB: {'OK' if ok else 'MISSED'}"
        )
        return 0 if ok else 1
    finally:
        connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
