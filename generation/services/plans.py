"""What a plan asks of training and generation, with the base model family's defaults where the
plan says 0."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from django.conf import settings

from generation.modelcheck import base_model_family

if TYPE_CHECKING:
    from sessions_app.models import Plan

# Sensible defaults where the plan says 0, by model family.
# Gradient checkpointing is decided by the trainer from the GPU's memory unless the plan says.
DEFAULTS = {
    "tiny": {"rank": 4, "steps": 40, "learning_rate": 1e-3, "resolution": 64, "batch_size": 1},
    "sd": {"rank": 16, "steps": 800, "learning_rate": 1e-4, "resolution": 512, "batch_size": 2},
    "sdxl": {"rank": 32, "steps": 1000, "learning_rate": 1e-4, "resolution": 1024, "batch_size": 1},
}


def model_family() -> str:
    """ "tiny", "sd" or "sdxl", from the configured base model (read without loading it)."""
    return base_model_family()


def training_settings(plan: Plan) -> dict[str, Any]:
    """The plan's training settings with the family defaults where the plan says 0."""
    defaults = DEFAULTS[model_family()]
    return {
        "rank": plan.lora_rank or defaults["rank"],
        "steps": plan.train_steps or defaults["steps"],
        "learning_rate": plan.learning_rate or defaults["learning_rate"],
        "resolution": plan.resolution or defaults["resolution"],
        "batch_size": plan.train_batch_size or defaults["batch_size"],
        "gradient_checkpointing": plan.gradient_checkpointing,
    }


def training_steps_for(plan: Plan) -> int:
    return training_settings(plan)["steps"]


# A portrait is delivered only when its one face looks like the customer's photos at least this
# much (dlib's same-person distance, as faces.likeness scales it).
LIKENESS_THRESHOLD = 0.5


def likeness_checked() -> bool:
    """Whether portraits are checked for likeness before delivery: not with the tiny built-in
    model, whose images are noise without a face (its gallery says they are placeholders)."""
    return bool(settings.PICTUREUS_BASE_MODEL)


def candidates_per_style(plan: Plan) -> int:
    """How many candidates a style starts with: the plan's oversampling of its portraits."""
    if not likeness_checked():
        return plan.images_per_style
    return math.ceil(plan.images_per_style * plan.oversampling - 1e-9)
