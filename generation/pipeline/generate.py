"""Portrait generation with a session's LoRA: one recorded seed per image, same seed same image."""

import io
import tempfile
from pathlib import Path

import torch
from PIL import Image

from .base import BaseModel

LORA_FILENAME = "pytorch_lora_weights.safetensors"
PREVIEW_SIZE = 384


def lora_load(base: BaseModel, lora: bytes) -> None:
    """Load LoRA weights into the pipeline the stock diffusers way (load_lora_weights)."""
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / LORA_FILENAME).write_bytes(lora)
        base.pipe.load_lora_weights(tmp, weight_name=LORA_FILENAME, adapter_name="session")


def generate_image(
    base: BaseModel,
    *,
    prompt: str,
    negative_prompt: str,
    seed: int,
    resolution: int,
    steps: int | None = None,
    guidance: float | None = None,
    lora_scale: float = 1.0,
    output_type: str = "pil",
):
    """One image for one seed; the generator lives on the CPU so a seed means the same noise
    on any machine."""
    defaults = base.inference_defaults()
    result = base.pipe(
        prompt=prompt,
        negative_prompt=negative_prompt or None,
        num_inference_steps=steps or defaults["steps"],
        guidance_scale=defaults["guidance"] if guidance is None else guidance,
        height=resolution,
        width=resolution,
        generator=torch.Generator("cpu").manual_seed(seed),
        cross_attention_kwargs={"scale": lora_scale},
        output_type=output_type,
    )
    return result.images[0]


def encode_outputs(image: Image.Image) -> tuple[bytes, bytes]:
    """The full-size PNG and a small WebP preview of one image."""
    full = io.BytesIO()
    image.save(full, format="PNG", optimize=False)
    preview = image.copy()
    preview.thumbnail((PREVIEW_SIZE, PREVIEW_SIZE), Image.Resampling.LANCZOS)
    small = io.BytesIO()
    preview.save(small, format="WEBP", quality=82)
    return full.getvalue(), small.getvalue()
