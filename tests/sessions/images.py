"""Test photos built in code: a face (scikit-image's astronaut) in many framings, and bad files."""

import io
import struct

import numpy as np
from PIL import Image
from skimage import data

# Crops of the 512px astronaut around her face (x0, y0, x1, y1), flipped or not; each framing
# gives a different perceptual hash, as different photos of one person would.
FRAMINGS = [
    (0, 0, 512, 512, False),
    (0, 0, 512, 512, True),
    (60, 0, 460, 400, False),
    (60, 0, 460, 400, True),
    (100, 0, 400, 300, False),
    (100, 0, 400, 300, True),
    (0, 0, 400, 512, False),
    (0, 0, 400, 512, True),
    (120, 20, 400, 250, False),
    (120, 20, 400, 250, True),
    (30, 10, 330, 460, False),
    (30, 10, 330, 460, True),
]


def face_image(n=0, *, size=800, tint=(1.0, 1.0, 1.0)) -> Image.Image:
    x0, y0, x1, y1, flip = FRAMINGS[n % len(FRAMINGS)]
    crop = data.astronaut()[y0:y1, x0:x1]
    if flip:
        crop = crop[:, ::-1]
    crop = np.clip(crop * np.array(tint), 0, 255).astype(np.uint8)
    image = Image.fromarray(np.ascontiguousarray(crop))
    scale = size / max(image.size)
    return image.resize((round(image.width * scale), round(image.height * scale)))


def encode(image: Image.Image, fmt="JPEG", **params) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def face_jpeg(n=0, **kwargs) -> bytes:
    return encode(face_image(n, **kwargs), "JPEG", quality=92)


def cat_jpeg() -> bytes:
    return encode(Image.fromarray(data.chelsea()).resize((902, 600)), "JPEG")


def png_bomb() -> bytes:
    """A tiny PNG that claims 30000 x 30000 pixels (900 MP) of zeros."""
    import zlib

    width = height = 30000
    raw = zlib.compress(b"\x00" * (width // 8 + 1) * 200, 9)

    def chunk(kind, payload):
        body = kind + payload
        return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def huge_exif_jpeg() -> bytes:
    """A JPEG with forty 64 KB APP1 segments (2.5 MB of metadata) before the image."""
    body = face_jpeg(0)
    segment = b"\xff\xe1" + struct.pack(">H", 65535) + b"Exif\x00\x00" + b"\x00" * 65527
    return body[:2] + segment * 40 + body[2:]


def cmyk_jpeg() -> bytes:
    return encode(face_image(0).convert("CMYK"), "JPEG")


def png16() -> bytes:
    arr = (np.asarray(face_image(0).convert("L")).astype(np.uint16) * 257).astype(np.uint16)
    return encode(Image.fromarray(arr), "PNG")


def animated_gif_named_jpg() -> bytes:
    frames = [face_image(0), face_image(1)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:])
    return out.getvalue()


def animated_webp() -> bytes:
    frames = [face_image(0), face_image(1)]
    out = io.BytesIO()
    frames[0].save(out, "WEBP", save_all=True, append_images=frames[1:])
    return out.getvalue()


SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
)
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


def polyglot() -> bytes:
    """A valid JPEG with an HTML page appended after its end marker."""
    return face_jpeg(0) + HTML


def truncated() -> bytes:
    body = face_jpeg(0)
    return body[: len(body) // 2]


def two_people() -> bytes:
    face = np.asarray(face_image(0))
    return encode(Image.fromarray(np.concatenate([face, face[:, ::-1]], axis=1)), "JPEG")


def apng() -> bytes:
    frames = [face_image(0), face_image(1)]
    out = io.BytesIO()
    frames[0].save(out, "PNG", save_all=True, append_images=frames[1:])
    return out.getvalue()


def phone_jpeg_with_extra_picture() -> bytes:
    """A JPEG carrying a second picture in MPF, as many phones write (not an animation)."""
    frames = [face_image(0), face_image(0, size=400)]
    out = io.BytesIO()
    frames[0].save(out, "MPO", save_all=True, append_images=frames[1:])
    return out.getvalue()
