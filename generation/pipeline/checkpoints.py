"""Training checkpoints: what resuming needs, written beside the training on a thread of its own,
and read back only under the key of the run that made them (P04, P05)."""

import io
import threading
import time
from collections.abc import Callable

import torch


def lora_state(unet) -> dict:
    """The LoRA's tensors, on the CPU."""
    from peft.utils import get_peft_model_state_dict

    return {k: v.detach().cpu().contiguous() for k, v in get_peft_model_state_dict(unet).items()}


def _on_cpu(value):
    """A copy on the CPU of every tensor in `value` (dicts and lists followed)."""
    if isinstance(value, torch.Tensor):
        return value.detach().to("cpu", copy=True)
    if isinstance(value, dict):
        return {k: _on_cpu(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_on_cpu(v) for v in value)
    return value


def checkpoint_state(unet, optimizer, step: int, key: str) -> dict:
    """What resuming needs, copied off the device: the LoRA, the optimizer's moments, the step."""
    state = {"lora": lora_state(unet), "optimizer": optimizer.state_dict(), "step": step}
    return _on_cpu(state) | {"key": key}


class CheckpointWriter:
    """Serialises and stores checkpoints on a thread of its own while training goes on; one
    at a time (a new one waits only for the previous one to be stored)."""

    def __init__(self, store: Callable[[bytes, int], object]):
        self.store = store
        self.thread: threading.Thread | None = None
        self.error: BaseException | None = None

    def submit(self, state: dict, step: int) -> None:
        self.wait()

        def write():
            try:
                buffer = io.BytesIO()
                torch.save(state, buffer)
                self.store(buffer.getvalue(), step)
            except BaseException as exc:  # noqa: BLE001 - raised again on the training thread
                self.error = exc

        self.thread = threading.Thread(target=write, name=f"checkpoint-{step}", daemon=True)
        self.thread.start()

    def wait(self) -> None:
        """Until the checkpoint being written is stored; its error, if any, is raised here."""
        if self.thread is not None:
            self.thread.join()
            self.thread = None
        if self.error is not None:
            error, self.error = self.error, None
            raise error


class CheckpointSchedule:
    """When a run stores a checkpoint: every `every` steps and/or every `seconds` of training
    (never after the last step, whose result is the LoRA itself), through a `CheckpointWriter`."""

    def __init__(
        self,
        store: Callable[[bytes, int], object] | None,
        *,
        every: int,
        seconds: float,
        last_step: int,
    ):
        self.writer = CheckpointWriter(store) if store else None
        self.every = every
        self.seconds = seconds
        self.last_step = last_step
        self.last_time = time.perf_counter()

    def after_step(self, done: int, now: float, unet, optimizer, key: str) -> None:
        if self.writer is None or done >= self.last_step:
            return
        by_steps = self.every and done % self.every == 0
        by_time = self.seconds and now - self.last_time >= self.seconds
        if by_steps or by_time:
            self.writer.submit(checkpoint_state(unet, optimizer, done, key), done)
            self.last_time = now

    def wait(self) -> None:
        if self.writer:
            self.writer.wait()


def checkpoint_restore(unet, optimizer, data: bytes, key: str) -> int:
    """Continue from the checkpoint in `data` when it was made under `key`; the step it holds,
    or 0 (start afresh) when it was not."""
    from peft.utils import set_peft_model_state_dict

    state = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    if not key or state.get("key") != key:
        return 0
    set_peft_model_state_dict(unet, state["lora"])
    optimizer.load_state_dict(state["optimizer"])
    return int(state["step"])
