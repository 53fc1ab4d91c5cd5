"""Loading the base model, SD 1.x/2.x or SDXL, behind one interface.

`BaseModel.load()` reads `settings.PICTUREUS_BASE_MODEL` (a diffusers folder or a single-file
.safetensors checkpoint), or builds the tiny development model when it is empty.
"""

import hashlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from django.conf import settings

from generation.modelcheck import BaseModelError, inspect_base_model

from . import tiny

if TYPE_CHECKING:
    from diffusers import StableDiffusionPipeline, StableDiffusionXLPipeline

logger = logging.getLogger(__name__)

# Denoising steps, guidance and images per batch when generating, by family.
INFERENCE = {
    "tiny": {"steps": 4, "guidance": 5.0, "batch": 4},
    "sd": {"steps": 30, "guidance": 7.0, "batch": 8},
    "sdxl": {"steps": 30, "guidance": 6.0, "batch": 4},
}
# The UNet layers a session's LoRA adapts (attention projections).
LORA_TARGETS = ["to_k", "to_q", "to_v", "to_out.0"]
# How much of each weight file, at its start, middle and end, goes into the model's identity.
IDENTITY_SAMPLE = 1 << 20
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".ckpt", ".pt")


def configure_torch() -> None:
    """Torch threads from PICTUREUS_TORCH_THREADS, else OMP_NUM_THREADS (a busy CPU slows 5-10x
    with more threads than it has free cores)."""
    threads = settings.PICTUREUS_TORCH_THREADS or int(os.environ.get("OMP_NUM_THREADS") or 0)
    if threads > 0 and torch.get_num_threads() != threads:
        torch.set_num_threads(threads)


def model_identity(info: dict) -> str:
    """A fingerprint of the base model, cheap enough to take at every load.

    The configs in full, and the names, sizes and three samples of each weight file rather than a
    hash of gigabytes: it tells a replaced or fine-tuned checkpoint from the one a training cache
    was made with, and stays the same when the same files are copied to another worker (no
    paths or file times in it).
    """
    if info["format"] == "tiny":
        return tiny.VERSION
    path = Path(info["path"])
    # A single-file checkpoint takes its configs from the diffusers folder it sits in.
    root = path.parent if path.is_file() else path
    configs = sorted([*root.glob("*.json"), *root.glob("*/*.json")])
    weights = [path] if path.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    digest = hashlib.sha256(info["family"].encode())
    for file in configs:
        digest.update(f"\0{file.relative_to(root)}\0".encode() + file.read_bytes())
    for file in weights:
        if file.suffix not in WEIGHT_SUFFIXES:
            continue
        size = file.stat().st_size
        digest.update(f"\0{file.relative_to(root)}\0{size}\0".encode())
        middle = max(0, size // 2 - IDENTITY_SAMPLE // 2)
        with open(file, "rb") as fh:
            for offset in sorted({0, middle, max(0, size - IDENTITY_SAMPLE)}):
                fh.seek(offset)
                digest.update(fh.read(IDENTITY_SAMPLE))
    return digest.hexdigest()


def device_and_dtype() -> tuple[torch.device, torch.dtype]:
    """A GPU with bf16 (or fp16) when there is one; the CPU in float32 otherwise."""
    if torch.cuda.is_available():
        dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return torch.device("cuda"), dtype
    return torch.device("cpu"), torch.float32


@dataclass
class BaseModel:
    family: str  # "tiny", "sd" or "sdxl"
    pipe: "StableDiffusionPipeline | StableDiffusionXLPipeline"
    device: torch.device
    dtype: torch.dtype
    source: str
    # What the weights are (model_identity): part of the key of a training cache.
    identity: str = ""
    # The weights a fused LoRA changes, as loaded (resident.pristine_weights).
    pristine: dict = field(default_factory=dict, repr=False)
    # The UNet compiled for generation (PICTUREUS_TORCH_COMPILE), made at its first use.
    compiled_unet: Callable[..., Any] | None = field(default=None, repr=False)

    @classmethod
    def load(cls, value: str | None = None, *, device=None, dtype=None) -> "BaseModel":
        """Load the configured base model (never from a hub); BaseModelError when unusable."""
        from diffusers import StableDiffusionPipeline, StableDiffusionXLPipeline
        from diffusers.models.attention_processor import AttnProcessor2_0

        configure_torch()
        value = settings.PICTUREUS_BASE_MODEL if value is None else value
        info = inspect_base_model(value)
        identity = model_identity(info)
        if info["family"] == "tiny":
            info = {
                "family": "tiny",
                "format": "diffusers",
                "path": str(tiny.ensure(settings.DATA_DIR)),
            }
        auto_device, auto_dtype = device_and_dtype()
        device = device or auto_device
        dtype = dtype or auto_dtype
        klass = StableDiffusionXLPipeline if info["family"] == "sdxl" else StableDiffusionPipeline
        kwargs = {"dtype": dtype, "local_files_only": True}
        if info["family"] != "sdxl":
            kwargs.update(safety_checker=None, requires_safety_checker=False)
        else:
            # Portraits are watermarked once, with PictureUs's own mark, when they are stored
            # (pipeline.label); diffusers' own SDXL mark on top would blur both.
            kwargs.update(add_watermarker=False)
        try:
            if info["format"] == "diffusers":
                pipe = klass.from_pretrained(info["path"], **kwargs)
            else:
                # The diffusers folder next to the file (inspect_base_model requires one) supplies
                # configs and tokenizers offline.
                path = Path(info["path"])
                pipe = klass.from_single_file(str(path), config=str(path.parent), **kwargs)
        except (OSError, ValueError) as exc:
            raise BaseModelError(
                f"PICTUREUS_BASE_MODEL={value}: could not be loaded offline ({exc}). For a "
                "single-file checkpoint, check that the diffusers configs next to it are those "
                "of its base model."
            ) from exc
        pipe.set_progress_bar_config(disable=True)
        # The base weights are never trained (only a LoRA is), and the CPU takes other kernels
        # for weights that want gradients: one state, the same images, loaded or lent again.
        for name in ("unet", "vae", "text_encoder", "text_encoder_2"):
            if getattr(pipe, name, None) is not None:
                getattr(pipe, name).requires_grad_(False)
        # PyTorch's scaled-dot-product attention (flash / memory-efficient kernels on a GPU).
        pipe.unet.set_attn_processor(AttnProcessor2_0())
        pipe.to(device)
        return cls(info["family"], pipe, device, dtype, value or "tiny", identity)

    @property
    def unet(self):
        return self.pipe.unet

    @property
    def vae(self):
        return self.pipe.vae

    def inference_defaults(self) -> dict:
        return INFERENCE[self.family]

    @torch.no_grad()
    def encode_prompt(self, prompt: str, resolution: int) -> tuple[torch.Tensor, dict]:
        """Text embeddings (and SDXL's extra conditioning) for one prompt, batch size 1."""
        if self.family == "sdxl":
            embeds, _, pooled, _ = self.pipe.encode_prompt(
                prompt,
                device=self.device,
                num_images_per_prompt=1,
                do_classifier_free_guidance=False,
            )
            time_ids = torch.tensor(
                [[resolution, resolution, 0, 0, resolution, resolution]],
                device=self.device,
                dtype=embeds.dtype,
            )
            return embeds, {"text_embeds": pooled, "time_ids": time_ids}
        embeds, _ = self.pipe.encode_prompt(
            prompt, device=self.device, num_images_per_prompt=1, do_classifier_free_guidance=False
        )
        return embeds, {}

    def lora_save(self, state_dict: dict, directory: Path) -> Path:
        """Write UNet LoRA layers as diffusers' pytorch_lora_weights.safetensors."""
        type(self.pipe).save_lora_weights(
            save_directory=str(directory), unet_lora_layers=state_dict, safe_serialization=True
        )
        return Path(directory) / "pytorch_lora_weights.safetensors"
