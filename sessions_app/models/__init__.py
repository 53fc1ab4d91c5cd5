"""The app's models, by topic: `catalogue` (plans, prices, style packs), `sessions` (photo
sessions, their transitions and photos) and `payments` (orders, refunds, payment events)."""

# TranslatedFieldsMixin and the upload paths: migrations name them as sessions_app.models.*.
from pictureus.translated import TranslatedFieldsMixin

from .catalogue import AddonPrice, Plan, PlanPrice, StylePack
from .payments import PAYMENT_METHOD_NAMES, Order, Refund, WebhookEvent
from .sessions import (
    PhotoSession,
    SessionTransition,
    SourcePhoto,
    source_photo_path,
    source_thumb_path,
)

__all__ = [
    "PAYMENT_METHOD_NAMES",
    "AddonPrice",
    "Order",
    "PhotoSession",
    "Plan",
    "PlanPrice",
    "Refund",
    "SessionTransition",
    "SourcePhoto",
    "StylePack",
    "TranslatedFieldsMixin",
    "WebhookEvent",
    "source_photo_path",
    "source_thumb_path",
]
