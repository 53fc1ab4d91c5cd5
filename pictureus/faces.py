"""Faces in a photo: where they are, their landmarks, an aligned crop and a likeness descriptor.

dlib's models, offline: the HOG face detector, the 5-point landmark model and the ResNet face
descriptor (99.38% on LFW) from `face-recognition-models`. Uploads, training and generation
all use this one module.

A descriptor identifies a person. It lives in memory for one comparison and is never stored,
logged or exported (P23): only distances and scores derived from it are kept.
"""

import importlib.util
import threading
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image

# Two photos of one person are closer than this (dlib's published threshold for its model).
SAME_PERSON_DISTANCE = 0.6
# Detection runs on a copy no larger than this: faces stay big enough, the time stays small.
DETECT_LONG_SIDE = 800
# HOG finds faces from about 80 px; a small image is searched at twice its size.
UPSAMPLE_BELOW = 400
# Where nothing is found, a second, slower look at twice this size finds a small face (which
# the upload check then calls too small, not missing).
SMALL_FACE_LONG_SIDE = 1600
# The detector's confidence below which a find is a pattern, not a face (a badge on a suit
# scores up to 0.3 on the labelled set, real faces from 0.6 up: tests/faces/dataset.py).
MIN_SCORE = 0.3

# dlib's models are not safe to share between threads; each thread loads its own.
_models = threading.local()


@cache
def _model_dir() -> Path:
    # Located without importing the package, which needs setuptools' pkg_resources.
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("face-recognition-models is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "models"


def _model(name: str):
    import dlib

    loaded = getattr(_models, name, None)
    if loaded is None:
        if name == "detector":
            loaded = dlib.get_frontal_face_detector()
        elif name == "landmarks":
            path = _model_dir() / "shape_predictor_5_face_landmarks.dat"
            loaded = dlib.shape_predictor(str(path))
        else:
            path = _model_dir() / "dlib_face_recognition_resnet_model_v1.dat"
            loaded = dlib.face_recognition_model_v1(str(path))
        setattr(_models, name, loaded)
    return loaded


def load_models() -> None:
    """Load this thread's models now (a worker does it once, not on its first photo)."""
    for name in ("detector", "landmarks", "descriptor"):
        _model(name)


@dataclass(frozen=True)
class Face:
    """One face found in a photo: its box in the photo's pixels and its 5 landmarks."""

    box: tuple[int, int, int, int]  # left, top, width, height
    # The eyes' corners and the nose, in the photo's pixels.
    landmarks: tuple[tuple[float, float], ...]
    _pixels: np.ndarray = field(repr=False, compare=False)
    _shape: object = field(repr=False, compare=False)

    @property
    def width(self) -> int:
        return self.box[2]


def _working_copy(image: Image.Image, long_side: int) -> tuple[np.ndarray, float]:
    rgb = image.convert("RGB")
    scale = min(1.0, long_side / max(rgb.size))
    if scale < 1.0:
        size = (round(rgb.width * scale), round(rgb.height * scale))
        rgb = rgb.resize(size, Image.Resampling.BILINEAR)
    return np.asarray(rgb), scale


def find_faces(image: Image.Image) -> list[Face]:
    """Every frontal face in the photo, largest first."""
    import dlib

    pixels, scale = _working_copy(image, DETECT_LONG_SIDE)
    upsample = 1 if max(pixels.shape[:2]) < UPSAMPLE_BELOW else 0
    found, _, _ = _model("detector").run(pixels, upsample, MIN_SCORE)
    if not found and max(image.size) > UPSAMPLE_BELOW:
        pixels, scale = _working_copy(image, SMALL_FACE_LONG_SIDE)
        found, _, _ = _model("detector").run(pixels, 1, MIN_SCORE)
    faces = []
    for rect in found:
        rect = dlib.rectangle(
            max(0, rect.left()),
            max(0, rect.top()),
            min(pixels.shape[1] - 1, rect.right()),
            min(pixels.shape[0] - 1, rect.bottom()),
        )
        shape = _model("landmarks")(pixels, rect)
        points = tuple((p.x / scale, p.y / scale) for p in shape.parts())
        box = tuple(
            round(v / scale) for v in (rect.left(), rect.top(), rect.width(), rect.height())
        )
        faces.append(Face(box=box, landmarks=points, _pixels=pixels, _shape=shape))
    return sorted(faces, key=lambda f: f.width, reverse=True)


def face_at(image: Image.Image, box) -> Face:
    """The face known to be at `box` (left, top, width, height, in this image's pixels): its
    landmarks without searching the photo again."""
    import dlib

    pixels = np.asarray(image.convert("RGB"))
    left, top, width, height = (round(v) for v in box)
    rect = dlib.rectangle(left, top, left + width, top + height)
    shape = _model("landmarks")(pixels, rect)
    points = tuple((p.x, p.y) for p in shape.parts())
    return Face(box=(left, top, width, height), landmarks=points, _pixels=pixels, _shape=shape)


def aligned_crop(face: Face, size: int, *, padding: float = 0.6) -> Image.Image:
    """The face turned upright (eyes level) at one scale, `size` pixels square.

    `padding` adds that share of the face's width around it: 0.6 keeps hair and shoulders,
    as training needs; 0.25 is the tight crop of a likeness comparison."""
    import dlib

    chip = dlib.get_face_chip(face._pixels, face._shape, size=size, padding=padding)
    return Image.fromarray(chip)


def descriptor(face: Face) -> np.ndarray:
    """The face's 128-number likeness descriptor. Keep it in memory only (see above)."""
    return np.asarray(_model("descriptor").compute_face_descriptor(face._pixels, face._shape))


def distance(a: np.ndarray, b: np.ndarray) -> float:
    """How far apart two descriptors are: under SAME_PERSON_DISTANCE is the same person."""
    return float(np.linalg.norm(a - b))


def likeness(candidate: np.ndarray, references: list[np.ndarray]) -> float:
    """A 0-1 score of how much a face looks like the reference photos' person: 1 is identical,
    0.5 is at the same-person threshold, 0 is at twice that distance or further."""
    if not references:
        raise ValueError("no reference faces")
    median = float(np.median([distance(candidate, r) for r in references]))
    return round(max(0.0, 1.0 - median / (2 * SAME_PERSON_DISTANCE)), 4)


def sharpness(image: Image.Image, face: Face) -> float:
    """Detail in the face alone (variance of the Laplacian on a 96 px crop): a sharp face on
    a blurred background is sharp."""
    import cv2

    left, top, width, height = face.box
    grey = image.convert("L").crop((left, top, left + width, top + height))
    crop = np.asarray(grey.resize((96, 96), Image.Resampling.BOX))
    return round(float(cv2.Laplacian(crop, cv2.CV_64F).var()), 2)


def set_likeness(descriptors: dict) -> dict:
    """Each photo's likeness (see `likeness`) to the person most of the set shows, or None for
    every photo while no person is shown by more than half of them.

    The set decides, not the first photo: the anchor is the photo that looks like the most
    others, and each photo is scored against the anchor's group without itself.
    """
    keys = list(descriptors)
    undecided = dict.fromkeys(keys)
    if len(keys) < 3:
        return undecided

    def near(a, b):
        return distance(descriptors[a], descriptors[b]) < SAME_PERSON_DISTANCE

    def closeness(key):
        return sum(near(key, other) for other in keys if other != key)

    anchor = max(keys, key=closeness)
    group = [key for key in keys if key == anchor or near(key, anchor)]
    if len(group) * 2 <= len(keys):
        return undecided
    return {
        key: likeness(descriptors[key], [descriptors[g] for g in group if g != key]) for key in keys
    }
