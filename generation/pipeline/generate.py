"""Portrait generation with a session's LoRA: one recorded seed per image, same seed same image.

A session's LoRA is fused into the UNet's weights for its generation (no extra LoRA layers in
each step, and a compiled UNet keeps one shape for every session); the resident model writes
the original weights back afterwards (resident.give_back). Images are made in batches; each
image's starting noise comes from its own seed, so a batch changes no image's noise.
"""

import io
import tempfile
from contextlib import contextmanager
from pathlib import Path

import torch
from django.conf import settings
from PIL import Image

from .base import BaseModel

LORA_FILENAME = "pytorch_lora_weights.safetensors"
PREVIEW_SIZE = 384


def lora_load(base: BaseModel, lora: bytes, name: str = "session") -> None:
    """Load LoRA weights into the pipeline the stock diffusers way (load_lora_weights), as the
    adapter `name`."""
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / LORA_FILENAME).write_bytes(lora)
        base.pipe.load_lora_weights(tmp, weight_name=LORA_FILENAME, adapter_name=name)


def lora_fuse(base: BaseModel, lora: bytes, name: str) -> None:
    """Load the LoRA as adapter `name` and fuse it into the UNet's weights; its layers then
    leave the model (the weights keep it until resident.give_back writes the originals back)."""
    lora_load(base, lora, name)
    base.pipe.fuse_lora(components=["unet"], adapter_names=[name])
    base.pipe.unload_lora_weights()


@contextmanager
def _generation_unet(base: BaseModel):
    """The UNet compiled with torch.compile while generating, when PICTUREUS_TORCH_COMPILE
    names a backend: compiled once per resident model. A fused LoRA changes the weights in
    place and adds no layer, so every session runs the same compiled code."""
    backend = settings.PICTUREUS_TORCH_COMPILE
    if not backend:
        yield
        return
    plain = base.pipe.unet
    if base.compiled_unet is None:
        base.compiled_unet = torch.compile(plain, backend=backend)
    base.pipe.unet = base.compiled_unet
    try:
        yield
    finally:
        base.pipe.unet = plain


def batch_size(base: BaseModel) -> int:
    return settings.PICTUREUS_GENERATION_BATCH or base.inference_defaults()["batch"]


@torch.no_grad()
def generate_images(
    base: BaseModel,
    *,
    prompt: str,
    negative_prompt: str,
    seeds: list[int],
    resolution: int,
    steps: int | None = None,
    guidance: float | None = None,
    lora_scale: float = 1.0,
    output_type: str = "pil",
) -> list:
    """One image per seed, made in one batch. The generators live on the CPU so a seed means
    the same noise on any machine, in any batch."""
    defaults = base.inference_defaults()
    with _generation_unet(base):
        result = base.pipe(
            prompt=prompt,
            negative_prompt=negative_prompt or None,
            num_images_per_prompt=len(seeds),
            num_inference_steps=steps or defaults["steps"],
            guidance_scale=defaults["guidance"] if guidance is None else guidance,
            height=resolution,
            width=resolution,
            generator=[torch.Generator("cpu").manual_seed(seed) for seed in seeds],
            cross_attention_kwargs={"scale": lora_scale},
            output_type=output_type,
        )
    return list(result.images)


def generate_image(base: BaseModel, *, seed: int, **kwargs):
    """One image for one seed (generate_images with a batch of one)."""
    return generate_images(base, seeds=[seed], **kwargs)[0]


def encode_outputs(image: Image.Image) -> tuple[bytes, bytes]:
    """The full-size PNG and a small WebP preview of one image."""
    full = io.BytesIO()
    image.save(full, format="PNG", optimize=False)
    preview = image.copy()
    preview.thumbnail((PREVIEW_SIZE, PREVIEW_SIZE), Image.Resampling.LANCZOS)
    small = io.BytesIO()
    preview.save(small, format="WEBP", quality=82)
    return full.getvalue(), small.getvalue()
