"""A labelled face-detection set built from images the project may ship (tests/data/faces).

Two real identities (scikit-image's astronaut, Eileen Collins; Grace Hopper), no-face images
(coffee, a cat, the cameraman seen from behind his camera), two-face composites, and the
variants uploads meet: small, rotated, dark and blurred. Each item is labelled with the number
of faces a detector should find and, for one-face items, whose face it is.
"""

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageEnhance, ImageFilter, ImageOps
from skimage import data

HERE = Path(__file__).resolve().parent.parent / "data" / "faces"


@dataclass(frozen=True)
class Item:
    name: str
    image: Image.Image
    faces: int
    identity: str = ""  # "collins" or "hopper" for a one-face item


@cache
def collins() -> Image.Image:
    return Image.fromarray(data.astronaut())


@cache
def hopper() -> Image.Image:
    # 128 px: upscaled to a photo's size, as a phone photo of her portrait would be.
    return Image.open(HERE / "hopper.jpg").convert("RGB").resize((512, 512), Image.LANCZOS)


def on_canvas(face: Image.Image, *, canvas=(1200, 900), width=300, at=(450, 300)) -> Image.Image:
    """The face `width` pixels wide on a textured background (a small face in a big photo)."""
    rng = np.random.default_rng(7)
    noise = rng.integers(90, 160, (canvas[1] // 8, canvas[0] // 8, 3), dtype=np.uint8)
    background = Image.fromarray(noise).resize(canvas, Image.BILINEAR)
    scaled = face.resize((width, round(face.height * width / face.width)), Image.LANCZOS)
    background.paste(scaled, at)
    return background


def side_by_side(left: Image.Image, right: Image.Image) -> Image.Image:
    height = 512
    a = left.resize((round(left.width * height / left.height), height))
    b = right.resize((round(right.width * height / right.height), height))
    both = Image.new("RGB", (a.width + b.width, height), (128, 128, 128))
    both.paste(a, (0, 0))
    both.paste(b, (a.width, 0))
    return both


def variants(name: str, image: Image.Image, identity: str) -> list[Item]:
    dark = ImageEnhance.Brightness(image).enhance(0.35)

    def turned(degrees):
        return image.rotate(degrees, expand=True, fillcolor=(128, 128, 128))

    return [
        Item(name, image, 1, identity),
        Item(f"{name}, mirrored", ImageOps.mirror(image), 1, identity),
        Item(f"{name}, rotated 15°", turned(15), 1, identity),
        Item(f"{name}, rotated −15°", turned(-15), 1, identity),
        Item(f"{name}, dark", dark, 1, identity),
        Item(f"{name}, blurred", image.filter(ImageFilter.GaussianBlur(2)), 1, identity),
        Item(f"{name}, small in a big photo", on_canvas(image, width=260), 1, identity),
        Item(f"{name}, 1200 px", image.resize((1200, 1200), Image.LANCZOS), 1, identity),
    ]


def detection_set() -> list[Item]:
    items = variants("astronaut", collins(), "collins") + variants("hopper", hopper(), "hopper")
    items += [
        Item("astronaut, cropped tighter", collins().crop((100, 0, 400, 300)), 1, "collins"),
        Item("hopper, cropped tighter", hopper().crop((60, 40, 460, 440)), 1, "hopper"),
        Item("coffee", Image.fromarray(data.coffee()), 0),
        Item("cat", Image.fromarray(data.chelsea()), 0),
        Item("cameraman", Image.fromarray(data.camera()).convert("RGB"), 0),
        Item("rocket", Image.fromarray(data.rocket()), 0),
        Item("astronaut and hopper", side_by_side(collins(), hopper()), 2),
        Item("hopper and astronaut", side_by_side(hopper(), ImageOps.mirror(collins())), 2),
    ]
    return items


def score(found: list[int], items: list[Item]) -> tuple[float, float]:
    """Precision and recall of face counts: a face found beyond the label is a false one."""
    true = sum(min(n, item.faces) for n, item in zip(found, items, strict=True))
    false = sum(max(0, n - item.faces) for n, item in zip(found, items, strict=True))
    missed = sum(max(0, item.faces - n) for n, item in zip(found, items, strict=True))
    precision = true / (true + false) if true + false else 1.0
    recall = true / (true + missed) if true + missed else 1.0
    return precision, recall
