"""A diffusers folder written back as one original-layout Stable Diffusion .safetensors file.

The reverse of what diffusers' `from_single_file` reads (`convert_ldm_unet_checkpoint`,
`convert_ldm_vae_checkpoint`, `convert_ldm_clip_checkpoint`, `convert_open_clip_checkpoint`):
`model.diffusion_model.*`, `first_stage_model.*` and `cond_stage_model.transformer.*` for SD,
`conditioner.embedders.0.transformer.*` (CLIP) and `conditioner.embedders.1.model.*` (OpenCLIP)
for SDXL. Written for the tiny test models: any block layout, but no EMA, no SD 2.x OpenCLIP.
"""

import json
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

RESNET = {
    "norm1.": "in_layers.0.",
    "conv1.": "in_layers.2.",
    "norm2.": "out_layers.0.",
    "conv2.": "out_layers.3.",
    "time_emb_proj.": "emb_layers.1.",
    "conv_shortcut.": "skip_connection.",
}
VAE_ATTENTION = {
    "group_norm.": "norm.",
    "to_q.": "q.",
    "to_k.": "k.",
    "to_v.": "v.",
    "to_out.0.": "proj_out.",
}
OPEN_CLIP = {
    "text_model.embeddings.position_embedding.weight": "positional_embedding",
    "text_model.embeddings.token_embedding.weight": "token_embedding.weight",
    "text_model.final_layer_norm.": "ln_final.",
    "text_model.encoder.layers.": "transformer.resblocks.",
    ".layer_norm1.": ".ln_1.",
    ".layer_norm2.": ".ln_2.",
    ".mlp.fc1.": ".mlp.c_fc.",
    ".mlp.fc2.": ".mlp.c_proj.",
    ".self_attn.": ".attn.",
}


def _rename(key: str, prefixes: dict[str, str], inner: dict[str, str] | None = None) -> str:
    """`key` with its one matching prefix replaced (and `inner` renames applied after it)."""
    for old, new in prefixes.items():
        if key.startswith(old):
            rest = key[len(old) :]
            for a, b in (inner or {}).items():
                rest = rest.replace(a, b) if rest.startswith(a) else rest
            return new + rest
    return key


def unet_to_ldm(state: dict, config: dict) -> dict:
    per = config["layers_per_block"] + 1  # resnets per up block; down blocks add a downsampler
    resnets = {"mid_block.resnets.0.": "middle_block.0.", "mid_block.resnets.1.": "middle_block.2."}
    others = {
        "time_embedding.linear_1.": "time_embed.0.",
        "time_embedding.linear_2.": "time_embed.2.",
        "add_embedding.linear_1.": "label_emb.0.0.",
        "add_embedding.linear_2.": "label_emb.0.2.",
        "conv_in.": "input_blocks.0.0.",
        "conv_norm_out.": "out.0.",
        "conv_out.": "out.2.",
        "mid_block.attentions.0.": "middle_block.1.",
    }
    for i, up_type in enumerate(config["up_block_types"]):
        for j in range(per - 1):
            resnets[f"down_blocks.{i}.resnets.{j}."] = f"input_blocks.{1 + i * per + j}.0."
            others[f"down_blocks.{i}.attentions.{j}."] = f"input_blocks.{1 + i * per + j}.1."
        others[f"down_blocks.{i}.downsamplers.0.conv."] = f"input_blocks.{(i + 1) * per}.0.op."
        for j in range(per):
            resnets[f"up_blocks.{i}.resnets.{j}."] = f"output_blocks.{i * per + j}.0."
            others[f"up_blocks.{i}.attentions.{j}."] = f"output_blocks.{i * per + j}.1."
        # The upsampler follows the last resnet, and its attention when the block has one.
        slot = 2 if up_type.startswith("CrossAttn") else 1
        others[f"up_blocks.{i}.upsamplers.0."] = f"output_blocks.{i * per + per - 1}.{slot}."
    result = {}
    for key, value in state.items():
        new = _rename(key, resnets, RESNET)
        new = new if new != key else _rename(key, others)
        assert new != key, f"no original name for the UNet's {key}"
        result["model.diffusion_model." + new] = value
    return result


def vae_to_ldm(state: dict, config: dict) -> dict:
    count = len(config["down_block_types"])
    blocks = {
        "encoder.conv_norm_out.": "encoder.norm_out.",
        "decoder.conv_norm_out.": "decoder.norm_out.",
    }
    resnets, attentions = {}, {}
    for part in ("encoder", "decoder"):
        resnets[f"{part}.mid_block.resnets.0."] = f"{part}.mid.block_1."
        resnets[f"{part}.mid_block.resnets.1."] = f"{part}.mid.block_2."
        attentions[f"{part}.mid_block.attentions.0."] = f"{part}.mid.attn_1."
    for i in range(count):
        up = count - 1 - i  # the original numbers the decoder's blocks from the bottom
        for j in range(config["layers_per_block"] + 1):
            resnets[f"encoder.down_blocks.{i}.resnets.{j}."] = f"encoder.down.{i}.block.{j}."
            resnets[f"decoder.up_blocks.{i}.resnets.{j}."] = f"decoder.up.{up}.block.{j}."
        blocks[f"encoder.down_blocks.{i}.downsamplers.0."] = f"encoder.down.{i}.downsample."
        blocks[f"decoder.up_blocks.{i}.upsamplers.0."] = f"decoder.up.{up}.upsample."
    result = {}
    for key, value in state.items():
        new = _rename(key, resnets, {"conv_shortcut.": "nin_shortcut."})
        if new == key:
            new = _rename(key, attentions, VAE_ATTENTION)
            if new != key and value.ndim == 2:
                value = value[:, :, None, None]  # 1x1 convolutions in the original
        new = new if new != key else _rename(key, blocks)
        result["first_stage_model." + new] = value
    return result


def clip_to_ldm(state: dict, prefix: str) -> dict:
    """A transformers CLIPTextModel under `prefix` + "text_model." (as SD and SDXL's first)."""
    return {prefix + "text_model." + k.removeprefix("text_model."): v for k, v in state.items()}


def open_clip_to_ldm(state: dict, prefix: str) -> dict:
    """A CLIPTextModelWithProjection in OpenCLIP's names, q/k/v fused (as SDXL's second)."""
    state = {
        ("" if k.startswith("text_projection") else "text_model.")
        + k.removeprefix("text_model."): v
        for k, v in state.items()
    }
    result = {prefix + "text_projection": state.pop("text_projection.weight").T.contiguous()}
    for key in [k for k in state if ".self_attn.q_proj." in k]:
        layer, kind = key.split(".self_attn.q_proj.")
        parts = [state.pop(f"{layer}.self_attn.{n}_proj.{kind}") for n in "qkv"]
        state[f"{layer}.self_attn.in_proj_{kind}"] = torch.cat(parts)
    for key, value in state.items():
        for old, replacement in OPEN_CLIP.items():
            key = key.replace(old, replacement)
        result[prefix + key] = value
    return result


def _weights(folder: Path, name: str) -> tuple[dict, dict]:
    files = sorted((folder / name).glob("*.safetensors"))
    assert len(files) == 1, f"{folder / name}: expected one .safetensors file, found {files}"
    return load_file(files[0]), json.loads((folder / name / "config.json").read_text())


def to_single_file(folder: Path, dest: Path) -> Path:
    """Write the diffusers folder's weights to `dest` in the original single-file layout."""
    folder = Path(folder)
    unet, unet_config = _weights(folder, "unet")
    vae, vae_config = _weights(folder, "vae")
    checkpoint = unet_to_ldm(unet, unet_config) | vae_to_ldm(vae, vae_config)
    text, _ = _weights(folder, "text_encoder")
    if (folder / "text_encoder_2").is_dir():
        text_2, _ = _weights(folder, "text_encoder_2")
        checkpoint |= clip_to_ldm(text, "conditioner.embedders.0.transformer.")
        checkpoint |= open_clip_to_ldm(text_2, "conditioner.embedders.1.model.")
    else:
        checkpoint |= clip_to_ldm(text, "cond_stage_model.transformer.")
    save_file({k: v.contiguous() for k, v in checkpoint.items()}, str(dest))
    return Path(dest)
