"""Labelling a portrait as AI-generated in its own file, once, when the worker writes it: an
invisible watermark in the pixels (invisible-watermark, the library diffusers' SDXL pipeline
uses) and signed C2PA content credentials (generation.provenance).

Worker side only: imwatermark imports torch.
"""

import io

import cv2
import numpy as np
from imwatermark import WatermarkDecoder, WatermarkEncoder
from PIL import Image

from generation.provenance import content_credentials_sign

from .generate import PREVIEW_SIZE

# 64 bits that say "made by PictureUs's AI"; a reader needs their length to find them.
WATERMARK = b"PictUsAI"
# dwtDctSvd, not the dwtDct that diffusers' SDXL pipeline uses: dwtDct marks the largest value
# of each block, which smooth skin and backgrounds do not have, and loses up to 24 of the 64 bits
# of natural photos even in a lossless PNG (benchmarks/labelling.py --compare); dwtDctSvd none.
WATERMARK_METHOD = "dwtDctSvd"
# invisible-watermark refuses images of fewer pixels than this.
WATERMARK_MIN_PIXELS = 256 * 256


class LabelError(Exception):
    """A portrait that cannot carry its label is not delivered."""


def watermark_embed(image: Image.Image, *, family: str) -> Image.Image:
    """The image with the watermark in its pixels. Only the development model's placeholders
    are ever too small for it (32-64 px); any other model's image that is fails."""
    if image.width * image.height < WATERMARK_MIN_PIXELS:
        if family == "tiny":
            return image
        raise LabelError(f"a {image.width}x{image.height} image is too small to watermark")
    bgr = cv2.cvtColor(np.asarray(image.convert("RGB")), cv2.COLOR_RGB2BGR)
    encoder = WatermarkEncoder()
    encoder.set_watermark("bytes", WATERMARK)
    marked = encoder.encode(bgr, WATERMARK_METHOD)
    return Image.fromarray(cv2.cvtColor(marked, cv2.COLOR_BGR2RGB))


def watermark_read(image: Image.Image) -> bytes:
    """The bytes the watermark carries (WATERMARK when it is ours)."""
    bgr = cv2.cvtColor(np.asarray(image.convert("RGB")), cv2.COLOR_RGB2BGR)
    return WatermarkDecoder("bytes", len(WATERMARK) * 8).decode(bgr, WATERMARK_METHOD)


def label_outputs(image: Image.Image, *, family: str) -> tuple[bytes, bytes]:
    """The full-size PNG (watermarked and signed) and the WebP preview (signed) of one portrait.

    The preview is not watermarked: lossy WebP erases 3-16 of the watermark's 64 bits, so it
    would cost time and prove nothing; what customers download is the PNG."""
    full = io.BytesIO()
    watermark_embed(image, family=family).save(full, format="PNG", optimize=False)
    preview = image.copy()
    preview.thumbnail((PREVIEW_SIZE, PREVIEW_SIZE), Image.Resampling.LANCZOS)
    small = io.BytesIO()
    preview.save(small, format="WEBP", quality=82)
    return (
        content_credentials_sign(full.getvalue(), mime="image/png", family=family),
        content_credentials_sign(small.getvalue(), mime="image/webp", family=family),
    )
