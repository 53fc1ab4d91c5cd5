"""A tiny Stable Diffusion built in code with random weights, for development and tests.

Nothing comes from anywhere: the tokenizer's vocabulary and merges are generated here. Its
images are noise-like placeholders; pages that show them say so.
"""

import json
import os
import shutil
import tempfile
from pathlib import Path

# Words the generated vocabulary spells as whole tokens (prompt templates, tokens, classes).
WORDS = (
    "a",
    "photo",
    "of",
    "ohwx",
    "sks",
    "person",
    "man",
    "woman",
    "portrait",
    "studio",
    "lighting",
    "professional",
    "headshot",
    "business",
    "suit",
    "outdoor",
    "natural",
    "light",
    "smiling",
    "close",
    "up",
    "high",
    "quality",
    "detailed",
    "sharp",
    "focus",
    "blurry",
    "lowres",
    "bad",
    "anatomy",
    "deformed",
    "ugly",
    "watermark",
    "text",
    "cinematic",
    "soft",
    "background",
    "in",
    "the",
    "with",
    "and",
    "wearing",
    "style",
    "casual",
    "linkedin",
    "corporate",
    "warm",
    "color",
    "film",
    "grain",
    "bokeh",
)

VERSION = "tiny-sd-v3"

# Both tiny UNets: two blocks of one layer over 4-channel latents.
UNET_SIZE = {
    "sample_size": 8,
    "in_channels": 4,
    "out_channels": 4,
    "block_out_channels": (32, 64),
    "layers_per_block": 1,
    "norm_num_groups": 32,
}


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2/CLIP's reversible byte-to-character table."""
    bs = list(range(ord("!"), ord("~") + 1))
    bs += list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs], strict=True))


def tokenizer_vocab_and_merges() -> tuple[dict[str, int], list[tuple[str, str]]]:
    """A CLIP-style byte-level BPE vocabulary whose merges spell WORDS as single tokens."""
    chars = list(bytes_to_unicode().values())
    tokens = chars + [c + "</w>" for c in chars]
    merges: list[tuple[str, str]] = []
    for word in sorted(set(WORDS)):
        if len(word) < 2:
            continue
        pieces = list(word[:-1]) + [word[-1] + "</w>"]
        left = pieces[0]
        for right in pieces[1:]:
            pair = (left, right)
            left = left + right
            if pair not in merges:
                merges.append(pair)
                if left not in tokens:
                    tokens.append(left)
    tokens += ["<|startoftext|>", "<|endoftext|>"]
    vocab: dict[str, int] = {}
    for token in tokens:
        vocab.setdefault(token, len(vocab))
    return vocab, merges


def _tokenizer():
    """A CLIPTokenizer over the generated vocabulary, read through files as a real one would be."""
    from transformers import CLIPTokenizer

    vocab, merges = tokenizer_vocab_and_merges()
    with tempfile.TemporaryDirectory() as tmp:
        vocab_file = Path(tmp) / "vocab.json"
        merges_file = Path(tmp) / "merges.txt"
        vocab_file.write_text(json.dumps(vocab))
        merges_file.write_text("#version: 0.2\n" + "\n".join(f"{a} {b}" for a, b in merges))
        loaded_vocab = json.loads(vocab_file.read_text())
        loaded_merges = [
            tuple(line.split(" "))
            for line in merges_file.read_text().splitlines()[1:]
            if line.strip()
        ]
        return CLIPTokenizer(vocab=loaded_vocab, merges=loaded_merges, model_max_length=77)


def _text_config(hidden_size: int, projection_dim: int):
    from transformers import CLIPTextConfig

    vocab, _ = tokenizer_vocab_and_merges()
    return CLIPTextConfig(
        vocab_size=len(vocab),
        hidden_size=hidden_size,
        intermediate_size=2 * hidden_size,
        num_hidden_layers=2,
        num_attention_heads=4,
        max_position_embeddings=77,
        projection_dim=projection_dim,
        bos_token_id=vocab["<|startoftext|>"],
        eos_token_id=vocab["<|endoftext|>"],
        pad_token_id=vocab["<|endoftext|>"],
    )


def _vae(scaling_factor: float):
    from diffusers import AutoencoderKL

    # Four VAE blocks of two layers, as in Stable Diffusion (8x downsampling), so that the costs
    # of the VAE and the UNet stand in roughly the proportion they have in a real checkpoint.
    return AutoencoderKL(
        in_channels=3,
        out_channels=3,
        block_out_channels=(32, 32, 64, 64),
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        latent_channels=4,
        layers_per_block=2,
        norm_num_groups=32,
        sample_size=64,
        scaling_factor=scaling_factor,
    )


def build(dest: Path) -> None:
    """Write a tiny StableDiffusionPipeline (diffusers folder) to `dest`."""
    import torch
    from diffusers import DDIMScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextModel

    torch.manual_seed(0)
    text_encoder = CLIPTextModel(_text_config(32, 32))
    unet = UNet2DConditionModel(
        **UNET_SIZE,
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
        cross_attention_dim=32,
        attention_head_dim=8,
    )
    scheduler = DDIMScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        clip_sample=False,
        set_alpha_to_one=False,
        steps_offset=1,
    )
    pipe = StableDiffusionPipeline(
        vae=_vae(0.18215),
        text_encoder=text_encoder,
        tokenizer=_tokenizer(),
        unet=unet,
        scheduler=scheduler,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipe.save_pretrained(dest, safe_serialization=True)


def sdxl_scheduler():
    """SDXL base's scheduler, as its model_index names it."""
    from diffusers import EulerDiscreteScheduler

    return EulerDiscreteScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        steps_offset=1,
        timestep_spacing="leading",
    )


def build_sdxl(dest: Path) -> None:
    """Write a tiny StableDiffusionXLPipeline (diffusers folder) to `dest`, shaped like SDXL.

    Two text encoders (the second with a projection, whose pooled output and the six size and
    crop numbers are the UNet's added "text_time" conditioning) and cross-attention over both
    encoders' hidden states side by side. Their widths differ (32 and 64), as CLIP-L's and
    OpenCLIP-bigG's do: a single-file loader tells the two apart by that width.
    """
    import torch
    from diffusers import StableDiffusionXLPipeline, UNet2DConditionModel
    from transformers import CLIPTextModel, CLIPTextModelWithProjection

    torch.manual_seed(0)
    text_encoder = CLIPTextModel(_text_config(32, 32))
    text_encoder_2 = CLIPTextModelWithProjection(_text_config(64, 32))
    time_embed_dim = 8
    unet = UNet2DConditionModel(
        **UNET_SIZE,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        transformer_layers_per_block=(1, 2),
        cross_attention_dim=32 + 64,
        attention_head_dim=(2, 4),
        use_linear_projection=True,
        addition_embed_type="text_time",
        addition_time_embed_dim=time_embed_dim,
        # Original size, crop corner and target size (six numbers), then the pooled embedding.
        projection_class_embeddings_input_dim=6 * time_embed_dim + 32,
    )
    scheduler = sdxl_scheduler()
    pipe = StableDiffusionXLPipeline(
        vae=_vae(0.13025),
        text_encoder=text_encoder,
        text_encoder_2=text_encoder_2,
        tokenizer=_tokenizer(),
        tokenizer_2=_tokenizer(),
        unet=unet,
        scheduler=scheduler,
        add_watermarker=False,
    )
    pipe.save_pretrained(dest, safe_serialization=True)


def ensure(data_dir: Path) -> Path:
    """The tiny model's folder under the data folder, built once and then reused."""
    dest = Path(data_dir) / "models" / VERSION
    if (dest / "model_index.json").is_file():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{VERSION}-", dir=dest.parent))
    try:
        build(tmp)
        try:
            # Atomic: two workers building at once leave one complete folder.
            os.rename(tmp, dest)
        except OSError:
            if not (dest / "model_index.json").is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest
