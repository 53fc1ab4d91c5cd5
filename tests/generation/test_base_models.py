"""SD and SDXL base models, as a diffusers folder or one .safetensors file, through one interface.

Tiny models built in code (nothing from a hub): our training and generation on each, and the
LoRA it makes in a stock diffusers pipeline.
"""

import io
import shutil

import numpy as np
import pytest
from PIL import Image

from .checkpoints import to_single_file
from .conftest import face_image

pytestmark = pytest.mark.ml

PROMPT = "a photo of ohwx person"
# Few steps: the tiny models' images only have to be the same or differ, not look good.
IMAGE = {"prompt": PROMPT, "negative_prompt": "blurry", "resolution": 32, "steps": 3}


def single_file(folder, dest):
    """The folder's weights as one original-layout file, beside its configs and tokenizers only."""
    shutil.copytree(folder, dest, ignore=shutil.ignore_patterns("*.safetensors"))
    return to_single_file(folder, dest / "checkpoint.safetensors")


def train(base, steps=6, seed=1):
    from generation.pipeline.train import TrainingConfig, train_lora

    photos = [face_image(n) for n in range(3)]
    config = TrainingConfig(
        rank=4, steps=steps, learning_rate=2e-2, resolution=32, prompt=PROMPT, seed=seed
    )
    images = [(Image.open(io.BytesIO(data)), box) for data, box in photos]
    return train_lora(base, images, config)["lora"]


def image(base, seed=7, **changes):
    from generation.pipeline.generate import generate_image

    return generate_image(base, seed=seed, output_type="np", **IMAGE | changes)


def test_an_sdxl_folder_loads_with_its_added_conditioning(folders):
    from diffusers import StableDiffusionXLPipeline

    from generation.modelcheck import inspect_base_model
    from generation.pipeline.base import BaseModel

    assert inspect_base_model(str(folders["sdxl"])) == {
        "family": "sdxl",
        "format": "diffusers",
        "path": str(folders["sdxl"]),
    }
    base = BaseModel.load(str(folders["sdxl"]))
    assert base.family == "sdxl"
    assert isinstance(base.pipe, StableDiffusionXLPipeline)

    embeds, extra = base.encode_prompt(PROMPT, 32)
    # Both encoders' hidden states side by side; the second's pooled output; six size numbers.
    assert embeds.shape == (1, 77, 32 + 64)
    assert extra["text_embeds"].shape == (1, 32)
    assert extra["time_ids"].tolist() == [[32, 32, 0, 0, 32, 32]]
    assert extra["time_ids"].dtype == embeds.dtype
    # The same conditioning the stock pipeline gives its UNet when it generates at 32 px.
    time_ids = base.pipe._get_add_time_ids(
        (32, 32),
        (0, 0),
        (32, 32),
        dtype=embeds.dtype,
        text_encoder_projection_dim=base.pipe.text_encoder_2.config.projection_dim,
    )
    assert time_ids.tolist() == extra["time_ids"].tolist()


def test_an_sdxl_lora_changes_the_image_in_stock_diffusers_too(folders, tmp_path):
    import torch
    from diffusers import StableDiffusionXLPipeline

    from generation.pipeline.base import BaseModel
    from generation.pipeline.generate import LORA_FILENAME, lora_load

    lora = train(BaseModel.load(str(folders["sdxl"])))

    base = BaseModel.load(str(folders["sdxl"]))
    plain = image(base)
    lora_load(base, lora)
    ours = image(base)
    assert np.abs(ours - plain).max() > 1e-3
    assert np.array_equal(image(base), ours), "same seed, same image"
    assert not np.array_equal(image(base, seed=8), ours)

    (tmp_path / LORA_FILENAME).write_bytes(lora)
    stock = StableDiffusionXLPipeline.from_pretrained(str(folders["sdxl"]))
    stock.set_progress_bar_config(disable=True)
    stock.load_lora_weights(str(tmp_path), weight_name=LORA_FILENAME)
    theirs = stock(
        prompt=PROMPT,
        negative_prompt="blurry",
        num_inference_steps=3,
        guidance_scale=base.inference_defaults()["guidance"],
        height=32,
        width=32,
        generator=torch.Generator("cpu").manual_seed(7),
        output_type="np",
    ).images[0]
    np.testing.assert_allclose(theirs, ours, atol=1e-5)


@pytest.mark.parametrize("family", ["sd", "sdxl"])
def test_a_single_file_checkpoint_loads_the_same_weights_and_trains(folders, tmp_path, family):
    from generation.modelcheck import inspect_base_model
    from generation.pipeline.base import BaseModel
    from generation.pipeline.generate import lora_load

    path = single_file(folders[family], tmp_path / "configs")
    assert inspect_base_model(str(path)) == {
        "family": family,
        "format": "single_file",
        "path": str(path),
    }

    from_file = BaseModel.load(str(path))
    assert from_file.family == family
    assert type(from_file.pipe) is type(BaseModel.load(str(folders[family])).pipe)
    plain = image(from_file)
    assert np.array_equal(plain, image(BaseModel.load(str(folders[family]))))

    lora = train(from_file, steps=4)
    base = BaseModel.load(str(path))
    lora_load(base, lora)
    assert np.abs(image(base) - plain).max() > 1e-3


def test_a_single_file_without_its_configs_is_refused_by_name(folders, tmp_path):
    from generation.modelcheck import BaseModelError, inspect_base_model
    from generation.pipeline.base import BaseModel

    path = single_file(folders["sd"], tmp_path / "configs")
    alone = tmp_path / "alone" / "sd15.safetensors"
    alone.parent.mkdir()
    shutil.move(path, alone)

    # diffusers would try the Hub for configs: the worker refuses to start instead.
    message = "sd15.safetensors: a single-file sd checkpoint without a diffusers config folder"
    with pytest.raises(BaseModelError, match=message):
        inspect_base_model(str(alone))
    with pytest.raises(BaseModelError, match=message):
        BaseModel.load(str(alone))


def test_a_single_file_beside_the_other_familys_configs_is_refused(folders, tmp_path):
    from generation.modelcheck import BaseModelError, inspect_base_model

    path = single_file(folders["sdxl"], tmp_path / "configs")
    shutil.copy(folders["sd"] / "model_index.json", path.parent / "model_index.json")

    with pytest.raises(BaseModelError, match="an sdxl checkpoint.*StableDiffusionPipeline"):
        inspect_base_model(str(path))


def test_the_models_identity_follows_its_weights_not_where_they_lie(folders, tmp_path):
    from safetensors.torch import load_file, save_file

    from generation.pipeline.base import model_identity

    def identity(path):
        return model_identity({"family": "sd", "format": "diffusers", "path": str(path)})

    copy = shutil.copytree(folders["sd"], tmp_path / "copy")
    assert identity(copy) == identity(folders["sd"])
    # A fine-tuned VAE of the same shapes: a training cache made with the old one must not match.
    vae = copy / "vae" / "diffusion_pytorch_model.safetensors"
    save_file({k: v + 1e-3 for k, v in load_file(vae).items()}, vae)
    assert identity(copy) != identity(folders["sd"])


@pytest.mark.parametrize("family", ["sd", "sdxl"])
def test_one_seed_trains_one_lora(folders, family):
    import torch
    from safetensors.torch import load as safetensors_load

    from generation.pipeline.base import BaseModel

    def weights(seed, earlier_work):
        base = BaseModel.load(str(folders[family]))
        # Whatever ran before in the worker left torch's global generator somewhere else.
        torch.manual_seed(earlier_work)
        return safetensors_load(train(base, steps=3, seed=seed))

    first, again, other = weights(1, earlier_work=11), weights(1, earlier_work=12), weights(2, 11)
    assert first.keys() == again.keys()
    assert all(first[k].equal(again[k]) for k in first), "same seed, different LoRA"
    assert not all(first[k].equal(other[k]) for k in first)


def test_checkpoints_are_written_beside_the_training_and_resume_exactly(folders):
    import time

    from generation.pipeline.base import BaseModel
    from generation.pipeline.train import TrainingConfig, train_lora

    photos = [(Image.open(io.BytesIO(data)), box) for data, box in map(face_image, range(3))]
    config = TrainingConfig(
        rank=4, steps=12, learning_rate=2e-2, resolution=32, prompt=PROMPT, seed=1,
        checkpoint_every=4,
    )  # fmt: skip
    done, stored, trained_meanwhile = {"steps": 0}, [], []

    def slow_store(data, step):
        before = done["steps"]
        time.sleep(0.5)  # a large checkpoint on a slow disk
        trained_meanwhile.append(done["steps"] - before)
        stored.append((data, step))

    def progress(steps, total, speed):
        done["steps"] = steps

    whole = train_lora(
        BaseModel.load(str(folders["sd"])), photos, config, key="k",
        on_checkpoint=slow_store, on_progress=progress,
    )  # fmt: skip
    assert [step for _, step in stored] == [4, 8]
    # Training went on while the first checkpoint was being stored.
    assert trained_meanwhile[0] > 0
    # A worker killed after step 4 resumes from that checkpoint to the very same LoRA.
    resumed = train_lora(
        BaseModel.load(str(folders["sd"])), photos, config, key="k", checkpoint=stored[0][0]
    )
    assert resumed["resumed_from"] == 4 and resumed["lora"] == whole["lora"]
