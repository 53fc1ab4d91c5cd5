"""Helper of benchmarks/training.py: the runs it times, in the process of one training variant.

Our training loop and a baseline loop that does what diffusers' DreamBooth-LoRA example does
each step, timed after the same warm-up steps; the making of the training cache; generation
with the LoRA just trained; and the family's defaults the estimate needs.
"""

import io
import resource
import time


def peak_memory_mb(device) -> float:
    import torch

    if device.type == "cuda":
        return torch.cuda.max_memory_allocated() / 2**20
    # ru_maxrss is in KiB on Linux: the whole process's peak resident memory.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def jpeg_files(images) -> list[bytes]:
    """The photos as the JPEG files that the baseline's dataset opens, one each."""
    encoded = []
    for image in images:
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=95)
        encoded.append(buffer.getvalue())
    return encoded


def dreambooth_example(data: bytes, resolution: int):
    """One photo as its DreamBoothDataset makes it each step, from the file."""
    import torch
    from PIL import Image, ImageOps

    image = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB")
    image = image.resize((resolution, resolution), Image.Resampling.BILINEAR)
    array = torch.frombuffer(bytearray(image.tobytes()), dtype=torch.uint8)
    tensor = array.view(resolution, resolution, 3).permute(2, 0, 1).float()
    return (tensor / 255.0 - 0.5) / 0.5


def dreambooth_tokens(base, prompt: str):
    """The prompt tokenized, as its DreamBoothDataset does for every example."""
    tokenizer = base.pipe.tokenizer
    return tokenizer(
        prompt,
        padding="max_length",
        max_length=tokenizer.model_max_length,
        truncation=True,
        return_tensors="pt",
    ).input_ids.to(base.device)


def baseline_loss(base, scheduler, autocast, encoded: list[bytes], index, config):
    """One step's loss as its loop computes it: the batch's photos VAE-encoded and its prompts
    through the text encoder, then the UNet's noise prediction against the noise added."""
    import torch
    import torch.nn.functional as F  # noqa: N812

    vae, text_encoder, unet = base.vae, base.pipe.text_encoder, base.unet
    pixel_values = torch.stack(
        [dreambooth_example(encoded[int(i)], config.resolution) for i in index]
    )
    pixel_values = pixel_values.to(base.device, dtype=vae.dtype)
    input_ids = torch.cat([dreambooth_tokens(base, config.prompt) for _ in index])
    with autocast:
        model_input = vae.encode(pixel_values).latent_dist.sample() * vae.config.scaling_factor
        encoder_hidden_states = text_encoder(input_ids)[0]
        noise = torch.randn_like(model_input)
        timesteps = torch.randint(
            0, scheduler.config.num_train_timesteps, (len(index),), device=base.device
        )
        noisy = scheduler.add_noise(model_input, noise, timesteps)
        pred = unet(noisy, timesteps, encoder_hidden_states).sample
    return F.mse_loss(pred.float(), noise.float(), reduction="mean")


def baseline_train(base, images, config, warmup: int) -> dict:
    """diffusers' train_dreambooth_lora.py inner loop: encode latents and text every step."""
    import torch

    from generation.pipeline.train import lora_add, noise_scheduler_for

    # Like its DreamBoothDataset: every step opens the photo, resizes, crops and normalises it
    # (bilinear resize + centre crop + ToTensor + Normalize([0.5], [0.5])), and tokenizes.
    encoded = jpeg_files(images)
    base.vae.requires_grad_(False)
    base.pipe.text_encoder.requires_grad_(False)
    params = lora_add(base.unet, config.rank)
    optimizer = torch.optim.AdamW(params, lr=config.learning_rate, weight_decay=1e-4)
    scheduler = noise_scheduler_for(base)
    autocast = torch.autocast("cuda", dtype=base.dtype, enabled=base.device.type == "cuda")
    count, batch = len(images), min(config.batch_size, len(images))
    base.unet.train()
    started = None
    for step in range(config.steps + warmup):
        if step == warmup:
            if base.device.type == "cuda":
                torch.cuda.synchronize()
            started, cpu_started = time.perf_counter(), time.process_time()
        gen = torch.Generator().manual_seed(step)
        index = torch.randperm(count, generator=gen)[:batch]
        loss = baseline_loss(base, scheduler, autocast, encoded, index, config)
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
