"""One base model per worker, lent to one job at a time and given back holding nothing of it.

On the tiny SD and SDXL models: after a session's job the model holds no adapter and makes, for
a seed, exactly the base model's image; a second session's job on the same model trains and
generates exactly what it would on a freshly loaded one (P05).
"""

import io

import numpy as np
import pytest
import torch
from PIL import Image

from .conftest import face_image
from .test_base_models import IMAGE

pytestmark = pytest.mark.ml


def _train(base, seed):
    from generation.pipeline.train import TrainingConfig, train_lora

    config = TrainingConfig(
        rank=4, steps=4, learning_rate=2e-2, resolution=32, prompt=IMAGE["prompt"], seed=seed
    )
    photos = [face_image(seed * 100 + n) for n in range(3)]
    images = [(Image.open(io.BytesIO(data)), box) for data, box in photos]
    return train_lora(base, images, config)["lora"]


def _images(base, seeds=(7, 8)):
    from generation.pipeline.generate import generate_images

    return generate_images(base, seeds=list(seeds), output_type="np", **IMAGE)


def _session(base, seed):
    """A session's whole job on `base`: train its LoRA, fuse it, generate; (lora, images)."""
    from generation.pipeline.generate import lora_fuse

    lora = _train(base, seed)
    lora_fuse(base, lora, f"session_{seed}")
    return lora, _images(base)


def _same_weights(a, b):
    first, second = a.state_dict(), b.state_dict()
    return first.keys() == second.keys() and all(torch.equal(first[k], second[k]) for k in first)


def _resident_of(family, folders, settings):
    """The worker's resident model set to the tiny `family` model, not loaded yet; and the
    same model freshly loaded, to compare with."""
    from generation.pipeline import resident
    from generation.pipeline.base import BaseModel

    settings.PICTUREUS_BASE_MODEL = str(folders[family])
    resident.drop()
    return BaseModel.load(str(folders[family]))


@pytest.mark.promise("P05")
@pytest.mark.parametrize("family", ["sd", "sdxl"])
def test_after_a_sessions_job_the_resident_model_is_the_base_model_again(family, folders, settings):
    from generation.pipeline import resident

    fresh = _resident_of(family, folders, settings)
    plain = _images(fresh)

    with resident.borrowed() as base:
        first = base
        lora, with_lora = _session(base, seed=1)
        assert not _same_weights(base.unet, fresh.unet), "the session's LoRA was fused"
    assert not np.array_equal(with_lora[0], plain[0])

    with resident.borrowed() as base:
        assert base is first, "the model stays loaded between jobs"
        assert resident.adapter_layers(base.unet) == []
        assert not getattr(base.unet, "peft_config", None)
        assert not base.pipe.get_list_adapters() and not base.pipe.fused_loras
        assert _same_weights(base.unet, fresh.unet)
        assert not base.unet.training and not base.unet.is_gradient_checkpointing
        # Exactly the base model's images, bit for bit.
        for again, expected in zip(_images(base), plain, strict=True):
            assert np.array_equal(again, expected)


@pytest.mark.promise("P05")
@pytest.mark.parametrize("family", ["sd", "sdxl"])
def test_two_sessions_in_a_row_on_one_worker_never_see_each_others_weights(
    family, folders, settings
):
    from generation.pipeline import resident

    # What the second session makes on a model nobody used before.
    alone = _session(_resident_of(family, folders, settings), seed=2)

    with resident.borrowed() as base:
        _session(base, seed=1)
    with resident.borrowed() as base:
        after_first = _session(base, seed=2)

    assert after_first[0] == alone[0], "the second session's LoRA is its own, bit for bit"
    for ours, expected in zip(after_first[1], alone[1], strict=True):
        assert np.array_equal(ours, expected)


def test_a_job_that_fails_half_way_leaves_nothing_in_the_model(folders, settings):
    from generation.pipeline import resident
    from generation.pipeline.generate import lora_fuse, lora_load

    fresh = _resident_of("sd", folders, settings)
    lora = _train(fresh, seed=3)

    with pytest.raises(MemoryError), resident.borrowed() as base:
        lora_fuse(base, lora, "session_3")
        lora_load(base, lora, "session_3_unfused")  # a second copy, as layers
        raise MemoryError("the GPU ran out half way")
    with resident.borrowed() as base:
        assert resident.adapter_layers(base.unet) == []
        assert _same_weights(base.unet, fresh.unet)


def test_a_model_that_cannot_be_cleaned_is_dropped(folders, settings):
    from peft import LoraConfig, inject_adapter_in_model

    from generation.pipeline import resident

    _resident_of("sd", folders, settings)
    with pytest.raises(resident.AdapterLeft), resident.borrowed() as base:
        first = base
        # An adapter where the way back does not look (the text encoder, by peft itself).
        inject_adapter_in_model(LoraConfig(r=2, target_modules=["q_proj"]), base.pipe.text_encoder)
    with resident.borrowed() as base:
        assert base is not first, "loaded afresh"
        resident.check_clean(base)


def test_a_seed_makes_the_same_image_alone_or_in_a_batch(folders):
    from generation.pipeline.base import BaseModel

    base = BaseModel.load(str(folders["sd"]))
    batch = _images(base, seeds=(5, 6, 7))
    for seed, in_batch in zip((5, 6, 7), batch, strict=True):
        (alone,) = _images(base, seeds=(seed,))
        # The same starting noise; the arithmetic of a larger batch rounds differently in the
        # last bits, under a level of 255 on any value.
        assert np.abs(alone - in_batch).max() < 1e-4
    assert not np.array_equal(batch[0], batch[1])


def test_the_compiled_unet_sees_each_sessions_fused_weights_and_then_none(folders, settings):
    """torch.compile traces the UNet once; the weights a session fuses in place, and writes
    back when it ends, are what the compiled code computes with (the eager backend keeps the
    arithmetic identical, so images compare exactly)."""
    from generation.pipeline import resident
    from generation.pipeline.generate import lora_fuse

    fresh = _resident_of("sd", folders, settings)
    plain = _images(fresh)
    lora = _train(fresh, seed=4)
    lora_fuse(fresh, lora, "session_4")
    fused = _images(fresh)

    settings.PICTUREUS_TORCH_COMPILE = "eager"
    with resident.borrowed() as base:
        assert all(np.array_equal(a, b) for a, b in zip(_images(base), plain, strict=True))
        compiled = base.compiled_unet
        assert compiled is not None and base.pipe.unet is not compiled
        lora_fuse(base, lora, "session_4")
        assert all(np.array_equal(a, b) for a, b in zip(_images(base), fused, strict=True))
    with resident.borrowed() as base:
        assert base.compiled_unet is compiled
        assert all(np.array_equal(a, b) for a, b in zip(_images(base), plain, strict=True))
