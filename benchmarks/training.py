"""Training and generation benchmark: ours against diffusers' DreamBooth-LoRA algorithm.

    .venv/bin/python benchmarks/training.py                   # tiny model, 128 px, plus end-to-end
    .venv/bin/python benchmarks/training.py --base-model PATH --resolution 512 --steps 50
    .venv/bin/python benchmarks/training.py --sd15-random     # GPU: SD1.5-sized, 512 px
    .venv/bin/python benchmarks/training.py --sdxl-random     # GPU: SDXL-sized, 1024 px
    .venv/bin/python benchmarks/training.py --sd15-random --resolution 256 --steps 3 \
        --warmup 1 --images 1 --photos 4 --repeats 1          # the same on a CPU, in minutes
    .venv/bin/python benchmarks/training.py --sdxl-random --resolution 128 --steps 3 \
        --warmup 1 --images 1 --photos 4 --repeats 1          # CPU: needs ~16 GB of RAM
    .venv/bin/python benchmarks/training.py --reference       # vs diffusers' own script (below)

Default mode, on the same model, photos, rank, resolution and batch size:
- training steps/s and peak memory of our loop (latents and prompt embedding cached once) and of
  a baseline loop that does what diffusers' examples/dreambooth/train_dreambooth_lora.py does
  each step (VAE-encode the batch, run the text encoder, then the UNet with its LoRA);
- generation seconds per image with the LoRA;
- the time from `queued` to `delivered` for a session of 10 photos, 2 styles, 4 images each, on
  a real Celery worker against a scratch SQLite database (tiny model only).
Targets: ours >= 1.5x the baseline's steps/s with no more peak memory; end-to-end < 60 s.
Each training variant runs in its own process so that its peak memory is its own.

--sd15-random / --sdxl-random: real-sized models with random weights (SD1.5: UNet, VAE, CLIP-L;
SDXL: UNet, VAE, CLIP-L and OpenCLIP-bigG-sized encoders), at the family's resolution (512 /
1024 px) unless --resolution says otherwise. They print training steps/s, peak memory, seconds
per image at the plan's settings (30 denoising steps, classifier-free guidance) and an estimate
of photos -> 40 portraits: model load + latents of 20 photos + the family's default steps (SD
800, SDXL 1000) + every candidate image (40 x the plan's 1.5 candidates per portrait). The
figures that count are a GPU's (targets on one H100: SD1.5-sized <= 5 min, SDXL-sized <= 10 min);
a CPU run at reduced size only checks that the mode works (SDXL's fp32 weights alone are ~14 GB).
The baseline loop is SD-only and is not run with --sdxl-random.

--reference: ours against diffusers' own train_dreambooth_lora.py, unmodified, read where it lies
(--reference-script, default ../shared/reference/train_dreambooth_lora.py), each as a whole
program in a child process on the tiny model, the same PNG face crops, 128 px, one thread, CPU,
alternating, median of --rounds (3). steps/s = --steps / (CPU time of a run of --warmup + --steps
steps - that of a run of --warmup steps): start-up, loading and saving cancel out. Peak memory:
each child's peak RSS. Target: ours >= 1.5x the reference's steps/s with no more peak memory.
Details in benchmarks/reference.py. The reference needs torchvision, which here needs torch
2.14.1, so both programs run under the interpreter of a separate venv (--reference-python,
default ../refvenv/bin/python) that has it and the project's dependencies:

    python3.11 -m venv ../refvenv && ../refvenv/bin/pip install torch==2.14.1 torchvision==0.29.1 \
        tensorboard -e '.[ml]' diffusers==0.42.1 peft==0.21.2   # diffusers/peft as in .venv
    .venv/bin/python benchmarks/training.py --reference         # 200 steps after 5, 3 rounds

(run the pip line again when pyproject.toml's dependencies change). Ours runs with Django's
settings but without django.setup() (the web apps are no part of training); add
--ours-django-setup to count them in.
"""

import argparse
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import reference

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SCRATCH = ROOT / "var" / "bench-generation"
TARGET_SPEEDUP = 1.5
TARGET_E2E_SECONDS = 60
# Photos -> 40 portraits on one H100, minutes, by random-weights mode.
TARGET_MINUTES = {"sd15_random": 5, "sdxl_random": 10}


def setup_django(data_dir: Path, database: Path | None = None):
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pictureus.settings")
    os.environ["PICTUREUS_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    if database is not None:
        os.environ["DATABASE_URL"] = f"sqlite:///{database}"
        os.environ["CELERY_BROKER_URL"] = "filesystem://"
        os.environ.pop("REDIS_URL", None)
        os.environ.pop("S3_BUCKET", None)
    import django

    django.setup()


def photos(count: int):
    sys.path.insert(0, str(ROOT))
    import io

    from PIL import Image

    from tests.generation.conftest import face_image

    result = []
    for i in range(count):
        data, box = face_image(i)
        result.append((Image.open(io.BytesIO(data)).convert("RGB"), box))
    return result


def random_vae(sample_size: int, scaling_factor: float):
    """Stable Diffusion's VAE (SD1.5's and SDXL's have one shape) with random weights."""
    from diffusers import AutoencoderKL

    return AutoencoderKL(
        block_out_channels=(128, 256, 512, 512),
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        layers_per_block=2,
        latent_channels=4,
        sample_size=sample_size,
        scaling_factor=scaling_factor,
    )


def clip_config(vocab: dict, hidden: int, layers: int, heads: int, **extra):
    """A CLIP text encoder's config over the tiny model's generated vocabulary."""
    from transformers import CLIPTextConfig

    return CLIPTextConfig(
        vocab_size=max(49408, len(vocab)),
        hidden_size=hidden,
        intermediate_size=4 * hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        max_position_embeddings=77,
        **extra,
    )


def sd15_random_pipeline(device, dtype):
    """An SD1.5-sized pipeline with random weights (UNet, VAE, CLIP-L-sized text encoder)."""
    import torch
    from diffusers import DDIMScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextModel, CLIPTokenizer

    from generation.pipeline import tiny

    torch.manual_seed(0)
    vocab, merges = tiny.tokenizer_vocab_and_merges()
    tokenizer = CLIPTokenizer(vocab=vocab, merges=merges, model_max_length=77)
    unet = UNet2DConditionModel(
        sample_size=64,
        cross_attention_dim=768,
        attention_head_dim=8,
        block_out_channels=(320, 640, 1280, 1280),
        layers_per_block=2,
    )
    text_encoder = CLIPTextModel(clip_config(vocab, 768, 12, 12))
    scheduler = DDIMScheduler(
        beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", steps_offset=1
    )
    pipe = StableDiffusionPipeline(
        vae=random_vae(512, 0.18215),
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        unet=unet,
        scheduler=scheduler,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    return pipe.to(device, dtype)


def sdxl_random_pipeline(device, dtype):
    """An SDXL-sized pipeline with random weights: SDXL base's UNet config (2.6 B parameters),
    its VAE, and CLIP-L- and OpenCLIP-bigG-sized text encoders (the second with projection)."""
    import torch
    from diffusers import StableDiffusionXLPipeline, UNet2DConditionModel
    from transformers import CLIPTextModel, CLIPTextModelWithProjection, CLIPTokenizer

    from generation.pipeline import tiny

    torch.manual_seed(0)
    vocab, merges = tiny.tokenizer_vocab_and_merges()
    unet = UNet2DConditionModel(
        sample_size=128,
        block_out_channels=(320, 640, 1280),
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
        layers_per_block=2,
        transformer_layers_per_block=(1, 2, 10),
        attention_head_dim=(5, 10, 20),
        cross_attention_dim=2048,
        use_linear_projection=True,
        addition_embed_type="text_time",
        addition_time_embed_dim=256,
        projection_class_embeddings_input_dim=2816,
    )
    text_encoder = CLIPTextModel(clip_config(vocab, 768, 12, 12))
    text_encoder_2 = CLIPTextModelWithProjection(
        clip_config(vocab, 1280, 32, 20, projection_dim=1280, hidden_act="gelu")
    )
    scheduler = tiny.sdxl_scheduler()
    pipe = StableDiffusionXLPipeline(
        vae=random_vae(1024, 0.13025),
        text_encoder=text_encoder,
        text_encoder_2=text_encoder_2,
        tokenizer=CLIPTokenizer(vocab=vocab, merges=merges, model_max_length=77),
        tokenizer_2=CLIPTokenizer(vocab=vocab, merges=merges, model_max_length=77),
        unet=unet,
        scheduler=scheduler,
        add_watermarker=False,
    )
    return pipe.to(device, dtype)


RANDOM_MODELS = {
    "sd15_random": ("sd", sd15_random_pipeline, "random SD1.5-sized"),
    "sdxl_random": ("sdxl", sdxl_random_pipeline, "random SDXL-sized"),
}


def random_mode(args) -> str:
    """The random-weights mode asked for ("sd15_random", "sdxl_random"), or "" for none."""
    return next((name for name in RANDOM_MODELS if getattr(args, name)), "")


def load_base(args):
    from generation.pipeline.base import BaseModel, device_and_dtype

    if random_mode(args):
        from diffusers.models.attention_processor import AttnProcessor2_0

        family, build, source = RANDOM_MODELS[random_mode(args)]
        device, dtype = device_and_dtype()
        pipe = build(device, dtype)
        pipe.set_progress_bar_config(disable=True)
        pipe.unet.set_attn_processor(AttnProcessor2_0())
        return BaseModel(family, pipe, device, dtype, source)
    return BaseModel.load(args.base_model or "")


def peak_memory_mb(device) -> float:
    import torch

    if device.type == "cuda":
        return torch.cuda.max_memory_allocated() / 2**20
    # ru_maxrss is in KiB on Linux: the whole process's peak resident memory.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def baseline_train(base, images, config, warmup: int) -> dict:
    """diffusers' train_dreambooth_lora.py inner loop: encode latents and text every step."""
    import io

    import torch
    import torch.nn.functional as F  # noqa: N812
    from PIL import Image, ImageOps

    from generation.pipeline.train import lora_add, noise_scheduler_for

    # Like its DreamBoothDataset: every step opens the photo, resizes, crops and normalises it
    # (bilinear resize + centre crop + ToTensor + Normalize([0.5], [0.5])), and tokenizes.
    encoded = []
    for image in images:
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=95)
        encoded.append(buffer.getvalue())

    def example(i):
        image = ImageOps.exif_transpose(Image.open(io.BytesIO(encoded[i]))).convert("RGB")
        image = image.resize((config.resolution, config.resolution), Image.Resampling.BILINEAR)
        array = torch.frombuffer(bytearray(image.tobytes()), dtype=torch.uint8)
        tensor = array.view(config.resolution, config.resolution, 3).permute(2, 0, 1).float()
        return (tensor / 255.0 - 0.5) / 0.5

    tokenizer, text_encoder, vae, unet = (
        base.pipe.tokenizer,
        base.pipe.text_encoder,
        base.vae,
        base.unet,
    )
    vae.requires_grad_(False)
    text_encoder.requires_grad_(False)
    params = lora_add(unet, config.rank)
    optimizer = torch.optim.AdamW(params, lr=config.learning_rate, weight_decay=1e-4)
    scheduler = noise_scheduler_for(base)

    def tokenize():
        return tokenizer(
            config.prompt,
            padding="max_length",
            max_length=tokenizer.model_max_length,
            truncation=True,
            return_tensors="pt",
        ).input_ids.to(base.device)

    autocast = torch.autocast("cuda", dtype=base.dtype, enabled=base.device.type == "cuda")
    count, batch = len(images), min(config.batch_size, len(images))
    unet.train()
    started = None
    for step in range(config.steps + warmup):
        if step == warmup:
            if base.device.type == "cuda":
                torch.cuda.synchronize()
            started, cpu_started = time.perf_counter(), time.process_time()
        gen = torch.Generator().manual_seed(step)
        index = torch.randperm(count, generator=gen)[:batch]
        pixel_values = torch.stack([example(int(i)) for i in index])
        pixel_values = pixel_values.to(base.device, dtype=vae.dtype)
        input_ids = torch.cat([tokenize() for _ in index])
        with autocast:
            model_input = vae.encode(pixel_values).latent_dist.sample() * vae.config.scaling_factor
            encoder_hidden_states = text_encoder(input_ids)[0]
            noise = torch.randn_like(model_input)
            timesteps = torch.randint(
                0, scheduler.config.num_train_timesteps, (batch,), device=base.device
            )
            noisy = scheduler.add_noise(model_input, noise, timesteps)
            pred = unet(noisy, timesteps, encoder_hidden_states).sample
        loss = F.mse_loss(pred.float(), noise.float(), reduction="mean")
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    if base.device.type == "cuda":
        torch.cuda.synchronize()
    return {
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu_started,
        "steps": config.steps,
    }


def ours_train(base, images, config, warmup: int) -> dict:
    """Our loop (generation.pipeline.train), timed after the same number of warm-up steps."""
    import torch

    from generation.pipeline.train import train_lora

    marks = {}

    def on_progress(done, total, speed):
        if done == warmup:
            if base.device.type == "cuda":
                torch.cuda.synchronize()
            marks["start"], marks["cpu"] = time.perf_counter(), time.process_time()

    t0 = time.perf_counter()
    config.steps += warmup
    trained = train_lora(base, [(img, None) for img in images], config, on_progress=on_progress)
    if base.device.type == "cuda":
        torch.cuda.synchronize()
    end, cpu_end = time.perf_counter(), time.process_time()
    config.steps -= warmup
    return {
        "seconds": end - marks["start"],
        "cpu_seconds": cpu_end - marks["cpu"],
        "steps": config.steps,
        "total_seconds": end - t0,
        "lora": trained["lora"],
    }


def encode_seconds(base, images, config) -> float:
    """Seconds to make the training cache (VAE latents, prompt embedding) of these photos."""
    import torch

    from generation.pipeline.train import encode_cache, images_to_tensor

    started = time.perf_counter()
    encode_cache(base, images_to_tensor(images), config)
    if base.device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - started


def generation(args, base, config, lora: bytes) -> dict:
    """Seconds per image at the family's settings, made as a generation job makes them: the
    LoRA just trained fused into the same model, images in the family's batches (SD 8, SDXL 4,
    tiny 4), each encoded as PNG and preview and labelled (watermark, content credentials); and
    the peak memory while generating."""
    import torch

    from generation.pipeline.generate import batch_size, generate_images, lora_fuse
    from generation.pipeline.label import label_outputs

    # The adapter leaves the model (if train_lora left it there) and the encoders come back to
    # the device that training sent them off, as when a resident model is given back.
    adapters = list(getattr(base.unet, "peft_config", None) or [])
    if adapters:
        base.unet.delete_adapters(adapters)
    base.pipe.to(base.device)
    lora_fuse(base, lora, "session")
    if base.device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    per_batch = min(batch_size(base), args.images)

    def images(seeds, steps=None):
        made = generate_images(
            base,
            prompt=config.prompt,
            negative_prompt="",
            seeds=seeds,
            resolution=args.resolution,
            steps=steps,
        )
        for image in made:
            label_outputs(image, family=base.family)

    images(list(range(per_batch)), steps=2)  # warm-up: lazy initialisation, kernels chosen
    if base.device.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for first in range(0, args.images, per_batch):
        images(list(range(first, min(first + per_batch, args.images))))
    if base.device.type == "cuda":
        torch.cuda.synchronize()
    return {
        "seconds_per_image": (time.perf_counter() - t0) / args.images,
        "inference_steps": base.inference_defaults()["steps"],
        "batch": per_batch,
        "generation_peak_mb": peak_memory_mb(base.device),
    }


def family_settings(family: str) -> dict:
    """The family's default training steps and resolution, and the plan's default candidates
    per portrait (only a real model's portraits are checked, so only it makes extra ones)."""
    from generation.services.plans import DEFAULTS
    from sessions_app.models import Plan

    oversampling = Plan._meta.get_field("oversampling").default if family != "tiny" else 1.0
    return {
        "default_steps": DEFAULTS[family]["steps"],
        "default_resolution": DEFAULTS[family]["resolution"],
        "oversampling": oversampling,
    }


def child(args) -> None:
    """One training variant in this process; prints a JSON line with its figures."""
    setup_django(SCRATCH)
    from generation.pipeline.base import configure_torch
    from generation.pipeline.train import TrainingConfig, face_crop

    configure_torch()
    t0 = time.perf_counter()
    base = load_base(args)
    load_seconds = time.perf_counter() - t0
    images = [face_crop(img, box, args.resolution) for img, box in photos(args.photos)]
    config = TrainingConfig(
        rank=args.rank,
        steps=args.steps,
        learning_rate=1e-4,
        resolution=args.resolution,
        prompt="a photo of ohwx person",
        batch_size=args.batch_size,
        checkpoint_every=0,
    )
    import torch

    if base.device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    timed = args.child == "ours" and args.images > 0 and not args.no_images
    encode = encode_seconds(base, images, config) / len(images) if timed else None
    runner = ours_train if args.child == "ours" else baseline_train
    result = runner(base, images, config, args.warmup)
    lora = result.pop("lora", None)
    result["peak_mb"] = peak_memory_mb(base.device)
    # On a shared CPU, wall time swings with other load: judge by the process's own CPU time
    # there (one thread); on a GPU by wall time.
    seconds = result["cpu_seconds"] if base.device.type == "cpu" else result["seconds"]
    result["steps_per_s"] = result["steps"] / seconds
    result["wall_steps_per_s"] = result["steps"] / result["seconds"]
    if timed:
        result.update(generation(args, base, config, lora))
        result.update(load_seconds=load_seconds, encode_seconds_per_photo=encode)
    result.update(family_settings(base.family))
    result["threads"] = torch.get_num_threads()
    result["device"] = str(base.device)
    result["model"] = base.source
    result["family"] = base.family
    print("RESULT " + json.dumps(result), flush=True)


def estimate(args, ours: dict) -> None:
    """Photos -> 40 portraits for 20 photos at the family's default steps, from the figures."""
    photos_count, portraits = 20, 40
    candidates = math.ceil(portraits * ours["oversampling"])
    steps = ours["default_steps"]
    parts = {
        "model load": ours["load_seconds"],
        f"latents of {photos_count} photos": photos_count * ours["encode_seconds_per_photo"],
        f"{steps} training steps": steps / ours["wall_steps_per_s"],
        f"{candidates} images": candidates * ours["seconds_per_image"],
    }
    total = sum(parts.values())
    print(f"photos -> {portraits} portraits ({photos_count} photos, {candidates} candidates at "
          f"{ours['oversampling']:g} per portrait), at {args.resolution} px: "
          + " + ".join(f"{name} {s:.0f} s" for name, s in parts.items())
          + f" = {total:.0f} s ({total / 60:.1f} min)")  # fmt: skip
    target = TARGET_MINUTES.get(random_mode(args))
    if target is None:
        return
    if ours["device"] != "cuda" or args.resolution != ours["default_resolution"]:
        print(f"  target {target} min on one H100 at {ours['default_resolution']} px: "
              "take this figure on a GPU at that size")  # fmt: skip
        return
    ok = total <= target * 60
    print(f"  target <= {target} min on one H100: {'OK' if ok else 'MISSED'}")


def run_child(args, variant: str) -> dict:
    cmd = [sys.executable, __file__, "--child", variant] + passthrough(args)
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    raise SystemExit(f"{variant} run failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")


def passthrough(args) -> list[str]:
    items = [
        "--resolution", str(args.resolution),
        "--steps", str(args.steps),
        "--rank", str(args.rank),
        "--photos", str(args.photos),
        "--batch-size", str(args.batch_size),
        "--warmup", str(args.warmup),
        "--images", str(args.images),
    ]  # fmt: skip
    if args.no_images:
        items += ["--no-images"]
    if args.base_model:
        items += ["--base-model", args.base_model]
    if random_mode(args):
        items += ["--" + random_mode(args).replace("_", "-")]
    return items


def end_to_end() -> float:
    """Seconds from `queued` to `delivered` for 10 photos, 2 styles x 4 images, real worker."""
    data_dir = SCRATCH
    database = data_dir / "e2e.sqlite3"
    for path in (database, data_dir / "broker", data_dir / "private"):
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    env = dict(
        os.environ,
        PICTUREUS_DATA_DIR=str(data_dir),
        DATABASE_URL=f"sqlite:///{database}",
        CELERY_BROKER_URL="filesystem://",
        OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"),
        PICTUREUS_BASE_MODEL="",
    )
    env.pop("REDIS_URL", None)
    env.pop("S3_BUCKET", None)
    subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)  # noqa: SIM115
    worker = subprocess.Popen(  # noqa: S603
        [str(BIN / "celery"), "-A", "pictureus", "worker", "-Q", "default,gpu", "--pool", "solo",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "INFO"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while "ready." not in Path(log.name).read_text(errors="replace"):
            if worker.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("worker did not start:\n" + Path(log.name).read_text()[-3000:])
            time.sleep(0.2)
        script = ROOT / "benchmarks" / "training_e2e.py"
        out = subprocess.run(  # noqa: S603
            [sys.executable, str(script)], cwd=ROOT, env=env, capture_output=True, text=True
        )
        for line in out.stdout.splitlines():
            if line.startswith("E2E "):
                return float(line.split()[1])
        raise SystemExit(f"end-to-end run failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
    finally:
        os.killpg(worker.pid, 15)
        worker.wait(timeout=30)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--base-model", default="", help="diffusers folder or .safetensors file")
    mode.add_argument("--sd15-random", action="store_true", help="SD1.5-sized random weights")
    mode.add_argument("--sdxl-random", action="store_true", help="SDXL-sized random weights")
    mode.add_argument("--reference", action="store_true", help="vs diffusers' own script")
    parser.add_argument("--resolution", type=int, help="px (default: 128; SD1.5 512; SDXL 1024)")
    parser.add_argument("--steps", type=int, help="timed steps (default 60; --reference 200)")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--rank", type=int, default=4)
    parser.add_argument("--photos", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=1)
    parser.add_argument("--images", type=int, help="images for s/image (0: skip; default 4, "
                        "SD1.5 8: a batch)")  # fmt: skip
    parser.add_argument("--no-images", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--repeats", type=int, default=2, help="runs of each variant")
    parser.add_argument("--no-e2e", action="store_true", help="skip queued-to-delivered")
    parser.add_argument("--reference-script", default=str(reference.DEFAULT_SCRIPT))
    parser.add_argument("--reference-python", default=str(reference.DEFAULT_PYTHON))
    parser.add_argument("--rounds", type=int, default=3, help="--reference: rounds, median")
    parser.add_argument("--ours-django-setup", action="store_true", help="--reference: ours "
                        "also runs django.setup() (the web apps)")  # fmt: skip
    parser.add_argument("--child", choices=["ours", "baseline"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    resolutions = {"sd15_random": 512, "sdxl_random": 1024}
    if args.resolution is None:
        args.resolution = resolutions.get(random_mode(args), 128)
    if args.steps is None:
        args.steps = 200 if args.reference else 60
    if args.images is None:
        args.images = 8 if args.sd15_random else 4
    return args


def report(args, runs: dict) -> bool:
    """Print ours against the baseline loop (when it ran) and generation; whether targets hold."""
    ours = max(runs["ours"], key=lambda r: r["steps_per_s"])
    baseline = max(runs["baseline"], key=lambda r: r["steps_per_s"]) if runs["baseline"] else None
    print(f"model: {ours['model']}  device: {ours['device']}  threads: {ours['threads']}")
    print(f"setup: {args.photos} photos, {args.resolution} px, rank {args.rank}, "
          f"batch {args.batch_size}, {args.steps} steps timed after {args.warmup}")  # fmt: skip
    clock = "CPU s" if ours["device"] == "cpu" else "wall s"
    print(f"{'':28}{'steps/' + clock:>12}{'wall steps/s':>14}{'peak MiB':>10}")
    rows = [("ours (cached latents)", ours)]
    rows += [("dreambooth-lora baseline", baseline)] if baseline else []
    for name, r in rows:
        print(f"{name:28}{r['steps_per_s']:>12.2f}{r['wall_steps_per_s']:>14.2f}"
              f"{r['peak_mb']:>10.0f}")  # fmt: skip
    ok = True
    if baseline:
        speedup = ours["steps_per_s"] / baseline["steps_per_s"]
        memory_ok = ours["peak_mb"] <= baseline["peak_mb"] * 1.01
        print(f"speed-up: {speedup:.2f}x (target >= {TARGET_SPEEDUP}x) "
              f"{'OK' if speedup >= TARGET_SPEEDUP else 'MISSED'}")  # fmt: skip
        print(f"peak memory: ours {'<=' if memory_ok else '>'} baseline "
              f"{'OK' if memory_ok else 'MISSED'}")  # fmt: skip
        ok = speedup >= TARGET_SPEEDUP and memory_ok
    else:
        print("baseline: not run (its loop is SD1.5's)")
    first = runs["ours"][0]
    if first.get("seconds_per_image") is not None:
        print(f"generation: {first['seconds_per_image']:.3f} s/image at {args.resolution} px, "
              f"{first['inference_steps']} steps, batches of {first['batch']}; peak "
              f"{first['generation_peak_mb']:.0f} MiB")  # fmt: skip
        estimate(args, first | {"wall_steps_per_s": ours["wall_steps_per_s"]})
    return ok


def main() -> int:
    args = parse_args()
    SCRATCH.mkdir(parents=True, exist_ok=True)
    if args.child:
        child(args)
        return 0
    if args.reference:
        return reference.compare(args)

    # Alternate the variants and keep each one's best run: less at the mercy of other load.
    runs = {"ours": [], "baseline": []}
    variants = ["ours"] if args.sdxl_random else ["ours", "baseline"]
    for repeat in range(args.repeats):
        args.no_images = repeat > 0  # generation is timed once, in the first run
        for variant in variants:
            runs[variant].append(run_child(args, variant))
    ok = report(args, runs)
    if not args.no_e2e and not args.base_model and not random_mode(args):
        seconds = end_to_end()
        e2e_ok = seconds < TARGET_E2E_SECONDS
        print(f"queued -> delivered (10 photos, 2 styles x 4 images, tiny model): {seconds:.1f} s "
              f"(target < {TARGET_E2E_SECONDS} s) {'OK' if e2e_ok else 'MISSED'}")  # fmt: skip
        ok = ok and e2e_ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
