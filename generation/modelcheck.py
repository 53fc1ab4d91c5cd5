"""What kind of base model `PICTUREUS_BASE_MODEL` points at, read from file headers only.

No torch here: the web tier and the worker's start-up check use it without loading weights.
"""

import json
import struct
from pathlib import Path

from django.conf import settings

PIPELINE_FAMILIES = {
    "StableDiffusionPipeline": "sd",
    "StableDiffusionXLPipeline": "sdxl",
}
# The folders a diffusers pipeline of each family cannot load without.
COMPONENTS = {
    "sd": ("unet", "vae", "text_encoder", "tokenizer"),
    "sdxl": ("unet", "vae", "text_encoder", "tokenizer", "text_encoder_2", "tokenizer_2"),
}


class BaseModelError(Exception):
    """The configured base model cannot be used; the message names the path and what was found."""


def safetensors_keys(path: Path) -> list[str]:
    """The tensor names in a .safetensors file (its JSON header), without reading the weights."""
    with open(path, "rb") as fh:
        raw = fh.read(8)
        if len(raw) != 8:
            raise BaseModelError(
                f"{path}: found a file of {len(raw)} bytes, not a safetensors file"
            )
        (length,) = struct.unpack("<Q", raw)
        if length <= 0 or length > 100_000_000:
            raise BaseModelError(f"{path}: found no safetensors header (header size {length})")
        try:
            header = json.loads(fh.read(length))
        except ValueError as exc:
            raise BaseModelError(f"{path}: found an unreadable safetensors header ({exc})") from exc
    return [key for key in header if key != "__metadata__"]


def pipeline_class_name(index: Path, value: str) -> str:
    """The pipeline class a diffusers model_index.json names ("" when it names none)."""
    try:
        return json.loads(index.read_text()).get("_class_name", "")
    except ValueError as exc:
        raise BaseModelError(f"PICTUREUS_BASE_MODEL={value}: unreadable {index}") from exc


def inspect_base_model(value: str) -> dict:
    """Describe the base model at `value` ({"family", "format", "path"}); BaseModelError if not."""
    if not value:
        return {"family": "tiny", "format": "tiny", "path": ""}
    path = Path(value).expanduser()
    if not path.exists():
        raise BaseModelError(f"PICTUREUS_BASE_MODEL={value}: found nothing at this path")
    if path.is_dir():
        return _inspect_folder(path, value)
    if path.suffix != ".safetensors":
        raise BaseModelError(
            f"PICTUREUS_BASE_MODEL={value}: found a {path.suffix or 'suffix-less'} file; "
            "expected a diffusers folder or a single-file .safetensors checkpoint"
        )
    return _inspect_single_file(path, value)


def _inspect_folder(path: Path, value: str) -> dict:
    """A diffusers folder: its pipeline class and the components that family needs."""
    index = path / "model_index.json"
    if not index.is_file():
        found = ", ".join(sorted(p.name for p in path.iterdir())[:12]) or "an empty folder"
        raise BaseModelError(
            f"PICTUREUS_BASE_MODEL={value}: a folder without model_index.json "
            f"(found: {found}); expected a diffusers Stable Diffusion folder"
        )
    class_name = pipeline_class_name(index, value)
    family = PIPELINE_FAMILIES.get(class_name)
    if family is None:
        raise BaseModelError(
            f"PICTUREUS_BASE_MODEL={value}: found a {class_name or 'unnamed'} pipeline; "
            f"supported: {', '.join(PIPELINE_FAMILIES)}"
        )
    missing = [name for name in COMPONENTS[family] if not (path / name).is_dir()]
    if missing:
        raise BaseModelError(
            f"PICTUREUS_BASE_MODEL={value}: a {class_name} folder missing {', '.join(missing)}"
        )
    return {"family": family, "format": "diffusers", "path": str(path)}


def _inspect_single_file(path: Path, value: str) -> dict:
    """A single-file checkpoint: its family from its tensor names, and the diffusers config
    folder next to it that the loader needs."""
    keys = safetensors_keys(path)
    if any(key.startswith("conditioner.embedders.1.") for key in keys):
        family = "sdxl"
    elif any(key.startswith("cond_stage_model.") for key in keys):
        family = "sd"
    else:
        sample = ", ".join(keys[:5]) or "no tensors"
        raise BaseModelError(
            f"PICTUREUS_BASE_MODEL={value}: found a safetensors file that is not a Stable "
            f"Diffusion checkpoint (tensors: {sample}, ...)"
        )
    if not any(key.startswith("model.diffusion_model.") for key in keys):
        raise BaseModelError(f"PICTUREUS_BASE_MODEL={value}: found a checkpoint without a UNet")
    # The loader builds every component from these configs, then fills in the file's weights;
    # without them diffusers would try to download some from the Hub.
    configs = path.parent / "model_index.json"
    if not configs.is_file():
        raise BaseModelError(
            f"PICTUREUS_BASE_MODEL={value}: a single-file {family} checkpoint without a diffusers "
            f"config folder next to it (no {configs}); put the file in a folder with the base "
            "model's model_index.json, component configs, scheduler and tokenizers"
        )
    class_name = pipeline_class_name(configs, value)
    if PIPELINE_FAMILIES.get(class_name) != family:
        raise BaseModelError(
            f"PICTUREUS_BASE_MODEL={value}: an {family} checkpoint, but the diffusers config "
            f"folder next to it is for a {class_name or 'unnamed'} pipeline"
        )
    return {"family": family, "format": "single_file", "path": str(path)}


def base_model_family() -> str:
    return inspect_base_model(settings.PICTUREUS_BASE_MODEL)["family"]


def uses_tiny_model() -> bool:
    """True when images come from the built-in development model (placeholders)."""
    return not settings.PICTUREUS_BASE_MODEL
