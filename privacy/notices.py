"""What each consent tells the customer before they agree (PIPA Art. 15(2), 22, 23).

Core: imports no other app. Every consent on the form states the four items the law asks for:
why the data is processed, which data, how long it is kept, and that the customer may refuse
and what refusing means. Face photos are sensitive (biometric) information, so their consent
is its own, apart from the rest. The retention periods are read from the same records the
sweep enforces, so the text quotes the periods that are kept; a change of wording or of a
period is a new version of the text (its SHA-256), recorded with each choice.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.translation import get_language, gettext, ngettext, pgettext

from .models import ConsentRecord, ConsentText, RetentionPolicy
from .services.retention import retention_periods

Purpose = ConsentRecord.Purpose
Category = RetentionPolicy.Category


@dataclass(frozen=True)
class ConsentNotice:
    """One consent as the form shows it, in the active language."""

    purpose: str
    title: str
    required: bool
    sensitive: bool
    # (heading, text) for: purpose, items collected, retention period, refusal.
    items: tuple[tuple[str, str], ...]
    language: str

    @property
    def text(self) -> str:
        lines = [self.title, *(f"{heading}: {body}" for heading, body in self.items)]
        return "\n".join(lines)

    @property
    def version(self) -> str:
        return hashlib.sha256(f"{self.language}\n{self.text}".encode()).hexdigest()


def _days(periods: dict[str, int], category: str) -> str:
    days = periods.get(category)
    if days is None:
        return gettext("until you ask us to delete them")
    return ngettext("%(days)d day", "%(days)d days", days) % {"days": days}


def _headings() -> tuple[str, str, str, str]:
    return (
        pgettext("consent item", "Purpose"),
        pgettext("consent item", "Information collected"),
        pgettext("consent item", "How long it is kept"),
        pgettext("consent item", "Your right to refuse, and what refusing means"),
    )


def _face_photos(periods: dict[str, int]) -> tuple[str, str, str, str]:
    return (
        gettext(
            "To check your photos (one face, sharp, the same person in each), train a personal "
            "model for this session only, and make and deliver your portraits."
        ),
        gettext(
            "The face photos you upload, which show biometric features and are sensitive "
            "information; the portraits made from them; technical measures of each photo "
            "(face position, sharpness, a likeness score). Face descriptors are computed in "
            "memory and never stored."
        ),
        gettext(
            "Original photos %(originals)s and the personal model %(model)s after your "
            "portraits are delivered; portraits %(gallery)s. If the session is never "
            "delivered, everything %(abandoned)s after its last activity. Earlier if you ask."
        )
        % {
            "originals": _days(periods, Category.ORIGINALS),
            "model": _days(periods, Category.TRAINING_ARTIFACTS),
            "gallery": _days(periods, Category.DELIVERABLES),
            "abandoned": _days(periods, Category.ABANDONED),
        },
        gettext(
            "You may refuse. If you do, we cannot make your portraits: no photo can be "
            "uploaded and no model is trained. You can give this consent later, and withdraw "
            "it at any time in your privacy centre."
        ),
    )


def _model_improvement(periods: dict[str, int]) -> tuple[str, str, str, str]:
    return (
        gettext("To improve the models PictureUs uses to make portraits."),
        gettext("The face photos of your sessions and the portraits made from them."),
        gettext(
            "No longer than the photos themselves are kept (originals %(originals)s after "
            "delivery); a withdrawal stops any further use at once."
        )
        % {"originals": _days(periods, Category.ORIGINALS)},
        gettext("You may refuse. Your session works exactly the same if you do."),
    )


def _marketing_likeness(periods: dict[str, int]) -> tuple[str, str, str, str]:
    return (
        gettext("To show some of your portraits as samples on the PictureUs site."),
        gettext(
            "Portraits from your gallery that our team chooses; never your name, your email "
            "or your original photos."
        ),
        gettext(
            "While this consent stands and your gallery is kept (%(gallery)s after delivery); "
            "a withdrawal takes the portraits off the site at once."
        )
        % {"gallery": _days(periods, Category.DELIVERABLES)},
        gettext("You may refuse. Your session works exactly the same if you do."),
    )


def consent_notices(*, periods: dict[str, int] | None = None) -> list[ConsentNotice]:
    """The consents of the session's consent form, face photos first, in the active language."""
    periods = retention_periods() if periods is None else periods
    headings = _headings()
    language = get_language() or ""
    specs = (
        (
            Purpose.FACE_PHOTOS,
            gettext("Consent to process sensitive information: your face photos"),
            True,
            True,
            _face_photos,
        ),
        (
            Purpose.MODEL_IMPROVEMENT,
            gettext("Use of your photos to improve our models"),
            False,
            False,
            _model_improvement,
        ),
        (
            Purpose.MARKETING_LIKENESS,
            gettext("Use of your portraits in our marketing"),
            False,
            False,
            _marketing_likeness,
        ),
    )
    return [
        ConsentNotice(
            purpose=purpose,
            title=title,
            required=required,
            sensitive=sensitive,
            items=tuple(zip(headings, build(periods), strict=True)),
            language=language,
        )
        for purpose, title, required, sensitive, build in specs
    ]


def consent_text_for(notice: ConsentNotice) -> ConsentText:
    """The stored text of a notice's version, written the first time a choice is made on it."""
    found = ConsentText.objects.filter(version=notice.version).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return ConsentText.objects.create(
                version=notice.version,
                purpose=notice.purpose,
                language=notice.language,
                text=notice.text,
            )
    except IntegrityError:
        # Another request stored the same version meanwhile.
        return ConsentText.objects.get(version=notice.version)


class ConsentTextChanged(Exception):
    """The page showed a version of the consent's text that is no longer the current one."""


def consent_text_seen(*, purpose: str, seen: str = "") -> ConsentText | None:
    """The stored current text of `purpose`'s consent, for a choice made on it (None for a
    purpose without one); ConsentTextChanged when the page showed another version (`seen`)."""
    notice = next((n for n in consent_notices() if n.purpose == purpose), None)
    if notice is None:
        return None
    # Recorded only against the wording the customer read (PIPA Art. 15(2)).
    if seen and seen != notice.version:
        raise ConsentTextChanged(purpose)
    return consent_text_for(notice)
