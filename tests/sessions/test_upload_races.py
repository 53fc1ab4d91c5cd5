"""An upload batch that meets a session sent for its portraits from another tab."""

import json

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.utils.datastructures import MultiValueDict

from sessions_app.models import PhotoSession, SourcePhoto

from . import images


class SentWhileRead(SimpleUploadedFile):
    """A photo whose upload the customer's other tab outruns: by the time it has been read,
    the session has been sent (queued) for its portraits."""

    def read(self, *args):
        PhotoSession.objects.filter(pk=self.photo_session_pk).update(state="queued")
        return super().read(*args)


def test_photos_checked_while_the_session_is_sent_are_refused_and_nothing_is_lost(
    alice, collecting_session
):
    from sessions_app.views import photos

    late = SentWhileRead("two.jpg", images.face_jpeg(2), "image/jpeg")
    late.photo_session_pk = collecting_session.pk
    request = RequestFactory().post(
        f"/en/sessions/{collecting_session.public_id}/photos/", HTTP_ACCEPT="application/json"
    )
    request.user = alice
    request._files = MultiValueDict(
        {
            "photos": [
                SimpleUploadedFile("one.jpg", images.face_jpeg(1), "image/jpeg"),
                late,
                SimpleUploadedFile("three.jpg", images.face_jpeg(3), "image/jpeg"),
            ]
        }
    )

    response = photos(request, public_id=collecting_session.public_id)

    assert response.status_code == 200

    results = json.loads(response.content)["results"]
    assert [r["name"] for r in results] == ["one.jpg", "two.jpg", "three.jpg"]
    assert [r["accepted"] for r in results] == [True, False, False]
    assert "was sent for its portraits" in results[1]["reason"]
    assert results[2]["reason"] == results[1]["reason"]
    # The first photo is in; nothing of the other two was stored.
    assert list(SourcePhoto.objects.values_list("pk", flat=True)) == [results[0]["id"]]
