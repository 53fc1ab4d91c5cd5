"""One base model per worker process, kept between jobs, lent to one job at a time.

Loading a base model takes longer than many jobs' work, so a worker loads it once and keeps it.
A session's LoRA is only ever in it while that session's job holds it (P05):

- `borrowed()` hands the model out under a lock, loading it first if the configured base model
  changed (or was never loaded);
- when the job is done, failed or stopped, everything a session put into the model leaves it: its
  adapters are unloaded, the weights a fused LoRA changed are written back from the copy taken
  when the model was loaded (bit for bit, not "unfused" arithmetic), and the model is back on its
  device, in eval mode, without gradient checkpointing;
- the model is then checked: no adapter layer, no adapter configuration, no fused LoRA. If
  anything on the way back fails, the model is dropped and the next job loads it afresh.
"""

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import torch
from django.conf import settings

from .base import LORA_TARGETS, BaseModel

logger = logging.getLogger(__name__)

_lock = threading.RLock()
_resident: dict = {}


class AdapterLeft(RuntimeError):
    """The model still holds something of a session after it was given back."""


def _wanted() -> tuple:
    """What the resident model must have been loaded from to be reused."""
    return (settings.PICTUREUS_BASE_MODEL or "", str(settings.DATA_DIR))


def targeted(name: str) -> bool:
    """Whether a UNet parameter belongs to a layer that a LoRA changes when fused."""
    module = name.rsplit(".", 1)[0]
    return any(module == t or module.endswith(f".{t}") for t in LORA_TARGETS)


def pristine_weights(base: BaseModel) -> dict[str, torch.Tensor]:
    """A copy, kept on the CPU, of every UNet weight that a fused LoRA changes."""
    return {
        name: param.detach().to("cpu", copy=True)
        for name, param in base.unet.named_parameters()
        if targeted(name)
    }


def load() -> BaseModel:
    started = time.perf_counter()
    base = BaseModel.load()
    base.pristine = pristine_weights(base)
    logger.info(
        "base model loaded: %s (%s on %s) in %.1f s",
        base.source,
        base.family,
        base.device,
        time.perf_counter() - started,
    )
    return base


@contextmanager
def borrowed() -> Iterator[BaseModel]:
    """The worker's base model, for one job at a time; given back clean (see the module)."""
    with _lock:
        wanted = _wanted()
        if _resident.get("from") != wanted:
            _resident.clear()
            _resident.update(model=load(), **{"from": wanted})
        base = _resident["model"]
        try:
            yield base
        finally:
            try:
                give_back(base)
            except Exception:
                # Nothing of a session may reach the next job: start that one from the files.
                logger.exception("the base model could not be cleaned after a job: dropped")
                _resident.clear()
                raise


def drop() -> None:
    """Forget the resident model (the next job loads it again)."""
    with _lock:
        _resident.clear()


def give_back(base: BaseModel) -> None:
    """Take every trace of a job out of the model; AdapterLeft when that did not work."""
    pipe, unet = base.pipe, base.unet
    if adapter_layers(unet) or getattr(unet, "peft_config", None):
        unet.unload_lora()
    if getattr(pipe, "fused_loras", None):
        # Forgets the adapters it fused (the layers themselves are gone already).
        pipe.unfuse_lora(components=["unet"])
    with torch.no_grad():
        params = dict(unet.named_parameters())
        for name, weights in base.pristine.items():
            params[name].copy_(weights)
    if unet.is_gradient_checkpointing:
        unet.disable_gradient_checkpointing()
    unet.eval()
    # Training sends the encoders off the GPU; generation needs them back.
    for name in ("unet", "vae", "text_encoder", "text_encoder_2"):
        module = getattr(pipe, name, None)
        if module is not None:
            module.requires_grad_(False)
            module.to(base.device)
    check_clean(base)


def adapter_layers(module: torch.nn.Module) -> list[str]:
    from peft.tuners.tuners_utils import BaseTunerLayer

    return [name for name, m in module.named_modules() if isinstance(m, BaseTunerLayer)]


def check_clean(base: BaseModel) -> None:
    """AdapterLeft unless the model holds no adapter, no adapter configuration and no fused
    LoRA."""
    pipe = base.pipe
    left = []
    for name in ("unet", "text_encoder", "text_encoder_2"):
        module = getattr(pipe, name, None)
        if module is None:
            continue
        if layers := adapter_layers(module):
            left.append(f"{name}: {len(layers)} adapter layers")
        if getattr(module, "peft_config", None):
            left.append(f"{name}: adapter configuration")
    if getattr(pipe, "fused_loras", None):
        left.append(f"fused: {sorted(pipe.fused_loras)}")
    if left:
        raise AdapterLeft("; ".join(left))
