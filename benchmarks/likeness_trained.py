"""Helper of benchmarks/likeness.py: its --trained-run mode, the likeness of the portraits of a
LoRA trained the project's way (described in the docstring of likeness.py, which runs it).
"""

import io
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from pictureus import faces  # noqa: E402
from tests.faces.dataset import detection_set  # noqa: E402

# The demo catalogue's negative prompt (accounts/management/commands/load_demo.py).
DEMO_NEGATIVE = "blurry, distorted, extra fingers, watermark, text"

TEST_IDENTITIES = ("hopper", "collins")
# Of the photos the upload checks accept, every HELD_OUT_EVERY-th is held out of training.
HELD_OUT_EVERY = 4
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif")


def setup_django() -> None:
    """Django's settings and apps (the trainer, the upload checks and the scoring use them);
    the tiny model is built under var/bench-likeness unless PICTUREUS_DATA_DIR says where."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pictureus.settings")
    os.environ.setdefault("PICTUREUS_DATA_DIR", str(ROOT / "var" / "bench-likeness"))
    import django

    django.setup()


def identity_files(identity: str) -> list[tuple[str, bytes]]:
    """One person's photos as uploaded files: a folder's files in name order, or a test
    identity's one-face photos of the detection set as JPEGs (as a phone would send them)."""
    if identity in TEST_IDENTITIES:
        files = []
        for item in detection_set():
            if item.faces == 1 and item.identity == identity:
                buffer = io.BytesIO()
                item.image.save(buffer, "JPEG", quality=95)
                files.append((item.name, buffer.getvalue()))
        return files
    folder = Path(identity)
    if not folder.is_dir():
        raise SystemExit(f"--identity {identity}: neither {TEST_IDENTITIES} nor a folder")
    return [
        (path.name, path.read_bytes())
        for path in sorted(folder.iterdir())
        if path.is_file() and path.suffix.lower() in PHOTO_SUFFIXES
    ]


def upload_checked(files: list[tuple[str, bytes]]) -> tuple[list, list[str]]:
    """The photos a session would accept, as (name, ProcessedPhoto), in order, and the
    refusals ("name: reason code"): the upload checks, near-duplicates included."""
    from sessions_app.photos import PhotoRejected, photo_process

    accepted, refused = [], []
    for name, data in files:
        try:
            processed = photo_process(data, known_hashes=[p.phash for _, p in accepted])
        except PhotoRejected as rejected:
            refused.append(f"{name}: {rejected.code}")
            continue
        accepted.append((name, processed))
    return accepted, refused


def control_references(identity: str) -> list:
    """A test identity's descriptors, one per one-face photo of the detection set."""
    references = []
    for item in detection_set():
        if item.faces == 1 and item.identity == identity:
            found = faces.find_faces(item.image)
            if len(found) == 1:
                references.append(faces.descriptor(found[0]))
    return references


def distribution(scores: list, threshold: float) -> str:
    """min / p10 / median / p90 / max of the scores (None: no single face) and the share of
    all portraits at or above the threshold."""
    scored = np.array([s for s in scores if s is not None], dtype=float)
    passing = int((scored >= threshold).sum()) if scored.size else 0
    share = f">= {threshold}: {passing}/{len(scores)} ({100 * passing / max(1, len(scores)):.0f}%)"
    if not scored.size:
        return f"no portrait scored, the distribution is empty; {share}"
    low, p10, median, p90, high = np.percentile(scored, [0, 10, 50, 90, 100])
    return f"min {low:.3f} p10 {p10:.3f} median {median:.3f} p90 {p90:.3f} max {high:.3f}; {share}"


@dataclass
class PortraitRun:
    """The portraits of a trained run, scored, and how they were made."""

    controls: dict  # each control identity's descriptors
    styles: int
    scores: list = field(default_factory=list)  # (held-out score, {control: score}) per portrait
    per_batch: int = 0
    steps: int = 0
    generate_seconds: float = 0.0
    score_seconds: float = 0.0


def identity_split(identity: str, name: str) -> tuple[list, list] | None:
    """The identity's photos through the upload checks, split into the training photos and the
    held-out ones (every HELD_OUT_EVERY-th accepted), with what the checks refused printed;
    None when too few were accepted to hold one out."""
    from django.conf import settings

    from generation.services.plans import LIKENESS_THRESHOLD

    files = identity_files(identity)
    accepted, refused = upload_checked(files)
    held_out = [p for i, (_, p) in enumerate(accepted) if i % HELD_OUT_EVERY == HELD_OUT_EVERY - 1]
    training = [p for i, (_, p) in enumerate(accepted) if i % HELD_OUT_EVERY != HELD_OUT_EVERY - 1]
    print(f"trained run: base model {settings.PICTUREUS_BASE_MODEL or 'tiny (built in code)'}")
    print(f"  identity {name}: {len(files)} photos, {len(accepted)} accepted by the upload checks")
    if refused:
        print(f"    refused: {'; '.join(refused)}")
    if not held_out or not training:
        print(f"FAILED: {len(accepted)} photos accepted; at least {HELD_OUT_EVERY} are needed")
        return None
    print(f"  training on {len(training)}, holding out {len(held_out)} (every {HELD_OUT_EVERY}th)")
    own = [faces.likeness(p.descriptor, [t.descriptor for t in training]) for p in held_out]
    print(f"  held-out photos against the training photos: {distribution(own, LIKENESS_THRESHOLD)}")
    return training, held_out


def trained_lora(args, training: list) -> tuple:
    """A LoRA trained the project's way on the training photos, on the configured base model;
    the session it was trained for, its TrainingConfig and the LoRA."""
    from dataclasses import replace

    from generation.pipeline import resident
    from generation.pipeline.jobs import training_config
    from generation.pipeline.train import train_lora
    from sessions_app.models import PhotoSession, Plan

    # A session with a plan of family defaults (all zeros), as a real job builds its config.
    plan = Plan(slug="bench-likeness")
    photo_session = PhotoSession(pk=args.seed, plan=plan)
    config = training_config(photo_session)
    if args.steps:
        config = replace(config, steps=args.steps)
    photos = [(Image.open(io.BytesIO(p.jpeg)), p.face_box) for p in training]
    load_started = time.perf_counter()
    with resident.borrowed() as base:
        loaded = time.perf_counter() - load_started
        result = train_lora(base, photos, config)
    print(
        f"  base model ({base.family} on {base.device}, {str(base.dtype).removeprefix('torch.')}) "
        f"loaded in {loaded:.1f} s; LoRA: {config.steps} steps, rank {config.rank}, "
        f"lr {config.learning_rate:g}, {config.resolution} px, batch {config.batch_size}, "
        f"trained in {result['seconds']:.1f} s"
    )
    return photo_session, config, result["lora"]


def portraits_scored(args, photo_session, resolution: int, lora: bytes, held_refs) -> PortraitRun:
    """--portraits portraits with the LoRA fused as a generation job fuses it, in turn in the
    demo catalogue's styles, seeds 0, 1, 2, ..., each scored (and saved with --save)."""
    from accounts.management.commands.load_demo import STYLES
    from generation.pipeline import resident
    from generation.pipeline.generate import batch_size, generate_images, lora_fuse
    from generation.services.portraits import style_prompts
    from sessions_app.models import StylePack

    styles = [
        StylePack(slug=slug, prompt_template=prompt, negative_prompt=DEMO_NEGATIVE)
        for slug, _en, _ko, _de, _dk, prompt in STYLES
    ]
    wanted = [(i, styles[i % len(styles)]) for i in range(args.portraits)]
    controls = {c: control_references(c) for c in TEST_IDENTITIES if c != args.identity}
    run = PortraitRun(controls=controls, styles=len(styles))
    if args.save:
        args.save.mkdir(parents=True, exist_ok=True)
    with resident.borrowed() as base:
        lora_fuse(base, lora, "bench_likeness")
        run.per_batch = batch_size(base)
        for style in styles:
            seeds = [i for i, s in wanted if s is style]
            prompt, negative = style_prompts(photo_session=photo_session, style=style)
            for at in range(0, len(seeds), run.per_batch):
                batch = seeds[at : at + run.per_batch]
                begun = time.perf_counter()
                images = generate_images(
                    base,
                    prompt=prompt,
                    negative_prompt=negative,
                    seeds=batch,
                    resolution=resolution,
                )
                run.generate_seconds += time.perf_counter() - begun
                score_portraits(args, run, style, zip(batch, images, strict=True), held_refs)
        run.steps = base.inference_defaults()["steps"]
    return run


def score_portraits(args, run: PortraitRun, style, made, held_refs) -> None:
    """Score each (seed, portrait) made against the held-out photos (timed) and against each
    control; save it under its seed, style and score when --save says where."""
    from generation.likeness import portrait_likeness

    for seed, image in made:
        begun = time.perf_counter()
        held = portrait_likeness(image, held_refs)
        run.score_seconds += time.perf_counter() - begun
        other = {c: portrait_likeness(image, refs) for c, refs in run.controls.items()}
        run.scores.append((held, other))
        if args.save:
            label = "none" if held is None else f"{held:.3f}"
            image.save(args.save / f"{seed:03d}-{style.slug}-{label}.png")


def trained_report(args, run: PortraitRun, *, name, family, resolution, held, started) -> None:
    """Print the trained run's figures: faces found, the likeness distributions against the
    held-out photos (`held` of them) and each control, and the time per portrait."""
    from generation.services.plans import LIKENESS_THRESHOLD

    scores = run.scores
    count = len(scores)
    one_face = sum(1 for held, _ in scores if held is not None)
    print(
        f"  {count} portraits ({run.styles} styles of the demo catalogue, seeds 0-{count - 1}, "
        f"{run.steps} denoising steps, {resolution} px, batches of {run.per_batch})"
    )
    print(f"  with exactly one face: {one_face}/{count}")
    held_line = distribution([held for held, _ in scores], LIKENESS_THRESHOLD)
    print(f"  against the held-out {name} photos ({held}): {held_line}")
    for control, refs in run.controls.items():
        line = distribution([other[control] for _, other in scores], LIKENESS_THRESHOLD)
        print(f"  control, against {control} ({len(refs)} photos): {line}")
    per_portrait = (run.generate_seconds + run.score_seconds) / max(1, count)
    print(
        f"  time per portrait: {per_portrait:.2f} s ({run.generate_seconds / max(1, count):.2f} s "
        f"to generate, {run.score_seconds / max(1, count) * 1e3:.0f} ms to score); "
        f"whole run {time.perf_counter() - started:.0f} s"
    )
    if args.save:
        print(f"  portraits saved in {args.save}")
    if family == "tiny":
        print(
            "NOTE: the tiny built-in model's images are noise without a face, so no portrait is "
            "scored and the distribution is empty: this was a smoke run of the mode. The real "
            "figures need PICTUREUS_BASE_MODEL naming a real model, on a GPU."
        )
    passing = sum(1 for held, _ in scores if held is not None and held >= LIKENESS_THRESHOLD)
    print(
        f"RESULT trained run ({family}, {name}): {one_face}/{count} with one face, "
        f"{passing}/{count} >= {LIKENESS_THRESHOLD} against held-out photos, "
        f"{per_portrait:.2f} s/portrait"
    )


def trained_run(args) -> int:
    """--trained-run: train a LoRA on the identity's photos, then generate and score its
    portraits against the held-out photos and the controls (see the module's docstring)."""
    setup_django()
    from generation.services.plans import model_family

    started = time.perf_counter()
    family = model_family()
    identity = args.identity
    name = identity if identity in TEST_IDENTITIES else Path(identity).name
    split = identity_split(identity, name)
    if split is None:
        return 1
    training, held_out = split
    held_refs = [p.descriptor for p in held_out]
    photo_session, config, lora = trained_lora(args, training)
    run = portraits_scored(args, photo_session, config.resolution, lora, held_refs)
    trained_report(
        args,
        run,
        name=name,
        family=family,
        resolution=config.resolution,
        held=len(held_refs),
        started=started,
    )
    return 0
