"""Ours against diffusers' own, unmodified train_dreambooth_lora.py (training.py --reference).

Both trainers run as whole programs, each in a process of its own under the same interpreter
(the reference venv: torch 2.14.1, torchvision, accelerate, transformers, tensorboard and the
project's dependencies; see training.py's docstring), on one thread, on the CPU, on the same
tiny model folder and the same face crops saved as PNG files, with the same prompt, rank,
resolution, batch size 1, learning rate, seed and precision (float32).

What a figure measures. Each program is run twice: for `warmup` steps and for `warmup + steps`.
Everything but the extra steps (interpreter start-up, imports, model loading, photo loading, the
caches ours makes, saving the LoRA, the pipeline the reference loads again at the end) is the
same in both runs and cancels in the difference, so steps/s = steps / (long run - short run).
The clock is the child's own CPU time (user + system, from wait4): on one thread it is its wall
time less what other processes on this shared 2-core machine took from it; wall time is printed
too. Peak memory is the long run's peak resident set size, whole process, from wait4 (that
child's own: getrusage(RUSAGE_CHILDREN) would give the largest child so far). A child's peak
counts its parent's resident memory at the fork, so this process imports nothing heavy and the
inputs are made in a child of their own. The programs alternate (ours, reference, ours,
reference) and each figure is the median over the rounds.

The children, run through this file:
- `prepare RESOLUTION PHOTOS` (the project's venv): the tiny model's diffusers folder
  (generation.pipeline.tiny.ensure) and the face crops of benchmarks/training.py's photos() as
  PNG files, made once under var/bench-generation/reference/;
- `ours --model DIR --photos-dir DIR --output DIR ...` (the reference venv): the "ours" program,
  generation.pipeline.train.train_lora on those files, writing pytorch_lora_weights.safetensors
  as the reference does. It configures Django's settings (generation.pipeline reads them) but
  does not call django.setup(): the web apps' models are no part of training (they add ~30 MB
  of resident memory, a Celery worker's share, that the reference program has no counterpart
  of; --ours-django-setup puts them in).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRATCH = ROOT / "var" / "bench-generation" / "reference"
DEFAULT_SCRIPT = ROOT.parent / "shared" / "reference" / "train_dreambooth_lora.py"
DEFAULT_PYTHON = ROOT.parent / "refvenv" / "bin" / "python"
PROMPT = "a photo of ohwx person"
LEARNING_RATE = 1e-4
TARGET_SPEEDUP = 1.5
# Modules the reference imports that the project's venv lacks (and the project's own).
NEEDED = "torch, torchvision, accelerate, transformers, tensorboard, diffusers, peft, django"


def child_env() -> dict:
    """One thread, the CPU only, nothing fetched from a hub: the same for both programs."""
    env = dict(os.environ)
    env.update(
        OMP_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        CUDA_VISIBLE_DEVICES="",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        HF_HUB_DISABLE_TELEMETRY="1",
        TOKENIZERS_PARALLELISM="false",
        PICTUREUS_DATA_DIR=str(SCRATCH.parent),
    )
    for name in ("PICTUREUS_TORCH_THREADS", "PICTUREUS_BASE_MODEL", "PYTHONPATH"):
        env.pop(name, None)
    return env


def measured(cmd: list[str], log: Path) -> dict:
    """Run `cmd` to the end; its wall seconds, CPU seconds and peak RSS (MiB), its own."""
    with open(log, "w") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=child_env(), stdout=out, stderr=out)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        tail = log.read_text(errors="replace")[-4000:]
        raise SystemExit(f"exit {proc.returncode}: {' '.join(cmd)}\n{tail}")
    # ru_maxrss is in KiB on Linux.
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "peak_mb": usage.ru_maxrss / 1024}


def prepare(args) -> tuple[Path, Path]:
    """The tiny model's diffusers folder and a folder of the face crops as PNG files, read by
    both programs. Made by this interpreter (the project's venv: the photos come from the
    tests' face generator) in a child, so that this process stays small: a child's peak RSS
    counts its parent's at the fork."""
    cmd = [sys.executable, __file__, "prepare", str(args.resolution), str(args.photos)]
    out = subprocess.run(cmd, cwd=ROOT, env=child_env(), capture_output=True, text=True)
    lines = [line for line in out.stdout.splitlines() if line.startswith("PREPARED ")]
    if out.returncode != 0 or not lines:
        raise SystemExit(f"preparing failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
    model, folder = json.loads(lines[-1][len("PREPARED ") :])
    return Path(model), Path(folder)


def prepared(resolution: int, count: int) -> None:
    """The child of prepare(): makes (once) and prints the model folder and the photo folder."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from training import photos, setup_django

    setup_django(SCRATCH.parent)
    from generation.pipeline import tiny
    from generation.pipeline.train import face_crop

    model = tiny.ensure(SCRATCH.parent)
    folder = SCRATCH / f"photos-{resolution}-{count}"
    if not folder.is_dir():
        tmp = folder.with_name(folder.name + ".tmp")
        tmp.mkdir(parents=True, exist_ok=True)
        for i, (image, box) in enumerate(photos(count)):
            face_crop(image, box, resolution).save(tmp / f"photo-{i:02d}.png")
        tmp.rename(folder)
    print("PREPARED " + json.dumps([str(model), str(folder)]), flush=True)


def reference_cmd(args, model: Path, folder: Path, steps: int, output: Path) -> list[str]:
    return [
        str(args.reference_python), str(args.reference_script),
        "--pretrained_model_name_or_path", str(model),
        "--instance_data_dir", str(folder),
        "--instance_prompt", PROMPT,
        "--resolution", str(args.resolution),
        "--train_batch_size", str(args.batch_size),
        "--rank", str(args.rank),
        "--max_train_steps", str(steps),
        "--learning_rate", str(LEARNING_RATE),
        "--mixed_precision", "no",
        "--seed", "0",
        "--output_dir", str(output),
        "--checkpointing_steps", str(10**9),
    ]  # fmt: skip


def ours_cmd(args, model: Path, folder: Path, steps: int, output: Path) -> list[str]:
    return [
        str(args.reference_python), __file__, "ours",
        "--model", str(model),
        "--photos-dir", str(folder),
        "--output", str(output),
        "--resolution", str(args.resolution),
        "--batch-size", str(args.batch_size),
        "--rank", str(args.rank),
        "--steps", str(steps),
    ] + (["--django-setup"] if args.ours_django_setup else [])  # fmt: skip


def check_python(python: Path) -> None:
    how = "see the docstring of benchmarks/training.py for how to make it"
    if not python.is_file():
        raise SystemExit(f"--reference-python {python}: no such interpreter ({how})")
    probe = subprocess.run(
        [str(python), "-c", f"import {NEEDED}"], capture_output=True, text=True, check=False
    )
    if probe.returncode != 0:
        raise SystemExit(f"--reference-python {python} lacks a module ({how}):\n{probe.stderr}")


def one_round(args, model: Path, folder: Path, number: int) -> dict:
    """Both programs, short then long, alternating; each one's steps/s and peak."""
    runs: dict[str, dict[int, dict]] = {"ours": {}, "reference": {}}
    builders = {"ours": ours_cmd, "reference": reference_cmd}
    for steps in (args.warmup, args.warmup + args.steps):
        for side, build in builders.items():
            output = SCRATCH / "out" / side
            cmd = build(args, model, folder, steps, output)
            runs[side][steps] = measured(cmd, SCRATCH / f"{side}-{steps}.log")
    result = {}
    for side, by_steps in runs.items():
        short, long = by_steps[args.warmup], by_steps[args.warmup + args.steps]
        result[side] = {
            "steps_per_s": args.steps / (long["cpu"] - short["cpu"]),
            "wall_steps_per_s": args.steps / (long["wall"] - short["wall"]),
            "peak_mb": long["peak_mb"],
            "long_wall": long["wall"],
        }
    ratio = result["ours"]["steps_per_s"] / result["reference"]["steps_per_s"]
    print(f"round {number}: " + "  ".join(
        f"{side} {r['steps_per_s']:.2f} steps/s, {r['peak_mb']:.0f} MiB"
        for side, r in result.items()
    ) + f"  ({ratio:.2f}x)", flush=True)  # fmt: skip
    return result


def median_of(rounds: list[dict], side: str, key: str) -> float:
    return statistics.median(r[side][key] for r in rounds)


def compare(args) -> int:
    """The --reference mode: prints steps/s and peak memory of both and the ratios."""
    args.reference_python = Path(args.reference_python).absolute()
    args.reference_script = Path(args.reference_script).resolve()
    if not args.reference_script.is_file():
        raise SystemExit(f"--reference-script {args.reference_script}: no such file")
    check_python(args.reference_python)
    model, folder = prepare(args)
    (SCRATCH / "out").mkdir(parents=True, exist_ok=True)
    print(f"reference: {args.reference_script}\ninterpreter: {args.reference_python}")
    print(f"setup: tiny model, {args.photos} photos, {args.resolution} px, rank {args.rank}, "
          f"batch {args.batch_size}, float32, CPU, 1 thread; steps/s = {args.steps} / "
          f"(run of {args.warmup + args.steps} steps - run of {args.warmup}), "
          f"median of {args.rounds} rounds")  # fmt: skip
    rounds = [one_round(args, model, folder, n + 1) for n in range(args.rounds)]
    figures = {
        side: {key: median_of(rounds, side, key) for key in rounds[0][side]}
        for side in ("ours", "reference")
    }
    ours, ref = figures["ours"], figures["reference"]
    print(f"{'':34}{'steps/CPU s':>12}{'steps/wall s':>14}{'peak MiB':>10}")
    for name, r in (("ours (train_lora)", ours), ("reference (train_dreambooth_lora)", ref)):
        print(f"{name:34}{r['steps_per_s']:>12.2f}{r['wall_steps_per_s']:>14.2f}"
              f"{r['peak_mb']:>10.0f}")  # fmt: skip
    speedup = ours["steps_per_s"] / ref["steps_per_s"]
    memory = ours["peak_mb"] / ref["peak_mb"]
    speed_ok, memory_ok = speedup >= TARGET_SPEEDUP, memory <= 1.0
    print(f"speed-up: {speedup:.2f}x CPU time, "
          f"{ours['wall_steps_per_s'] / ref['wall_steps_per_s']:.2f}x wall "
          f"(target >= {TARGET_SPEEDUP}x) {'OK' if speed_ok else 'MISSED'}")  # fmt: skip
    print(f"peak memory: ours {memory:.2f}x the reference's (target <= 1.00x) "
          f"{'OK' if memory_ok else 'MISSED'}")  # fmt: skip
    return 0 if speed_ok and memory_ok else 1


def ours(argv: list[str]) -> None:
    """The "ours" program: train_lora on the PNG files, the LoRA written as a file."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--photos-dir", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--resolution", type=int, required=True)
    parser.add_argument("--batch-size", type=int, required=True)
    parser.add_argument("--rank", type=int, required=True)
    parser.add_argument("--steps", type=int, required=True)
    parser.add_argument("--django-setup", action="store_true")
    args = parser.parse_args(argv)
    # Django's settings, which generation.pipeline reads; not django.setup(): the web apps'
    # models (allauth, Celery beat, ...) are no part of training.
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pictureus.settings")
    os.environ["PICTUREUS_DATA_DIR"] = str(SCRATCH.parent)
    if args.django_setup:
        import django

        django.setup()
    from PIL import Image

    from generation.pipeline.base import BaseModel
    from generation.pipeline.generate import LORA_FILENAME
    from generation.pipeline.train import TrainingConfig, train_lora

    base = BaseModel.load(args.model)
    photos = [(Image.open(p), None) for p in sorted(Path(args.photos_dir).iterdir())]
    config = TrainingConfig(
        rank=args.rank,
        steps=args.steps,
        learning_rate=LEARNING_RATE,
        resolution=args.resolution,
        prompt=PROMPT,
        seed=0,
        batch_size=args.batch_size,
    )
    result = train_lora(base, photos, config)
    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    (output / LORA_FILENAME).write_bytes(result["lora"])


if __name__ == "__main__":
    if sys.argv[1:2] == ["ours"]:
        ours(sys.argv[2:])
    elif sys.argv[1:2] == ["prepare"]:
        prepared(int(sys.argv[2]), int(sys.argv[3]))
    else:
        raise SystemExit("run benchmarks/training.py --reference: this file holds its children")
