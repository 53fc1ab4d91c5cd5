"""LoRA training on the UNet with cached latents and text embeddings.

Differences from diffusers' `train_dreambooth_lora.py` that matter for speed and memory: the VAE
latents and the prompt embedding are computed once (not every step) and the VAE and text
encoder then leave the GPU; noise and timesteps come from a generator seeded by the step, so a
run resumed from a checkpoint takes exactly the steps an uninterrupted one would have.

The cache and the checkpoints carry the key of what they were made from (`cache_key`): the exact
photo set, the resolution, the prompt and the base model. They are reused only under the same
key, so a run never trains on latents, or continues weights, of photos that are not its own
(P04, P05).
"""

import hashlib
import json
import logging
import struct
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F  # noqa: N812 - the conventional name
from PIL import Image, ImageOps
from safetensors.torch import load as safetensors_load
from safetensors.torch import save as safetensors_save

from .base import LORA_TARGETS, BaseModel
from .checkpoints import CheckpointSchedule, checkpoint_restore, lora_state

logger = logging.getLogger(__name__)

# Bump when the crop or the encoding changes: caches made the old way are then not reused.
CACHE_FORMAT = 1
# The training loss is logged as its mean over this many steps.
LOSS_LOG_STEPS = 50


@dataclass
class TrainingConfig:
    rank: int
    steps: int
    learning_rate: float
    resolution: int
    prompt: str
    seed: int = 0
    batch_size: int = 1
    # A checkpoint every this many steps (0: none by steps)...
    checkpoint_every: int = 0
    # ...and/or every this many seconds of training (0: none by time).
    checkpoint_seconds: float = 0
    # Recompute activations in the backward pass: less GPU memory, slower steps. None: on only
    # when the GPU has less memory than the family needs without it (CHECKPOINTING_BELOW_GIB).
    gradient_checkpointing: bool | None = None


# GPU memory (GiB) below which a family trains with gradient checkpointing when the plan does
# not say: SD 1.x at 512 px fits in about 10 GiB without it, SDXL at 1024 px in about 30.
CHECKPOINTING_BELOW_GIB = {"tiny": 0, "sd": 12, "sdxl": 40}


def gradient_checkpointing_wanted(base: BaseModel, config: TrainingConfig) -> bool:
    if config.gradient_checkpointing is not None:
        return config.gradient_checkpointing
    if base.device.type != "cuda":
        return False
    total = torch.cuda.get_device_properties(base.device).total_memory / 2**30
    return total < CHECKPOINTING_BELOW_GIB.get(base.family, 0)


# Room around the face in a training crop, as a share of the face's width on each side: the
# head, the hair and the top of the shoulders, as portraits show them.
CROP_PADDING = 0.6


def face_crop(image: Image.Image, face_box, resolution: int) -> Image.Image:
    """The photo's face turned upright and at one scale (aligned on its landmarks, so that
    every training crop has its eyes level and the same face size), `resolution` square."""
    from pictureus import faces

    image = ImageOps.exif_transpose(image).convert("RGB")
    box = _box(face_box)
    if box is None:
        # No face recorded (photos from before the checks): the middle of the photo.
        side = min(image.size)
        left, top = (image.width - side) / 2, (image.height - side) / 2
        crop = image.crop((round(left), round(top), round(left + side), round(top + side)))
        return crop.resize((resolution, resolution), Image.Resampling.LANCZOS)
    return faces.aligned_crop(faces.face_at(image, box), resolution, padding=CROP_PADDING)


def _box(face_box):
    """(x, y, w, h) from the stored face box: [x, y, w, h] or a dict with those keys."""
    if not face_box:
        return None
    if isinstance(face_box, dict):
        if {"x", "y", "w", "h"} <= face_box.keys():
            return tuple(float(face_box[k]) for k in ("x", "y", "w", "h"))
        if {"left", "top", "right", "bottom"} <= face_box.keys():
            left, top = float(face_box["left"]), float(face_box["top"])
            return left, top, float(face_box["right"]) - left, float(face_box["bottom"]) - top
        return None
    if isinstance(face_box, list | tuple) and len(face_box) == 4:
        x, y, w, h = (float(v) for v in face_box)
        return (x, y, w, h) if w > 0 and h > 0 else None
    return None


def images_to_tensor(images: list[Image.Image]) -> torch.Tensor:
    """RGB images to an (N, 3, H, W) tensor in [-1, 1]."""
    arrays = [torch.frombuffer(bytearray(img.tobytes()), dtype=torch.uint8) for img in images]
    w, h = images[0].size
    batch = torch.stack([a.view(h, w, 3).permute(2, 0, 1) for a in arrays]).float()
    return batch / 127.5 - 1.0


@torch.no_grad()
def encode_cache(base: BaseModel, pixels: torch.Tensor, config: TrainingConfig) -> dict:
    """VAE latents of every photo and the prompt's embedding: the cache training reuses."""
    vae = base.vae
    # SDXL's VAE overflows in float16 (NaN latents); like the pipeline, encode in float32.
    upcast = vae.dtype == torch.float16 and vae.config.get("force_upcast", False)
    if upcast:
        vae.to(torch.float32)
    latents = []
    # One photo at a time: the cache never needs more memory than a training step does.
    for i in range(len(pixels)):
        chunk = pixels[i : i + 1].to(base.device, dtype=vae.dtype)
        dist = vae.encode(chunk).latent_dist
        # The mean, not a sample: the cache is deterministic, so a resumed run sees the same data.
        latents.append(dist.mean * vae.config.scaling_factor)
    if upcast:
        vae.to(torch.float16)
    embeds, extra = base.encode_prompt(config.prompt, config.resolution)
    cache = {"latents": torch.cat(latents).float().cpu(), "embeds": embeds.float().cpu()}
    for key, value in extra.items():
        cache[f"extra.{key}"] = value.float().cpu()
    return cache


def cache_key(
    base: BaseModel, config: TrainingConfig, photos: Sequence[tuple[int, str, object]]
) -> str:
    """The key of the cache for these photos, given in training order as (id, sha256, face box).

    Everything the latents and the embedding are computed from: the photo set itself (ids and
    content hashes, in order, and the face boxes that crop them), the resolution, the prompt and
    the base model (its identity and precision).
    """
    made_from = {
        "format": CACHE_FORMAT,
        "photos": [[pk, sha256, face_box] for pk, sha256, face_box in photos],
        "resolution": config.resolution,
        "prompt": config.prompt,
        "base": [base.family, base.identity, str(base.dtype)],
    }
    encoded = json.dumps(made_from, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(encoded.encode()).hexdigest()


def checkpoint_key(key: str, config: TrainingConfig) -> str:
    """A checkpoint continues only a run on the same cache with the same settings."""
    made_from = [key, config.rank, config.learning_rate, config.seed, config.batch_size]
    return hashlib.sha256(json.dumps(made_from).encode()).hexdigest()


def cache_to_bytes(cache: dict, key: str) -> bytes:
    return safetensors_save({k: v.contiguous() for k, v in cache.items()}, metadata={"key": key})


def cache_key_of(data: bytes) -> str:
    """The key a cache was saved with ("" for none), read from its header alone."""
    try:
        (length,) = struct.unpack("<Q", data[:8])
        header = json.loads(data[8 : 8 + length])
    except (struct.error, ValueError):
        return ""
    return (header.get("__metadata__") or {}).get("key", "")


def cache_from_bytes(data: bytes, key: str) -> dict | None:
    """The cache in `data` when it was made under `key`; None otherwise (never "close enough")."""
    if not key or cache_key_of(data) != key:
        return None
    return safetensors_load(data)


def lora_add(unet, rank: int, seed: int = 0) -> list[torch.nn.Parameter]:
    """Attach a LoRA adapter to the UNet's attention projections; only it is trained.

    Its starting weights come from `seed` (not from torch's global generator, which nothing
    seeds), so that one seed trains one LoRA."""
    from peft import LoraConfig

    unet.requires_grad_(False)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        unet.add_adapter(
            LoraConfig(
                r=rank, lora_alpha=rank, init_lora_weights="gaussian", target_modules=LORA_TARGETS
            )
        )
    params = [p for p in unet.parameters() if p.requires_grad]
    # Half-precision weights on a GPU; the trained LoRA stays in float32 for stable updates.
    for p in params:
        p.data = p.data.float()
    return params


def lora_file_bytes(base: BaseModel, unet) -> bytes:
    """The LoRA as the bytes of diffusers' pytorch_lora_weights.safetensors."""
    from diffusers.utils import convert_state_dict_to_diffusers

    layers = convert_state_dict_to_diffusers(lora_state(unet))
    with tempfile.TemporaryDirectory() as tmp:
        path = base.lora_save(layers, Path(tmp))
        return path.read_bytes()


def noise_scheduler_for(base: BaseModel):
    from diffusers import DDPMScheduler

    return DDPMScheduler.from_config(base.pipe.scheduler.config)


def train_lora(
    base: BaseModel,
    photos: list[tuple[Image.Image, object]],
    config: TrainingConfig,
    *,
    key: str = "",
    cache_bytes: bytes | None = None,
    checkpoint: bytes | None = None,
    on_cache: Callable[[bytes], object] | None = None,
    on_checkpoint: Callable[[bytes, int], object] | None = None,
    on_resume: Callable[[int], None] | None = None,
    on_progress: Callable[[int, int, float | None], None] | None = None,
) -> dict:
    """Train a LoRA for the photos; returns {"lora": bytes, "resumed_from": step, ...}.

    `key` is the photos' `cache_key`: `cache_bytes` and `checkpoint` are used only when they
    were made under it (without a key, never). `on_progress` is called after every step and may
    raise to stop the run; the checkpoint callback gets a blob that `checkpoint=` accepts to
    resume, and `on_resume` the step a run continues from.
    """
    cache, cache_reused = _latents(base, photos, config, key, cache_bytes, on_cache)
    _encoders_leave_the_gpu(base)

    unet = base.unet
    unet.train()
    if gradient_checkpointing_wanted(base, config):
        unet.enable_gradient_checkpointing()
    params = lora_add(unet, config.rank, config.seed)
    # One fused kernel for all LoRA tensors instead of a Python loop over them.
    optimizer = torch.optim.AdamW(params, lr=config.learning_rate, weight_decay=1e-4, fused=True)
    run_key = checkpoint_key(key, config) if key else ""
    start = checkpoint_restore(unet, optimizer, checkpoint, run_key) if checkpoint else 0
    if start and on_resume:
        on_resume(start)
    steps = _Steps(base, cache, config)
    # Checkpoints are written beside the training, never in its way (a killed worker resumes
    # from the last one stored).
    checkpoints = CheckpointSchedule(
        on_checkpoint,
        every=config.checkpoint_every,
        seconds=config.checkpoint_seconds,
        last_step=config.steps,
    )
    started = time.perf_counter()
    losses = _LossLog(start, config.steps)
    for step in range(start, config.steps):
        loss = steps.loss(unet, step)
        loss.backward()
        losses.add(loss, step)
        torch.nn.utils.clip_grad_norm_(params, 1.0, foreach=True)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        done = step + 1
        now = time.perf_counter()
        checkpoints.after_step(done, now, unet, optimizer, run_key)
        if on_progress:
            on_progress(done, config.steps, (now - started) / (done - start))
    checkpoints.wait()
    unet.eval()
    if unet.is_gradient_checkpointing:
        unet.disable_gradient_checkpointing()
    elapsed = time.perf_counter() - started
    lora = lora_file_bytes(base, unet)
    # The trained adapter leaves the model: what the run made is in `lora`.
    unet.unload_lora()
    return {
        "lora": lora,
        "resumed_from": start,
        "cache_reused": cache_reused,
        "seconds": elapsed,
        "steps_run": config.steps - start,
    }


def _latents(
    base: BaseModel,
    photos: list[tuple[Image.Image, object]],
    config: TrainingConfig,
    key: str,
    cache_bytes: bytes | None,
    on_cache: Callable[[bytes], object] | None,
) -> tuple[dict, bool]:
    """The photos' latents and whether they came from `cache_bytes` (used only when made under
    `key`); freshly encoded ones are handed to `on_cache`."""
    cache = cache_from_bytes(cache_bytes, key) if cache_bytes else None
    if cache is not None:
        return cache, True
    images = [face_crop(image, box, config.resolution) for image, box in photos]
    cache = encode_cache(base, images_to_tensor(images), config)
    if on_cache:
        on_cache(cache_to_bytes(cache, key))
    return cache, False


def _encoders_leave_the_gpu(base: BaseModel) -> None:
    """Only the UNet is needed once the cache is made: the VAE and text encoders go to the CPU."""
    if base.device.type != "cuda":
        return
    base.vae.to("cpu")
    for name in ("text_encoder", "text_encoder_2"):
        if getattr(base.pipe, name, None) is not None:
            getattr(base.pipe, name).to("cpu")
    torch.cuda.empty_cache()


class _Steps:
    """The cached latents and embeddings on the device, and one step's loss from them."""

    def __init__(self, base: BaseModel, cache: dict, config: TrainingConfig) -> None:
        self.base, self.config = base, config
        self.scheduler = noise_scheduler_for(base)
        self.latents = cache["latents"].to(base.device)
        self.embeds = cache["embeds"].to(base.device, dtype=base.dtype)
        self.extra = {
            k.removeprefix("extra."): v.to(base.device, dtype=base.dtype)
            for k, v in cache.items()
            if k.startswith("extra.")
        }
        self.count = self.latents.shape[0]
        self.batch = min(config.batch_size, self.count)
        self.autocast = torch.autocast("cuda", dtype=base.dtype, enabled=base.device.type == "cuda")

    def loss(self, unet, step: int) -> torch.Tensor:
        base, batch, scheduler = self.base, self.batch, self.scheduler
        # Everything random in a step comes from the step's own seed: resuming is exact.
        # Drawn on the device itself: no host-to-device copy, no wait, in the step loop.
        gen = torch.Generator(device=base.device).manual_seed(self.config.seed * 1_000_003 + step)
        index = torch.randperm(self.count, generator=gen, device=base.device)[:batch]
        latents = self.latents[index]
        noise = torch.randn(latents.shape, generator=gen, device=base.device)
        timesteps = torch.randint(
            0, scheduler.config.num_train_timesteps, (batch,), generator=gen, device=base.device
        )
        noisy = scheduler.add_noise(latents, noise, timesteps)
        if scheduler.config.prediction_type == "v_prediction":
            target = scheduler.get_velocity(latents, noise, timesteps)
        else:
            target = noise
        cond = {k: v.expand(batch, *v.shape[1:]) for k, v in self.extra.items()}
        with self.autocast:
            pred = unet(
                noisy.to(base.dtype),
                timesteps,
                encoder_hidden_states=self.embeds.expand(batch, *self.embeds.shape[1:]),
                added_cond_kwargs=cond or None,
            ).sample
        return F.mse_loss(pred.float(), target.float(), reduction="mean")


class _LossLog:
    """The training loss, summed on the device and logged as a mean every LOSS_LOG_STEPS: read
    (one wait for the GPU) only then, never every step."""

    def __init__(self, start: int, steps: int) -> None:
        self.start, self.steps = start, steps
        self.total: torch.Tensor | None = None

    def add(self, loss: torch.Tensor, step: int) -> None:
        self.total = loss.detach() if self.total is None else self.total + loss.detach()
        if (step + 1) % LOSS_LOG_STEPS == 0 or step + 1 == self.steps:
            # How many steps the sum holds: a resumed run's first window is shorter.
            held = step + 1 - max(self.start, (step // LOSS_LOG_STEPS) * LOSS_LOG_STEPS)
            logger.info("step %d: mean loss %.4f", step + 1, self.total.item() / held)
            self.total = None
