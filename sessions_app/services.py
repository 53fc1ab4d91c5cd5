"""Photo sessions: the state machine, payments and refunds, photo deletion.

`session_transition` is the only place a PhotoSession's state changes; every other workflow here
goes through it.
"""

import contextlib
import hashlib
import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Collection, Iterable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.models import User
from pictureus.mail import send_templated, site_url
from pictureus.seller import seller
from pictureus.timezones import zone_for_user
from privacy.services import audit_log

from . import addons
from .checkout import (
    WITHDRAWAL_TERMS,
    PaymentError,
    WithdrawalAgreement,
    checkout_open,
    payment_backend,
    stripe_client,
)
from .models import (
    Order,
    PhotoSession,
    Plan,
    Refund,
    SessionTransition,
    SourcePhoto,
    StylePack,
    WebhookEvent,
)

if TYPE_CHECKING:
    from privacy.models import ConsentText

logger = logging.getLogger(__name__)

S = PhotoSession.State

# Which states a session may move to from each state. Failed and refunded are side exits.
TRANSITIONS: dict[str, set[str]] = {
    S.DRAFT: {S.AWAITING_PAYMENT},
    S.AWAITING_PAYMENT: {S.PAID, S.DRAFT, S.FAILED},
    S.PAID: {S.COLLECTING_PHOTOS, S.FAILED, S.REFUNDED},
    S.COLLECTING_PHOTOS: {S.QUEUED, S.FAILED, S.REFUNDED},
    # Back to collecting_photos when face-photo consent is withdrawn before delivery.
    S.QUEUED: {S.TRAINING, S.COLLECTING_PHOTOS, S.FAILED, S.REFUNDED},
    S.TRAINING: {S.GENERATING, S.QUEUED, S.COLLECTING_PHOTOS, S.FAILED, S.REFUNDED},
    S.GENERATING: {S.DELIVERED, S.QUEUED, S.COLLECTING_PHOTOS, S.FAILED, S.REFUNDED},
    S.DELIVERED: {S.ORIGINALS_DELETED, S.EXPIRED, S.REFUNDED},
    S.ORIGINALS_DELETED: {S.EXPIRED, S.REFUNDED},
    # A failed session is retried (queued) or refunded, never left stuck.
    S.FAILED: {S.QUEUED, S.REFUNDED},
    S.EXPIRED: set(),
    S.REFUNDED: set(),
}

# Photo count a session needs before it can be submitted, and the most it may hold.
MIN_PHOTOS = 10
MAX_PHOTOS = 20


class InvalidTransition(Exception):
    """The session cannot move from its current state to the one asked for."""


class RefundError(Exception):
    """The refund cannot be made (nothing paid, amount too large) or the processor refused."""


def can_transition(from_state: str, to_state: str) -> bool:
    return to_state in TRANSITIONS.get(from_state, set())


@transaction.atomic
def session_transition(
    *, photo_session: PhotoSession, to_state: str, cause: str, actor: User | None = None
) -> PhotoSession:
    """Move a session to `to_state`, recording when, why and by whom; raise InvalidTransition."""
    locked = PhotoSession.objects.select_for_update().get(pk=photo_session.pk)
    if not can_transition(locked.state, to_state):
        raise InvalidTransition(f"{locked.state} → {to_state} is not allowed")
    now = timezone.now()
    from_state = locked.state
    locked.state = to_state
    locked.state_changed_at = now
    fields = ["state", "state_changed_at", "updated_at"]
    if to_state == S.DELIVERED:
        locked.delivered_at = now
        fields.append("delivered_at")
    if to_state == S.ORIGINALS_DELETED:
        locked.originals_deleted_at = now
        fields.append("originals_deleted_at")
    if to_state == S.FAILED and cause:
        locked.failure_reason = cause[:2000]
        fields.append("failure_reason")
    locked.save(update_fields=fields)
    SessionTransition.objects.create(
        photo_session=locked,
        from_state=from_state,
        to_state=to_state,
        cause=cause[:200],
        actor=actor if actor is not None and getattr(actor, "pk", None) else None,
    )
    # Keep the caller's object in step so it does not save a stale state later.
    for field in fields:
        setattr(photo_session, field, getattr(locked, field))
    return locked


@transaction.atomic
def session_create(
    *, user: User, plan: Plan, styles: Iterable[StylePack], currency: str, natural: bool = False
) -> PhotoSession:
    """Create a draft session for a plan, its chosen styles and the price in `currency`;
    `natural`: portraits without retouching."""
    price = plan.prices.get(currency=currency)
    photo_session = PhotoSession.objects.create(
        user=user, plan=plan, currency=currency, amount=price.amount, natural=natural
    )
    photo_session.styles.set(styles)
    SessionTransition.objects.create(
        photo_session=photo_session, to_state=S.DRAFT, cause=gettext_noop("created"), actor=user
    )
    return photo_session


# --- paying ---------------------------------------------------------------------------------


def order_checkout_start(
    *,
    photo_session: PhotoSession,
    success_url: str,
    cancel_url: str,
    agreement: WithdrawalAgreement,
    actor: User | None = None,
) -> Order:
    """Open (or reuse) the one payment attempt for a session and return it with its checkout URL.

    A session has at most one open order: asking again returns the same one, so a second
    click or a second tab cannot start a second charge. The order keeps the terms of
    withdrawal the customer agreed to on the way (the latest agreement, for a reused one); the
    checkout speaks the language they agreed in.
    """
    backend = payment_backend()
    with transaction.atomic():
        locked = PhotoSession.objects.select_for_update().get(pk=photo_session.pk)
        if locked.state not in (S.DRAFT, S.AWAITING_PAYMENT):
            raise InvalidTransition(f"a session in {locked.state} cannot be paid for")
        order = locked.orders.filter(
            status=Order.Status.OPEN, backend=backend, kind=Order.Kind.SESSION
        ).first()
        if locked.state == S.DRAFT:
            session_transition(
                photo_session=locked,
                to_state=S.AWAITING_PAYMENT,
                cause=gettext_noop("checkout started"),
                actor=actor,
            )
        order = order or Order.objects.create(
            photo_session=locked,
            backend=backend,
            currency=locked.currency,
            amount=locked.amount,
        )
        agreement.record_on(order)
    return checkout_open(
        order=order,
        item_name=f"PictureUs {locked.plan.name_en}",
        success_url=success_url,
        cancel_url=cancel_url,
        language=agreement.language,
    )


def payment_event_process(
    *, event_id: str, event_type: str, data_object: dict, backend: str
) -> str:
    """Apply one verified payment event exactly once; return what it did (for the log).

    Repeated deliveries are recognised by the event id; events may arrive in any order, and a
    paid order is never made unpaid again. Unknown event types are recorded and ignored.
    """
    with transaction.atomic():
        event, created = WebhookEvent.objects.get_or_create(
            event_id=event_id, defaults={"event_type": event_type[:100], "backend": backend}
        )
        if not created:
            return "duplicate"
        outcome = _event_apply(event_type=event_type, data_object=data_object)
        event.outcome = outcome[:200]
        event.save(update_fields=["outcome"])
    if outcome == "second payment":
        # The session was already paid through another order: give this money back at once.
        order = Order.objects.get(checkout_session_id=data_object.get("id"))
        order_refund(order=order, amount=None, reason="second payment for one session")
    return outcome


def _event_apply(*, event_type: str, data_object: dict) -> str:
    if event_type in ("checkout.session.completed", "checkout.session.async_payment_succeeded"):
        return _checkout_completed(data_object)
    if event_type in ("checkout.session.expired", "checkout.session.async_payment_failed"):
        return _checkout_expired(data_object)
    return "ignored"


def _order_for(data_object: dict) -> Order | None:
    checkout_id = data_object.get("id")
    if not isinstance(checkout_id, str) or not checkout_id:
        return None
    return (
        Order.objects.select_for_update()
        .select_related("photo_session")
        .filter(checkout_session_id=checkout_id)
        .first()
    )


def _checkout_completed(data_object: dict) -> str:
    order = _order_for(data_object)
    if order is None:
        return "unknown order"
    if data_object.get("payment_status") not in ("paid", "no_payment_required"):
        return "not paid yet"
    if data_object.get("amount_total") != order.amount or (
        str(data_object.get("currency", "")).lower() != order.currency
    ):
        logger.error("Order %s: paid amount does not match the order", order.pk)
        return "amount mismatch"
    if order.status == Order.Status.PAID:
        return "already paid"
    if order.kind == Order.Kind.ADDON:
        return addons.order_addon_paid(order=order, payment_intent=_payment_intent(data_object))
    photo_session = order.photo_session
    already_paid = photo_session.orders.filter(status=Order.Status.PAID).exists()
    order.status = Order.Status.PAID
    order.paid_at = timezone.now()
    order.payment_intent_id = _payment_intent(data_object)[:255]
    order.save(update_fields=["status", "paid_at", "payment_intent_id"])
    if already_paid or photo_session.state != S.AWAITING_PAYMENT:
        return "second payment"
    session_transition(
        photo_session=photo_session, to_state=S.PAID, cause=gettext_noop("payment received")
    )
    audit_log(action="session.paid", subject=photo_session.user, obj=photo_session)
    # robust: a mail server that is down must not make the processor resend a paid event.
    transaction.on_commit(lambda: order_confirmation_send(order_id=order.pk), robust=True)
    return "paid"


def _payment_intent(data_object: dict) -> str:
    """The payment's id in a Checkout session event (expanded or not)."""
    payment_intent = data_object.get("payment_intent")
    if isinstance(payment_intent, dict):
        payment_intent = payment_intent.get("id")
    return str(payment_intent or "")


def _processor_charge(order: Order) -> tuple[str, str]:
    """Stripe's own receipt page for the order's payment and the kind of method it was paid
    with ("kakao_pay"); empty where there is none (yet)."""
    if order.backend != Order.Backend.STRIPE or not order.payment_intent_id:
        return "", ""
    import stripe

    try:
        intent = stripe_client().v1.payment_intents.retrieve(
            order.payment_intent_id, params={"expand": ["latest_charge"]}
        )
    except stripe.StripeError:
        # The receipt still goes out with our own details; Stripe's page is a convenience.
        logger.warning("Order %s: Stripe's receipt could not be fetched", order.pk, exc_info=True)
        return "", ""
    charge = getattr(intent, "latest_charge", None)
    details = getattr(charge, "payment_method_details", None)
    method = str(getattr(details, "type", None) or "")[:32]
    return str(getattr(charge, "receipt_url", None) or "")[:1000], method


def order_confirmation_send(*, order_id: int) -> None:
    """Email the customer the confirmation of a paid order, in their language: the order's
    details the law asks for (seller, item, amount, payment method, date, the terms of
    withdrawal) and the payment processor's own receipt link where it has one."""
    order = Order.objects.select_related("photo_session__user", "photo_session__plan").get(
        pk=order_id
    )
    if not (order.receipt_url and order.payment_method):
        receipt_url, method = _processor_charge(order)
        order.receipt_url = order.receipt_url or receipt_url
        order.payment_method = order.payment_method or method
        order.save(update_fields=["receipt_url", "payment_method"])
    photo_session = order.photo_session
    user = photo_session.user
    send_templated(
        to=[user.email],
        template_prefix="sessions_app/email/order_paid",
        context={
            "user": user,
            "order": order,
            "photo_session": photo_session,
            "styles": list(photo_session.styles.all()),
            "withdrawal_terms": WITHDRAWAL_TERMS,
            "seller": seller(),
            "url": site_url(
                reverse("sessions_app:detail", kwargs={"public_id": photo_session.public_id})
            ),
        },
        language=user.preferred_language,
        time_zone=zone_for_user(user),
    )


def _checkout_expired(data_object: dict) -> str:
    order = _order_for(data_object)
    if order is None:
        return "unknown order"
    if order.status != Order.Status.OPEN:
        return f"order already {order.status}"
    order.status = Order.Status.EXPIRED
    order.save(update_fields=["status"])
    return "expired"


def local_payment_complete(*, order: Order) -> str:
    """The local test backend's 'customer paid': the same event path Stripe's webhook takes."""
    if order.backend != Order.Backend.LOCAL or payment_backend() != Order.Backend.LOCAL:
        raise PaymentError("not a local test order")
    return payment_event_process(
        event_id=f"evt_local_{uuid.uuid4().hex}",
        event_type="checkout.session.completed",
        data_object={
            "id": order.checkout_session_id,
            "payment_status": "paid",
            "amount_total": order.amount,
            "currency": order.currency,
            "payment_intent": f"pi_local_{order.pk}",
        },
        backend=Order.Backend.LOCAL,
    )


# --- refunds --------------------------------------------------------------------------------


def order_refund(
    *,
    order: Order,
    amount: int | None,
    reason: str,
    actor: User | None = None,
    automatic: bool = False,
) -> Refund:
    """Refund `amount` (all that is left when None) of one paid order and record the answer."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        left = order.refundable
        amount = left if amount is None else amount
        if amount <= 0 or amount > left:
            raise RefundError(f"refundable amount is {left}, asked for {amount}")
        refund = Refund.objects.create(
            order=order, amount=amount, reason=reason[:300], actor=actor, automatic=automatic
        )
        if order.backend == Order.Backend.LOCAL:
            refund.processor_refund_id = f"re_local_{refund.pk}"
        else:
            try:
                answer = stripe_client().v1.refunds.create(
                    params={
                        "payment_intent": order.payment_intent_id,
                        "amount": amount,
                        "metadata": {"order_id": str(order.pk), "refund_id": str(refund.pk)},
                    },
                    options={"idempotency_key": f"pictureus-refund-{refund.pk}"},
                )
            except Exception as exc:
                logger.warning("Stripe refund for order %s failed: %s", order.pk, exc)
                refund.status = Refund.Status.FAILED
                refund.error = str(exc)[:500]
                refund.save(update_fields=["status", "error"])
                return refund
            refund.processor_refund_id = answer.id
        refund.status = Refund.Status.SUCCEEDED
        refund.save(update_fields=["status", "processor_refund_id"])
        order.amount_refunded += amount
        order.save(update_fields=["amount_refunded"])
        audit_log(
            action="order.refunded",
            actor=actor,
            subject=order.photo_session.user,
            obj=order,
            detail={"amount": amount, "currency": order.currency, "reason": reason[:300]},
        )
    return refund


def session_refund(
    *,
    photo_session: PhotoSession,
    amount: int | None = None,
    reason: str,
    actor: User | None = None,
) -> Refund | None:
    """Refund a session's payment: in full when `amount` is None, which also ends the session
    in `refunded`. A full refund asked again refunds nothing more (automatic refunds rely on it).
    """
    with transaction.atomic():
        locked = PhotoSession.objects.select_for_update().get(pk=photo_session.pk)
        order = locked.orders.filter(status=Order.Status.PAID).order_by("paid_at", "id").first()
        if order is None:
            raise RefundError("this session has no payment to refund")
        if amount is None and order.refundable == 0:
            # Already refunded in full: make sure the session says so, and refund nothing more.
            if can_transition(locked.state, S.REFUNDED):
                session_transition(
                    photo_session=locked, to_state=S.REFUNDED, cause=reason, actor=actor
                )
            return order.refunds.filter(status=Refund.Status.SUCCEEDED).first()
        refund = order_refund(
            order=order, amount=amount, reason=reason, actor=actor, automatic=actor is None
        )
        order.refresh_from_db()
        if (
            refund.status == Refund.Status.SUCCEEDED
            and order.refundable == 0
            and can_transition(locked.state, S.REFUNDED)
        ):
            session_transition(photo_session=locked, to_state=S.REFUNDED, cause=reason, actor=actor)
    for field in ("state", "state_changed_at"):
        setattr(photo_session, field, getattr(locked, field))
    return refund


# An automatic refund the payment service refused or did not answer is tried again this long
# after the last attempt, up to this many attempts in all; then it waits for an operator.
REFUND_RETRY_AFTER = timedelta(minutes=10)
REFUND_ATTEMPTS = 5


def refunds_failed_retry(*, now: datetime | None = None) -> dict[str, list[int]]:
    """Try again the automatic refunds of failed sessions that did not go through.

    A failed session's customer was told their payment is refunded in full; a refund that
    Stripe refused or did not answer (an outage) would otherwise never be tried again. Each
    attempt is a new Refund row with its own idempotency key; a session refunded in the
    meantime (by an operator) is left alone.
    """
    now = now or timezone.now()
    owed = PhotoSession.objects.filter(
        state=S.FAILED,
        orders__status=Order.Status.PAID,
        orders__refunds__automatic=True,
        orders__refunds__status=Refund.Status.FAILED,
    ).distinct()
    result: dict[str, list[int]] = {"retried": [], "refunded": []}
    for photo_session in owed:
        order = photo_session.orders.filter(status=Order.Status.PAID).order_by("paid_at", "id")[0]
        attempts = order.refunds.filter(automatic=True).order_by("-created_at", "-id")
        last = attempts.first()
        if (
            order.refundable == 0
            or last is None
            or last.status != Refund.Status.FAILED
            or attempts.count() >= REFUND_ATTEMPTS
            or last.created_at > now - REFUND_RETRY_AFTER
        ):
            continue
        refund = session_refund(photo_session=photo_session, reason=last.reason)
        result["retried"].append(photo_session.pk)
        if refund is not None and refund.status == Refund.Status.SUCCEEDED:
            result["refunded"].append(photo_session.pk)
    if result["retried"]:
        logger.warning("automatic refunds tried again: %s", result)
    return result


# --- photos ---------------------------------------------------------------------------------


@transaction.atomic
def photo_delete(*, photo: SourcePhoto, reason: str, actor=None) -> None:
    """Delete an accepted photo: its bytes, its thumbnail, its row, and whatever was already
    made from the session's photos (cached latents, weights); a receipt stays for each (P08)."""
    from privacy.models import RetentionPolicy
    from privacy.services import file_erase, session_data_erase

    photo_session = photo.photo_session
    subject = photo_session.user
    file_erase(
        fieldfile=photo.image,
        subject=subject,
        reason=reason,
        category="originals",
        content_sha256=photo.sha256,
    )
    if photo.thumbnail:
        file_erase(fieldfile=photo.thumbnail, subject=subject, reason=reason, category="originals")
    audit_log(
        action="photo.deleted",
        actor=actor,
        subject=subject,
        obj=photo_session,
        detail={"photo": photo.pk, "reason": reason[:200]},
    )
    photo.delete()
    session_data_erase(
        photo_session=photo_session,
        categories={RetentionPolicy.Category.TRAINING_ARTIFACTS},
        reason=reason,
        actor=actor,
    )
    # Without it, the set may show its person differently (the stranger was deleted).
    photos_likeness_update(photo_session=photo_session)


# Why a session's data went, as its state history says it (translated where it is shown).
ERASURE_CAUSES = {
    "retention": gettext_noop("retention"),
    "withdrawal": gettext_noop("consent withdrawn"),
    "request": gettext_noop("deleted at the customer's request"),
}


def session_after_erase(
    *, photo_session: PhotoSession, categories: Collection[str], reason: str
) -> None:
    """Move a session on once the privacy app erased its data (registered with the registry).

    Its photos gone, a delivered session is `originals_deleted`; its gallery gone, `expired`.
    Any other state stays as it is, with the time its photos went recorded.
    """
    cause = ERASURE_CAUSES.get(reason, ERASURE_CAUSES["retention"])
    photo_session.refresh_from_db()
    if "originals" in categories:
        if photo_session.state == S.DELIVERED:
            session_transition(
                photo_session=photo_session, to_state=S.ORIGINALS_DELETED, cause=cause
            )
        elif photo_session.originals_deleted_at is None:
            PhotoSession.objects.filter(pk=photo_session.pk).update(
                originals_deleted_at=timezone.now()
            )
    if "deliverables" in categories and photo_session.state in (S.DELIVERED, S.ORIGINALS_DELETED):
        session_transition(photo_session=photo_session, to_state=S.EXPIRED, cause=cause)


# --- consent, uploads, submission -----------------------------------------------------------


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


# Descriptors of accepted photos, kept in this process's memory only (never stored, P23) so
# that each upload is compared with the whole session without redoing every face: a miss
# (another process, a restart) recomputes one from the photo's thumbnail and face box.
_DESCRIPTORS: OrderedDict = OrderedDict()
_DESCRIPTORS_AT_MOST = 4096
_descriptors_lock = threading.Lock()


def _descriptor_remember(photo: SourcePhoto, descriptor) -> None:
    with _descriptors_lock:
        _DESCRIPTORS[(photo.pk, photo.sha256)] = descriptor
        while len(_DESCRIPTORS) > _DESCRIPTORS_AT_MOST:
            _DESCRIPTORS.popitem(last=False)


def photo_descriptor(photo: SourcePhoto):
    """An accepted photo's face descriptor, in memory only (see above); None without a face."""
    from PIL import Image

    from pictureus import faces

    with _descriptors_lock:
        known = _DESCRIPTORS.get((photo.pk, photo.sha256))
    if known is not None:
        return known
    if not (photo.thumbnail and photo.face_box):
        return None
    with photo.thumbnail.open("rb") as stored:
        thumb = Image.open(stored)
        thumb.load()
    scale = thumb.width / photo.width
    descriptor = faces.descriptor(faces.face_at(thumb, [v * scale for v in photo.face_box]))
    _descriptor_remember(photo, descriptor)
    return descriptor


def _descriptors_ready(photos) -> None:
    """Have the photos' descriptors in memory, reading each missing one's thumbnail now.

    Done before taking a session's lock, so that after a restart one upload does not hold up
    the session's others while it reads every thumbnail: under the lock only a photo accepted
    meanwhile by another process is still to be read. A photo deleted meanwhile (its thumbnail
    gone) is skipped here; the set taken under the lock no longer holds it either.
    """
    for photo in photos:
        with contextlib.suppress(OSError, ValueError):
            photo_descriptor(photo)


def _likeness_of_set(photos, extra=None) -> dict:
    """Each photo's likeness to the person most of them show (`extra`: the one being added,
    under the key "new")."""
    from pictureus import faces

    descriptors = {photo.pk: photo_descriptor(photo) for photo in photos}
    descriptors = {key: d for key, d in descriptors.items() if d is not None}
    if extra is not None:
        descriptors["new"] = extra
    return faces.set_likeness(descriptors)


def photos_likeness_update(*, photo_session: PhotoSession) -> None:
    """Score every photo of the session against the person most of them show."""
    photos = list(photo_session.photos.all())
    scores = _likeness_of_set(photos)
    for photo in photos:
        photo.likeness = scores.get(photo.pk)
    SourcePhoto.objects.bulk_update(photos, ["likeness"])


def photo_accept(*, photo_session: PhotoSession, processed) -> SourcePhoto:
    """Store one photo that passed the pipeline; refuse it when the session is full or it
    duplicates a photo accepted meanwhile (checked under the session's lock).
    """
    from django.core.files.base import ContentFile

    from .photos import DUPLICATE_DISTANCE, PhotoRejected, hash_distance

    # Outside the lock: on a miss each descriptor is read again from its photo's thumbnail.
    if processed.descriptor is not None and photo_session.state == S.COLLECTING_PHOTOS:
        others = list(photo_session.photos.all())
        if len(others) < MAX_PHOTOS:
            _descriptors_ready(others)
    with transaction.atomic():
        locked = PhotoSession.objects.select_for_update().get(pk=photo_session.pk)
        if locked.state != S.COLLECTING_PHOTOS:
            raise InvalidTransition(f"a session in {locked.state} takes no photos")
        known = list(locked.photos.values_list("phash", flat=True))
        if len(known) >= MAX_PHOTOS:
            raise PhotoRejected("session_full")
        if any(hash_distance(processed.phash, h) < DUPLICATE_DISTANCE for h in known if h):
            raise PhotoRejected("duplicate")
        # Someone else (a friend, a celebrity): refused against the whole set, so that the
        # first photo does not decide who the customer is (the terms: your own face only).
        others = list(locked.photos.all())
        scores = {}
        if processed.descriptor is not None:
            scores = _likeness_of_set(others, extra=processed.descriptor)
            if scores["new"] is not None and scores["new"] < 0.5:
                raise PhotoRejected("other_person")
        photo = SourcePhoto(
            photo_session=locked,
            sha256=hashlib.sha256(processed.jpeg).hexdigest(),
            width=processed.width,
            height=processed.height,
            face_box=processed.face_box,
            sharpness=processed.sharpness,
            phash=processed.phash,
        )
        try:
            photo.image.save("photo.jpg", ContentFile(processed.jpeg), save=False)
            photo.thumbnail.save("thumb.webp", ContentFile(processed.thumbnail), save=False)
            photo.save()
            if processed.descriptor is not None:
                _descriptor_remember(photo, processed.descriptor)
                # The set was scored with this photo in it above: keep those scores.
                photo.likeness = scores["new"]
                for other in others:
                    other.likeness = scores.get(other.pk)
                SourcePhoto.objects.bulk_update([photo, *others], ["likeness"])
            # An upload is activity: an undelivered session's photos are kept for the
            # abandoned-session period from its last change (the date it shows moves too).
            PhotoSession.objects.filter(pk=locked.pk).update(updated_at=timezone.now())
        except Exception:
            # Nothing of a photo that could not be recorded stays in storage.
            for fieldfile in (photo.image, photo.thumbnail):
                if fieldfile.name:
                    fieldfile.storage.delete(fieldfile.name)
            raise
    return photo


def session_queue(*, photo_session: PhotoSession, actor: User | None = None) -> PhotoSession:
    """Queue a session with enough accepted photos and a current face-photo consent.

    Generation starts the training (`generation.services.session_submit` calls this).
    """
    from privacy.models import ConsentRecord
    from privacy.services import consent_is_current, processing_restricted

    with transaction.atomic():
        locked = PhotoSession.objects.select_for_update().get(pk=photo_session.pk)
        if locked.photos.count() < MIN_PHOTOS:
            raise InvalidTransition(f"a session needs {MIN_PHOTOS} accepted photos")
        if locked.photos.filter(likeness__lt=0.5).exists():
            raise InvalidTransition("a photo looks like someone else")
        if not consent_is_current(
            user=locked.user, purpose=ConsentRecord.Purpose.FACE_PHOTOS, photo_session=locked
        ) or processing_restricted(user=locked.user):
            raise InvalidTransition("no current face-photo consent")
        session_transition(
            photo_session=locked,
            to_state=S.QUEUED,
            cause=gettext_noop("submitted by customer"),
            actor=actor,
        )
    photo_session.state = locked.state
    return locked
