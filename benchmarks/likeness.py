"""Face benchmark: the upload checks' face detector, old and new, and the likeness descriptor.

    .venv/bin/python benchmarks/likeness.py [--repeat 3] [--folder DIR]

On the labelled detection set of the tests (tests/faces/dataset.py: two real identities in
plain, mirrored, rotated, dark, blurred, small and large variants; no-face images; two-face
composites), prints for the old detector (OpenCV's Haar cascade, as the upload checks ran it
until dlib replaced it) and the new one (dlib's HOG, `pictureus.faces.find_faces`):
precision and recall of the faces counted, and the time per photo (best of --repeat).
Then, for the likeness descriptor: the time to score one 512 px portrait (detection,
landmarks and descriptor), and how far apart the same person's photos and two people's
photos are (largest same-person distance, smallest different-person distance; the threshold
is 0.6). --folder DIR adds an operator's own labelled photos: one sub-folder per person.
Targets: recall and precision of the new detector >= the old one's; scoring a 512 px
portrait <= 100 ms on one core. Exit status 1 when one is missed.

--trained-run: the likeness of the portraits of a LoRA trained the project's way.

    .venv/bin/python benchmarks/likeness.py --trained-run            # tiny model: a smoke run
    PICTUREUS_BASE_MODEL=/models/... .venv/bin/python benchmarks/likeness.py --trained-run \
        --identity DIR [--portraits 20] [--save OUT]                  # a GPU worker: the figures

One person's photos (--identity: a folder of one person's photos, 12 or more, or `hopper`, the
default, or `collins`, the test identities of the detection set) go through the upload checks
(`sessions_app.photos.photo_process`, duplicates included: its face boxes, found by
`pictureus.faces`, and its descriptors); of those accepted, in file-name order, every 4th is held
out and the others train a LoRA with the project's trainer on the configured base model
(`resident.borrowed()`, `train.train_lora`, the TrainingConfig a session with a plan of family
defaults gets: steps, rank, learning rate and resolution of generation.services.plans.DEFAULTS;
--steps overrides the steps). The LoRA is fused as a generation job fuses it and --portraits
portraits (20) are made at the plan's resolution, in turn in the demo catalogue's four styles
(`load_demo`, prompts by `style_prompts`), seeds 0, 1, 2, ... Each portrait is scored by
`generation.likeness.portrait_likeness`, as production scores a candidate against a session's
accepted photos: here against the held-out photos' descriptors, and, as a control, against each
test identity not trained on (its one-face photos of the detection set). Printed: the portraits
with exactly one face, min / p10 / median / p90 / max likeness, the share at or above the
delivery threshold (plans.LIKENESS_THRESHOLD), the same against each control, the held-out photos'
own likeness to the training photos (what a real photo of the person scores), and the time per
portrait (generation, scoring). --save OUT writes the portraits there. A measurement: exit
status 0 unless the run fails (1: too few photos accepted). Without PICTUREUS_BASE_MODEL the
tiny model built in code runs it end to end on a CPU in well under 2 minutes, but its images are
noise without a face, so the distribution is empty: only a real model on a GPU gives figures.
The test identities are variants of one photo each: hopper gives 5 accepted photos (1 held
out, a turned copy of a training photo), collins 1 (her face is too small for the upload checks:
too few to run). The figures that count come from --identity with a folder of distinct photos.
"""

import argparse
import itertools
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMP_NUM_THREADS", "1")

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from pictureus import faces  # noqa: E402
from tests.faces.dataset import collins, detection_set, score  # noqa: E402

SCORE_TARGET_MS = 100


def haar_count(image: Image.Image, cascade) -> int:
    """The old upload check's detection: a 400 px greyscale copy, faces from 8% of its side."""
    grey = image.convert("L")
    scale = min(1.0, 400 / max(grey.size))
    grey = grey.resize((round(grey.width * scale), round(grey.height * scale)), Image.BOX)
    pixels = np.asarray(grey)
    smallest = max(24, int(min(pixels.shape) * 0.08 * 0.8))
    found = cascade.detectMultiScale(
        pixels, scaleFactor=1.15, minNeighbors=6, minSize=(smallest, smallest)
    )
    return len(found)


def best_time(function, items, repeat):
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        counts = [function(item.image) for item in items]
        best = min(best, time.perf_counter() - start)
    return counts, best / len(items)


def separation(named_images: list[tuple[str, Image.Image]]) -> tuple[float, float]:
    """Largest distance between two photos of one person, smallest between two people."""
    seen = []
    for person, image in named_images:
        found = faces.find_faces(image)
        if len(found) == 1:
            seen.append((person, faces.descriptor(found[0])))
    same, different = [], []
    for (a, da), (b, db) in itertools.combinations(seen, 2):
        (same if a == b else different).append(faces.distance(da, db))
    return max(same, default=float("nan")), min(different, default=float("nan"))


def folder_images(folder: Path) -> list[tuple[str, Image.Image]]:
    return [
        (person.name, Image.open(path).convert("RGB"))
        for person in sorted(p for p in folder.iterdir() if p.is_dir())
        for path in sorted(person.iterdir())
        if path.suffix.lower() in (".jpg", ".jpeg", ".png", ".webp")
    ]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--folder", type=Path)
    parser.add_argument("--trained-run", action="store_true", help="see the module's docstring")
    parser.add_argument(
        "--identity", default="hopper", help="hopper, collins, or a folder of one person's photos"
    )
    parser.add_argument("--portraits", type=int, default=20)
    parser.add_argument("--steps", type=int, default=0, help="training steps (0: the family's)")
    parser.add_argument("--seed", type=int, default=1, help="the training seed")
    parser.add_argument("--save", type=Path, help="write the portraits to this folder")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    if args.trained_run:
        # Its own module (a sibling: this folder is sys.path[0] when this file runs).
        from likeness_trained import trained_run

        return trained_run(args)

    items = detection_set()
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_alt.xml")
    faces.find_faces(items[0].image)  # load the models outside the timing
    old, old_time = best_time(lambda image: haar_count(image, cascade), items, args.repeat)
    new, new_time = best_time(lambda image: len(faces.find_faces(image)), items, args.repeat)
    old_p, old_r = score(old, items)
    new_p, new_r = score(new, items)
    print(f"detection set: {len(items)} photos, {sum(i.faces for i in items)} faces")
    print(f"  old (Haar cascade): precision {old_p:.3f} recall {old_r:.3f} {old_time * 1e3:.1f} ms")
    print(f"  new (dlib HOG):     precision {new_p:.3f} recall {new_r:.3f} {new_time * 1e3:.1f} ms")
    for item, n_old, n_new in zip(items, old, new, strict=True):
        if item.faces not in (n_old, n_new):
            print(f"    both wrong on {item.name!r}: {n_old} and {n_new} for {item.faces}")
        elif n_new != item.faces:
            print(f"    new wrong on {item.name!r}: {n_new} for {item.faces}")

    portrait = collins().resize((512, 512))
    faces.descriptor(faces.find_faces(portrait)[0])
    timings = []
    for _ in range(max(5, args.repeat)):
        start = time.perf_counter()
        faces.descriptor(faces.find_faces(portrait)[0])
        timings.append(time.perf_counter() - start)
    score_ms = min(timings) * 1e3
    print(f"likeness: one 512 px portrait scored in {score_ms:.1f} ms", end=" ")
    print(f"(target <= {SCORE_TARGET_MS})")
    one_face = [(item.identity, item.image) for item in items if item.faces == 1]
    same, different = separation(one_face)
    print(
        f"  test identities: same person up to {same:.3f}, two people from {different:.3f} "
        f"(threshold {faces.SAME_PERSON_DISTANCE})"
    )
    if args.folder:
        same, different = separation(folder_images(args.folder))
        print(f"  {args.folder}: same person up to {same:.3f}, two people from {different:.3f}")

    met = new_p >= old_p and new_r >= old_r and score_ms <= SCORE_TARGET_MS
    print(
        f"RESULT detection P/R old {old_p:.3f}/{old_r:.3f} new {new_p:.3f}/{new_r:.3f}, "
        f"{old_time * 1e3:.0f} -> {new_time * 1e3:.0f} ms/photo; score {score_ms:.0f} ms/portrait: "
        f"{'targets met' if met else 'TARGET MISSED'}"
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
