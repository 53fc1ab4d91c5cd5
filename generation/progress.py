"""The progress panel's words, in the customer's language, for the page and the JSON endpoint.

The session's state label (the badge on the session page and on "My sessions") comes from here
too, from the same phase as the panel's message, so that every place says the same thing. The
script that polls the endpoint only copies these strings into the page (no text in JS).
"""

from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from sessions_app.models import PhotoSession

from .services.timing import (
    IN_PROGRESS,
    REGENERATING,
    session_latest_job,
    session_phase,
    session_progress,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

State = PhotoSession.State

# While the portraits are being made the badge names what is happening, in the words the
# panel's message starts with; in every other state it is the session state's own name.
PHASE_LABELS: "dict[str, StrPromise]" = {
    State.QUEUED: gettext_lazy("In the queue"),
    State.TRAINING: gettext_lazy("Learning your likeness"),
    State.GENERATING: gettext_lazy("Creating your portraits"),
}


def state_badge(*, phase: str, state: str) -> dict:
    """The badge for a session in `phase`: its CSS key and its label."""
    if phase in PHASE_LABELS:
        return {"key": phase, "label": str(PHASE_LABELS[phase])}
    return {"key": state, "label": str(State(state).label)}


def session_state_badge(photo_session: PhotoSession, *, latest_jobs=None) -> dict:
    """The badge of a session shown without its progress; `latest_jobs` (from
    latest_jobs_in_progress) where a page lists many sessions."""
    if photo_session.state not in IN_PROGRESS:
        return state_badge(phase=photo_session.state, state=photo_session.state)
    if latest_jobs is None:
        job = session_latest_job(photo_session=photo_session)
    else:
        job = latest_jobs.get(photo_session.pk)
    phase = session_phase(photo_session=photo_session, job=job)
    return state_badge(phase=phase, state=photo_session.state)


def _minutes(seconds: float) -> int:
    return max(1, round(seconds / 60))


def _queue_eta_text(data: dict) -> str:
    position, seconds = data["queue_position"], data["start_seconds"]
    if position is None:
        return _("Estimating when we can start…")
    if seconds is None:
        return _("You are number %(position)d in the queue. Estimating when we can start…") % {
            "position": position
        }
    if seconds < 60 and data["start_measured"]:
        return _("You are number %(position)d in the queue: we start in less than a minute.") % {
            "position": position
        }
    minutes = _minutes(seconds)
    return ngettext(
        "You are number %(position)d in the queue: about %(count)d minute until we start.",
        "You are number %(position)d in the queue: about %(count)d minutes until we start.",
        minutes,
    ) % {"position": position, "count": minutes}


def eta_text(data: dict) -> str:
    """How long it still takes, never shorter than what is known: "less than a minute" only
    when this session's own running job measured it so."""
    if data["finished"]:
        return ""
    if data["job_state"] == "queued" or data["phase"] == State.QUEUED:
        return _queue_eta_text(data)
    seconds = data["eta_seconds"]
    if seconds is None:
        if data["phase"] == State.TRAINING and data["job_seconds"] is not None:
            # No portraits made yet to time them by: say what is known, the training.
            if data["job_seconds"] < 60 and data["job_measured"]:
                return _(
                    "Less than a minute left to learn your likeness; then we create your portraits."
                )
            minutes = _minutes(data["job_seconds"])
            return ngettext(
                "About %(count)d minute left to learn your likeness; then we create your "
                "portraits.",
                "About %(count)d minutes left to learn your likeness; then we create your "
                "portraits.",
                minutes,
            ) % {"count": minutes}
        return _("Estimating the time left…")
    if seconds < 60 and data["eta_measured"]:
        return _("Less than a minute left.")
    minutes = _minutes(seconds)
    return ngettext("About %(count)d minute left.", "About %(count)d minutes left.", minutes) % {
        "count": minutes
    }


def progress_message(data: dict) -> str:
    phase = data["phase"]
    stage = data["state_label"]
    if phase == REGENERATING and data["job_kind"] == "addon":
        if data["job_state"] == "queued":
            return _("Your extra styles are waiting for a free studio machine.")
        return _("Creating your extra styles: %(done)d of %(total)d ready.") % data
    if phase == REGENERATING:
        if data["job_state"] == "queued":
            return _("New portraits for one style are waiting for a free studio machine.")
        return _("Creating new portraits for one style: %(done)d of %(total)d ready.") % data
    if phase == State.QUEUED:
        if data["state"] == State.TRAINING and data["job_kind"] == "generation":
            return _(
                "%(stage)s: your likeness is learned; your portraits start on the next free "
                "studio machine."
            ) % {"stage": stage}
        return _("%(stage)s: waiting for a free studio machine.") % {"stage": stage}
    if phase == State.TRAINING:
        return _("%(stage)s: step %(done)d of %(total)d.") % {**data, "stage": stage}
    if phase == State.GENERATING:
        return _("%(stage)s: %(done)d of %(total)d ready.") % {**data, "stage": stage}
    if phase in (State.DELIVERED, State.ORIGINALS_DELETED):
        return _("Your gallery is ready.")
    if phase in (State.FAILED, State.REFUNDED):
        return _(
            "We could not make your portraits. Your payment is refunded and we have emailed you."
        )
    return _("Your portraits are not being made right now.")


def progress_for_display(*, photo_session: PhotoSession) -> dict:
    """The session's progress with its state badge, message, ETA text and the URLs the panel
    needs."""
    data = session_progress(photo_session=photo_session)
    badge = state_badge(phase=data["phase"], state=data["state"])
    data["state_key"], data["state_label"] = badge["key"], badge["label"]
    data["message"] = progress_message(data)
    data["eta_text"] = eta_text(data)
    # While the first portraits are made the customer need not wait here: we email them.
    data["may_leave"] = not data["finished"] and data["phase"] != REGENERATING
    data["url"] = reverse("generation:progress", kwargs={"public_id": photo_session.public_id})
    data["gallery_url"] = reverse(
        "generation:gallery", kwargs={"public_id": photo_session.public_id}
    )
    return data
