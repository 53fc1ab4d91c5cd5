"""How much a portrait looks like its customer: scored against the session's accepted photos.

The descriptors come from the one face module and stay in this process's memory; only the
0-1 score is stored with the portrait (P23).
"""

from PIL import Image

from pictureus import faces
from sessions_app import services as sessions_services
from sessions_app.models import PhotoSession


def session_references(*, photo_session: PhotoSession) -> list:
    """The descriptors of the session's accepted photos that show the session's person."""
    references = []
    for photo in photo_session.photos.all():
        if photo.looks_like_someone_else:
            continue
        descriptor = sessions_services.photo_descriptor(photo)
        if descriptor is not None:
            references.append(descriptor)
    return references


def portrait_likeness(image: Image.Image, references: list) -> float | None:
    """The portrait's likeness to the references; None when it shows no face, several faces,
    or there is nothing to compare with."""
    found = faces.find_faces(image)
    if len(found) != 1 or not references:
        return None
    return faces.likeness(faces.descriptor(found[0]), references)
