"""The progress panel's words, in the customer's language, for the page and the JSON endpoint.

The script that polls the endpoint only copies these strings into the page (no text in JS).
"""

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from sessions_app.models import PhotoSession

from .services import session_progress

State = PhotoSession.State


def eta_text(seconds) -> str:
    if seconds is None:
        return _("Estimating the time left…")
    if seconds < 60:
        return _("Less than a minute left.")
    minutes = round(seconds / 60)
    return ngettext("About %(count)d minute left.", "About %(count)d minutes left.", minutes) % {
        "count": minutes
    }


def progress_message(data: dict) -> str:
    phase = data["phase"]
    if phase == "regenerating":
        if data["job_state"] == "queued":
            return _("New portraits for one style are waiting for a free studio machine.")
        return _("Creating new portraits for one style: %(done)d of %(total)d ready.") % data
    if phase == State.QUEUED or data["job_state"] == "queued" and not data["finished"]:
        if data["queue_position"]:
            return _(
                "Waiting for a free studio machine: you are number %(position)d in the queue."
            ) % {"position": data["queue_position"]}
        return _("Waiting for a free studio machine.")
    if phase == State.TRAINING:
        return _("Learning your likeness: step %(done)d of %(total)d.") % data
    if phase == State.GENERATING:
        return _("Creating your portraits: %(done)d of %(total)d ready.") % data
    if phase in (State.DELIVERED, State.ORIGINALS_DELETED):
        return _("Your gallery is ready.")
    if phase in (State.FAILED, State.REFUNDED):
        return _(
            "We could not make your portraits. Your payment is refunded and we have emailed you."
        )
    return _("Your portraits are not being made right now.")


def progress_for_display(*, photo_session: PhotoSession) -> dict:
    """The session's progress with its message, ETA text and the URLs the panel needs."""
    data = session_progress(photo_session=photo_session)
    data["message"] = progress_message(data)
    data["eta_text"] = "" if data["finished"] else eta_text(data["eta_seconds"])
    data["url"] = reverse("generation:progress", kwargs={"public_id": photo_session.public_id})
    data["gallery_url"] = reverse(
        "generation:gallery", kwargs={"public_id": photo_session.public_id}
    )
    return data
