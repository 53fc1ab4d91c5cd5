"""Photo pipeline benchmark: the whole per-photo pipeline against a bare Pillow decode + encode.

    .venv/bin/python benchmarks/photo_pipeline.py [--photos 4] [--repeat 3]

Generates 12-megapixel JPEG and HEIC photos of a face (scikit-image's astronaut, scaled and
placed in a textured frame, each photo framed differently), then for each file measures:
- time of `sessions_app.photos.photo_process` (sniff, decode, orient, strip, re-encode,
  thumbnail, face / size / sharpness / perceptual-hash checks), best of --repeat;
- time of a bare Pillow `open + load + save as JPEG` of the same bytes, best of --repeat;
- peak memory in a fresh process per file, as the rise of the peak RSS over its start;
  "one decoded image" is the measured rise of a bare decode alone (in its own process).
Targets: pipeline time <= 2x bare, pipeline peak memory <= 4x one decoded image. The last line
prints the figures; exit status 1 when a target is missed.
"""

import argparse
import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pictureus.settings")
os.environ.setdefault("OMP_NUM_THREADS", "1")

TIME_TARGET = 2.0
MEMORY_TARGET = 4.0
WIDTH, HEIGHT = 4000, 3000  # 12 megapixels


def make_photos(count: int) -> list[tuple[str, bytes]]:
    import numpy as np
    from PIL import Image
    from pillow_heif import register_heif_opener
    from skimage import data

    register_heif_opener()
    rng = np.random.default_rng(7)
    face = Image.fromarray(data.astronaut())
    photos = []
    for n in range(count):
        # A noisy background like a real room, the subject filling most of the height.
        noise = rng.integers(60, 200, size=(HEIGHT // 8, WIDTH // 8, 3), dtype=np.uint8)
        canvas = Image.fromarray(noise).resize((WIDTH, HEIGHT), Image.Resampling.BILINEAR)
        side = 2200 + 200 * n
        subject = face.resize((side, side), Image.Resampling.BICUBIC)
        if n % 2:
            subject = subject.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        canvas.paste(subject, (300 + 200 * n, (HEIGHT - side) // 2))
        for fmt in ("JPEG", "HEIF"):
            out = io.BytesIO()
            canvas.save(out, fmt, quality=90)
            photos.append((f"{fmt.lower()}-{n}", out.getvalue()))
    return photos


def bare(data: bytes) -> None:
    from PIL import Image

    image = Image.open(io.BytesIO(data))
    image.load()
    image.save(io.BytesIO(), "JPEG", quality=90)


def decode_only(data: bytes) -> None:
    from PIL import Image

    Image.open(io.BytesIO(data)).load()


def pipeline(data: bytes) -> None:
    from sessions_app.photos import photo_process

    photo_process(data)


def _rss_kb() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def peak_rise_mb(func_name: str, path: Path) -> float:
    """Run one function on one file in a fresh process; how far its peak RSS rose (MB)."""
    out = subprocess.run(  # noqa: S603
        [sys.executable, __file__, "--child", func_name, str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(out.stdout.strip().splitlines()[-1]) / 1024


def child(func_name: str, path: str) -> None:
    import django

    django.setup()
    from pillow_heif import register_heif_opener

    from pictureus import faces

    register_heif_opener()  # as the upload check does before its first HEIC photo
    faces.load_models()  # loaded once per worker, not per photo
    data = Path(path).read_bytes()
    func = {"bare": bare, "decode": decode_only, "pipeline": pipeline}[func_name]
    start = _rss_kb()
    # Reset the peak so it measures this call only, from here.
    Path("/proc/self/clear_refs").write_text("5")
    func(data)
    with open("/proc/self/status") as fh:
        hwm = next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:"))
    print(max(0, hwm - start))


def best_time(func, data: bytes, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func(data)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=4, help="photos per format")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return 0

    import django

    django.setup()
    # Warm up: load OpenCV's cascade and the HEIF plugin outside the measurements.
    photos = make_photos(args.photos)
    pipeline(photos[0][1])
    bare(photos[0][1])

    print(
        f"{'photo':<8} {'MB':>5} {'bare s':>7} {'pipe s':>7} {'ratio':>6} "
        f"{'decode MB':>9} {'pipe MB':>8} {'mem x':>6}"
    )
    total_bare = total_pipe = 0.0
    by_format = {"jpeg": [0.0, 0.0], "heif": [0.0, 0.0]}
    worst_mem = 0.0
    decoded_mb = 0.0
    folder = Path(tempfile.mkdtemp(prefix="photo-bench-"))
    for name, data in photos:
        t_bare = best_time(bare, data, args.repeat)
        t_pipe = best_time(pipeline, data, args.repeat)
        path = folder / name
        path.write_bytes(data)
        decoded_mb = peak_rise_mb("decode", path)
        pipe_mb = peak_rise_mb("pipeline", path)
        path.unlink()
        mem_ratio = pipe_mb / decoded_mb if decoded_mb else float("inf")
        worst_mem = max(worst_mem, mem_ratio)
        total_bare += t_bare
        total_pipe += t_pipe
        by_format[name.split("-")[0]][0] += t_pipe
        by_format[name.split("-")[0]][1] += t_bare
        print(
            f"{name:<8} {len(data) / 1e6:>5.1f} {t_bare:>7.3f} {t_pipe:>7.3f} "
            f"{t_pipe / t_bare:>6.2f} {decoded_mb:>9.1f} {pipe_mb:>8.1f} {mem_ratio:>6.2f}"
        )
    folder.rmdir()
    ratio = total_pipe / total_bare
    ok = ratio <= TIME_TARGET and worst_mem <= MEMORY_TARGET
    print(
        f"photos={len(photos)} 12MP JPEG+HEIC: pipeline/bare time {ratio:.2f}x "
        f"(JPEG {by_format['jpeg'][0] / by_format['jpeg'][1]:.2f}x, "
        f"HEIC {by_format['heif'][0] / by_format['heif'][1]:.2f}x; "
        f"target <= {TIME_TARGET:g}x), peak memory {worst_mem:.2f}x one decoded image "
        f"(target <= {MEMORY_TARGET:g}x): {'OK' if ok else 'MISSED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
