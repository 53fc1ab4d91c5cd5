"""Withdrawing an order (청약철회, 전자상거래법 Art. 17): before training starts, the customer
takes the order back and is refunded in full; from then on the portraits are being made to
their order, which the terms agreed at checkout say."""

from django.db import transaction
from django.utils.translation import gettext_noop

from accounts.models import User
from privacy.models import RetentionPolicy
from privacy.services import session_data_erase

from .models import PhotoSession, Refund
from .services import InvalidTransition, session_refund

S = PhotoSession.State

# Nothing has been made for the customer yet in these states. A worker moves a queued session
# to training under the session's lock, so a withdrawal sees either one or the other; a job
# that finds its session refunded does nothing.
WITHDRAWABLE = frozenset({S.PAID, S.COLLECTING_PHOTOS, S.QUEUED})

WITHDRAWN = gettext_noop("order withdrawn by the customer before training")


def session_withdraw(*, photo_session: PhotoSession, actor: User) -> Refund | None:
    """Refund the session's payment in full and end it, then delete its photos and stop its
    waiting jobs (nothing is left to make); raise InvalidTransition once training has started,
    RefundError when there is no payment to refund.

    A refund the processor refused leaves the session as it was, to be tried again.
    """
    with transaction.atomic():
        locked = PhotoSession.objects.select_for_update().get(pk=photo_session.pk)
        if locked.state not in WITHDRAWABLE:
            raise InvalidTransition(f"a session in {locked.state} can no longer be withdrawn")
        refund = session_refund(photo_session=locked, reason=WITHDRAWN, actor=actor)
    photo_session.refresh_from_db()
    if photo_session.state == S.REFUNDED:
        session_data_erase(
            photo_session=photo_session,
            categories={
                RetentionPolicy.Category.ORIGINALS,
                RetentionPolicy.Category.TRAINING_ARTIFACTS,
            },
            reason="request",
            actor=actor,
        )
    return refund
