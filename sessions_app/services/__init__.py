"""Photo sessions: the state machine, payments and refunds, photo deletion.

`session_transition` is the only place a PhotoSession's state changes; every other workflow here
goes through it.

By topic: `states` (the state machine, creating, submitting, after an erasure), `payments`
(checkout, payment events, order confirmation), `refunds`, `consent` (the consent gate) and
`photos` (accepting, scoring and deleting photos). Everything is importable from here.
"""

# Callers catch PaymentError and ask payment_backend here, as they did of the single module.
from ..checkout import PaymentError, payment_backend
from .consent import session_consent_give
from .payments import (
    local_payment_complete,
    order_checkout_start,
    order_confirmation_send,
    payment_event_process,
)
from .photos import _DESCRIPTORS as _DESCRIPTORS
from .photos import (
    photo_accept,
    photo_delete,
    photo_descriptor,
    photos_likeness_update,
)
from .refunds import (
    REFUND_ATTEMPTS,
    REFUND_RETRY_AFTER,
    RefundError,
    order_refund,
    refunds_failed_retry,
    session_refund,
)
from .states import (
    ERASURE_CAUSES,
    MAX_PHOTOS,
    MIN_PHOTOS,
    TRANSITIONS,
    InvalidTransition,
    can_transition,
    session_after_erase,
    session_create,
    session_queue,
    session_transition,
)

__all__ = [
    "ERASURE_CAUSES",
    "MAX_PHOTOS",
    "MIN_PHOTOS",
    "REFUND_ATTEMPTS",
    "REFUND_RETRY_AFTER",
    "TRANSITIONS",
    "InvalidTransition",
    "PaymentError",
    "RefundError",
    "can_transition",
    "local_payment_complete",
    "order_checkout_start",
    "order_confirmation_send",
    "order_refund",
    "payment_backend",
    "payment_event_process",
    "photo_accept",
    "photo_delete",
    "photo_descriptor",
    "photos_likeness_update",
    "refunds_failed_retry",
    "session_after_erase",
    "session_consent_give",
    "session_create",
    "session_queue",
    "session_refund",
    "session_transition",
]
