"""The offer of more styles on a delivered session's kept model: whether it stands, until when,
at what price, which styles, and why not when it does not (in the reader's language)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from generation.models import GenerationJob, TrainingArtifact
from privacy.services import processing_restricted, retention_deadlines
from sessions_app.addons import addon_price
from sessions_app.models import PhotoSession, StylePack

from .checks import consent_problem
from .plans import likeness_checked

State = PhotoSession.State

# The states in which a session has a gallery the offer can speak of.
GALLERY_STATES = (State.DELIVERED, State.ORIGINALS_DELETED, State.EXPIRED)


@dataclass
class AddonOffer:
    """More styles for one session. `reason`: why the kept model cannot make more now ("" when
    it can); `styles`: the styles the customer does not have yet."""

    price: int
    currency: str
    until: datetime.datetime | None
    styles: list[StylePack] = field(default_factory=list)
    reason: str = ""

    @property
    def available(self) -> bool:
        return not self.reason and bool(self.styles)

    @property
    def why_not(self) -> str:
        if self.reason or self.styles:
            return self.reason
        return gettext("You already have every style we offer.")


def addon_offer(
    *, photo_session: PhotoSession, now: datetime.datetime | None = None
) -> AddonOffer | None:
    """The offer for a delivered session; None where there is nothing to offer or explain (a
    session never delivered, a plan that sells no extra styles in the session's currency)."""
    if photo_session.state not in GALLERY_STATES:
        return None
    price = addon_price(plan=photo_session.plan, currency=photo_session.currency)
    if price is None:
        return None
    until = retention_deadlines(photo_session=photo_session)["training_artifacts"]
    offer = AddonOffer(price=price, currency=photo_session.currency, until=until)
    offer.reason = _refusal(photo_session, until=until, now=now or timezone.now())
    if not offer.reason:
        taken = photo_session.styles.values_list("pk", flat=True)
        offer.styles = list(StylePack.objects.filter(active=True).exclude(pk__in=taken))
    return offer


def _refusal(
    photo_session: PhotoSession, *, until: datetime.datetime | None, now: datetime.datetime
) -> str:
    """Why more styles cannot be made now, or "" when they can."""
    if until is not None and now >= until:
        return gettext(
            "Your personal model was deleted on %(date)s, as our retention schedule says, so no "
            "more styles can be made from it. A new session trains a new one."
        ) % {"date": date_format(timezone.localtime(until), "DATE_FORMAT")}
    has_model = photo_session.training_artifacts.filter(kind=TrainingArtifact.Kind.LORA).exists()
    if photo_session.state == State.EXPIRED or not has_model:
        return gettext(
            "Your personal model has been deleted, so no more styles can be made from it. A new "
            "session trains a new one."
        )
    if likeness_checked() and not photo_session.photos.exists():
        # Each new portrait is delivered only when it looks like the customer's own photos.
        return gettext(
            "Your original photos have been deleted, so we can no longer check that new "
            "portraits look like you. A new session trains a new model."
        )
    if processing_restricted(user=photo_session.user):
        return gettext(
            "You have restricted the processing of your data, so we make nothing more from your "
            "photos until the restriction is lifted."
        )
    if consent_problem(photo_session):
        return gettext(
            "Your consent to process your face photos for this session is not current, so we "
            "cannot make more portraits from them. You can give it again in your privacy centre."
        )
    busy = photo_session.generation_jobs.filter(
        kind=GenerationJob.Kind.ADDON, state__in=GenerationJob.ACTIVE_STATES
    )
    if busy.exists():
        return gettext("Your extra styles are being made. You can add more once they are ready.")
    return ""
