"""The consent gate of a session: each choice recorded on the ledger, uploads opened."""

from collections.abc import Mapping
from typing import TYPE_CHECKING

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_noop

from privacy.services import audit_log

from ..models import PhotoSession
from .states import session_transition

if TYPE_CHECKING:
    from privacy.models import ConsentText

S = PhotoSession.State


def session_consent_give(
    *,
    photo_session: PhotoSession,
    face_photos: bool,
    model_improvement: bool,
    marketing_likeness: bool,
    only_me: bool = False,
    request: HttpRequest | None = None,
    consent_texts: "Mapping[str, ConsentText] | None" = None,
) -> PhotoSession:
    """Record each choice of the consent gate as its own ledger row (P02, P06) and open uploads.

    Face-photo consent is for this session; the two optional purposes are account-wide and
    recorded either way, so a decline is on the ledger as clearly as a grant. `consent_texts`:
    by purpose, the version of each consent's wording the customer was shown.
    """
    from privacy.models import ConsentRecord
    from privacy.services import consent_record

    purpose = ConsentRecord.Purpose
    user = photo_session.user
    texts = consent_texts or {}
    with transaction.atomic():
        consent_record(
            user=user,
            purpose=purpose.FACE_PHOTOS,
            granted=face_photos,
            method=ConsentRecord.Method.FORM,
            request=request,
            photo_session=photo_session,
            consent_text=texts.get(purpose.FACE_PHOTOS),
        )
        for purpose_value, granted in (
            (purpose.MODEL_IMPROVEMENT, model_improvement),
            (purpose.MARKETING_LIKENESS, marketing_likeness),
        ):
            consent_record(
                user=user,
                purpose=purpose_value,
                granted=granted,
                method=ConsentRecord.Method.FORM,
                request=request,
                consent_text=texts.get(purpose_value),
            )
        if only_me:
            # The ledger has no purpose for it; the audit trail keeps the confirmation.
            audit_log(
                action="consent.only_me_confirmed",
                actor=user,
                subject=user,
                obj=photo_session,
            )
        if face_photos and photo_session.state == S.PAID:
            session_transition(
                photo_session=photo_session,
                to_state=S.COLLECTING_PHOTOS,
                cause=gettext_noop("face-photo consent given"),
                actor=user,
            )
    return photo_session
