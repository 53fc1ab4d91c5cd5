"""The one face module: finds the faces a person would count, and tells two people apart."""

import itertools

import pytest
from PIL import Image, ImageFilter

from pictureus import faces
from sessions_app.photos import PhotoRejected, photo_process
from tests.sessions.images import encode

from .dataset import collins, detection_set, hopper, on_canvas, side_by_side


def test_every_item_of_the_labelled_set_has_exactly_its_faces_found():
    wrong = [
        (item.name, item.faces, len(found))
        for item in detection_set()
        if len(found := faces.find_faces(item.image)) != item.faces
    ]
    assert wrong == []


def test_descriptors_put_one_person_together_and_two_people_apart():
    items = [item for item in detection_set() if item.faces == 1]
    seen = [(item, faces.descriptor(faces.find_faces(item.image)[0])) for item in items]
    same, different = [], []
    for (a, da), (b, db) in itertools.combinations(seen, 2):
        (same if a.identity == b.identity else different).append(faces.distance(da, db))
    assert max(same) < faces.SAME_PERSON_DISTANCE < min(different)


def test_likeness_scores_the_same_person_above_a_stranger():
    references = [
        faces.descriptor(faces.find_faces(image)[0])
        for image in (collins(), collins().transpose(Image.Transpose.FLIP_LEFT_RIGHT))
    ]
    own = faces.descriptor(faces.find_faces(collins().crop((100, 0, 400, 300)))[0])
    stranger = faces.descriptor(faces.find_faces(hopper())[0])
    assert faces.likeness(own, references) > 0.5 > faces.likeness(stranger, references)
    with pytest.raises(ValueError):
        faces.likeness(own, [])


def test_an_aligned_crop_is_square_upright_and_the_size_asked():
    tilted = collins().rotate(15, expand=True, fillcolor=(128, 128, 128))
    face = faces.find_faces(tilted)[0]
    crop = faces.aligned_crop(face, 256)
    assert crop.size == (256, 256)
    # dlib's 5 points: the outer and inner corners of one eye, of the other, the nose.
    upright = faces.find_faces(crop)[0].landmarks
    # Upright again: the eyes' outer corners are level in the crop (within a few pixels)...
    assert abs(upright[0][1] - upright[2][1]) < 5
    # ...as they were not in the tilted photo.
    assert abs(face.landmarks[0][1] - face.landmarks[2][1]) > 10


def verdict(image: Image.Image) -> str:
    try:
        photo_process(encode(image, "JPEG", quality=92))
    except PhotoRejected as refused:
        return refused.code
    return "accepted"


def test_a_small_face_is_too_small_not_missing():
    assert verdict(on_canvas(collins(), width=260)) == "face_too_small"
    assert verdict(on_canvas(collins(), canvas=(1200, 900), width=900, at=(150, 0))) == "accepted"


def test_a_sharp_face_on_a_blurred_background_is_sharp_and_a_blurred_face_is_not():
    photo = collins().resize((900, 900))
    left, top, width, height = faces.find_faces(photo)[0].box
    background = photo.filter(ImageFilter.GaussianBlur(8))
    portrait_mode = background.copy()
    portrait_mode.paste(photo.crop((left, top, left + width, top + height)), (left, top))
    assert verdict(portrait_mode) == "accepted"
    assert verdict(photo.filter(ImageFilter.GaussianBlur(5))) in ("blurry", "no_face")


def test_two_people_and_no_people_are_refused_for_what_they_are():
    assert verdict(side_by_side(collins(), hopper())) == "several_faces"
    for name in ("coffee", "cat", "cameraman"):
        (item,) = [item for item in detection_set() if item.name == name]
        assert verdict(item.image.resize((item.image.width * 2, item.image.height * 2))) == (
            "no_face"
        )


def test_training_crops_have_level_eyes_and_one_face_scale():
    from generation.pipeline.train import face_crop

    photos = [
        collins(),
        collins().rotate(15, expand=True, fillcolor=(128, 128, 128)),
        collins().rotate(-12, expand=True, fillcolor=(128, 128, 128)),
        on_canvas(collins(), canvas=(1400, 1000), width=700, at=(300, 100)),
    ]
    spans = []
    for photo in photos:
        crop = face_crop(photo, list(faces.find_faces(photo)[0].box), 256)
        assert crop.size == (256, 256)
        outer_right, _, outer_left, _, _ = faces.find_faces(crop)[0].landmarks
        assert abs(outer_right[1] - outer_left[1]) < 5, "eyes not level"
        spans.append(abs(outer_right[0] - outer_left[0]))
    # The same face size in every crop, whatever its size and angle in the photo.
    assert max(spans) / min(spans) < 1.12, spans
