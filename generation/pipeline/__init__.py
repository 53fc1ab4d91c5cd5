"""The ML side of generation: base model loading, LoRA training, image generation.

Only this package imports torch, diffusers, transformers and peft; tasks import it inside their
bodies so the web tier never loads them. Nothing is ever fetched from a model hub.
"""

import os

# Set before huggingface_hub is imported anywhere below: it reads these once, at import.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
