"""Helper of benchmarks/training.py: the base models it trains on.

The tiny model or a real one (--base-model) as the project loads it, or a real-sized model with
random weights (--sd15-random, --sdxl-random) built here: SD1.5's or SDXL's UNet, VAE and text
encoders at their real sizes, over the tiny model's generated vocabulary.
"""


def random_vae(sample_size: int, scaling_factor: float):
    """Stable Diffusion's VAE (SD1.5's and SDXL's have one shape) with random weights."""
    from diffusers import AutoencoderKL

    return AutoencoderKL(
        block_out_channels=(128, 256, 512, 512),
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        layers_per_block=2,
        latent_channels=4,
        sample_size=sample_size,
        scaling_factor=scaling_factor,
    )


def clip_config(vocab: dict, hidden: int, layers: int, heads: int, **extra):
    """A CLIP text encoder's config over the tiny model's generated vocabulary."""
    from transformers import CLIPTextConfig

    return CLIPTextConfig(
        vocab_size=max(49408, len(vocab)),
        hidden_size=hidden,
        intermediate_size=4 * hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        max_position_embeddings=77,
        **extra,
    )


def sd15_random_pipeline(device, dtype):
    """An SD1.5-sized pipeline with random weights (UNet, VAE, CLIP-L-sized text encoder)."""
    import torch
    from diffusers import DDIMScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextModel, CLIPTokenizer

    from generation.pipeline import tiny

    torch.manual_seed(0)
    vocab, merges = tiny.tokenizer_vocab_and_merges()
    tokenizer = CLIPTokenizer(vocab=vocab, merges=merges, model_max_length=77)
    unet = UNet2DConditionModel(
        sample_size=64,
        cross_attention_dim=768,
        attention_head_dim=8,
        block_out_channels=(320, 640, 1280, 1280),
        layers_per_block=2,
    )
    text_encoder = CLIPTextModel(clip_config(vocab, 768, 12, 12))
    scheduler = DDIMScheduler(
        beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", steps_offset=1
    )
    pipe = StableDiffusionPipeline(
        vae=random_vae(512, 0.18215),
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        unet=unet,
        scheduler=scheduler,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    return pipe.to(device, dtype)


def sdxl_random_pipeline(device, dtype):
    """An SDXL-sized pipeline with random weights: SDXL base's UNet config (2.6 B parameters),
    its VAE, and CLIP-L- and OpenCLIP-bigG-sized text encoders (the second with projection)."""
    import torch
    from diffusers import StableDiffusionXLPipeline, UNet2DConditionModel
    from transformers import CLIPTextModel, CLIPTextModelWithProjection, CLIPTokenizer

    from generation.pipeline import tiny

    torch.manual_seed(0)
    vocab, merges = tiny.tokenizer_vocab_and_merges()
    unet = UNet2DConditionModel(
        sample_size=128,
        block_out_channels=(320, 640, 1280),
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
        layers_per_block=2,
        transformer_layers_per_block=(1, 2, 10),
        attention_head_dim=(5, 10, 20),
        cross_attention_dim=2048,
        use_linear_projection=True,
        addition_embed_type="text_time",
        addition_time_embed_dim=256,
        projection_class_embeddings_input_dim=2816,
    )
    text_encoder = CLIPTextModel(clip_config(vocab, 768, 12, 12))
    text_encoder_2 = CLIPTextModelWithProjection(
        clip_config(vocab, 1280, 32, 20, projection_dim=1280, hidden_act="gelu")
    )
    scheduler = tiny.sdxl_scheduler()
    pipe = StableDiffusionXLPipeline(
        vae=random_vae(1024, 0.13025),
        text_encoder=text_encoder,
        text_encoder_2=text_encoder_2,
        tokenizer=CLIPTokenizer(vocab=vocab, merges=merges, model_max_length=77),
        tokenizer_2=CLIPTokenizer(vocab=vocab, merges=merges, model_max_length=77),
        unet=unet,
        scheduler=scheduler,
        add_watermarker=False,
    )
    return pipe.to(device, dtype)


RANDOM_MODELS = {
    "sd15_random": ("sd", sd15_random_pipeline, "random SD1.5-sized"),
    "sdxl_random": ("sdxl", sdxl_random_pipeline, "random SDXL-sized"),
}


def random_mode(args) -> str:
    """The random-weights mode asked for ("sd15_random", "sdxl_random"), or "" for none."""
    return next((name for name in RANDOM_MODELS if getattr(args, name)), "")


def load_base(args):
    from generation.pipeline.base import BaseModel, device_and_dtype

    if random_mode(args):
        from diffusers.models.attention_processor import AttnProcessor2_0

        family, build, source = RANDOM_MODELS[random_mode(args)]
        device, dtype = device_and_dtype()
        pipe = build(device, dtype)
        pipe.set_progress_bar_config(disable=True)
        pipe.unet.set_attn_processor(AttnProcessor2_0())
        return BaseModel(family, pipe, device, dtype, source)
    return BaseModel.load(args.base_model or "")
