"""Erasure workflows: withdrawal, "delete my photos now", session and account erasure.

They walk the registry of personal data, so they cover every store an app has declared and
import no other app (P03, P08, P11).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone

from .. import registry
from ..models import ConsentRecord, DeletionReceipt, LegalHold, PendingErasure, RetentionPolicy
from ..registry import Erase, Holding
from .audit import audit_log
from .consent import consent_record
from .holds import active_holds, hold_applies
from .receipts import file_erase, receipt_append

if TYPE_CHECKING:
    from accounts.models import User
    from sessions_app.models import PhotoSession

Category = RetentionPolicy.Category
# What a face-photo withdrawal and "delete my photos now" erase: the photos and what was
# trained on them.
FACE_DATA = frozenset({Category.ORIGINALS, Category.TRAINING_ARTIFACTS})
SESSION_DATA = FACE_DATA | {Category.DELIVERABLES}


# --- rows of a holding ------------------------------------------------------------------------


def account_emails(user: User) -> list[str]:
    """Every email address of the account, from the holdings that hold its addresses."""
    found = {user.email.lower()} if user.email else set()
    for holding in registry.holdings():
        if holding.account_addresses and holding.owner:
            rows = holding.model._default_manager.filter(**{holding.owner: user.pk})
            for field in holding.emails:
                found.update(e.lower() for e in rows.values_list(field, flat=True) if e)
    return sorted(found)


def account_for_address(email: str, *, active_only: bool = False) -> User | None:
    """The account an address identifies: its login address, or another address the account
    holder confirmed (None when no account has it)."""
    if not email:
        return None
    User = get_user_model()
    users = User.objects.filter(is_active=True) if active_only else User.objects.all()
    owners = [users.filter(email__iexact=email)]
    for holding in registry.holdings():
        if holding.account_addresses and holding.owner and holding.model is not User:
            confirmed = (
                {holding.addresses_confirmed_by: True} if holding.addresses_confirmed_by else {}
            )
            for field in holding.emails:
                rows = holding.model._default_manager.filter(
                    **{f"{field}__iexact": email}, **confirmed
                )
                owners.append(users.filter(pk__in=rows.values(holding.owner)))
    # The login address first: it is the account's own, whatever the address books say.
    return next((account for qs in owners for account in qs[:1]), None)


def owned_rows(holding: Holding, *, user: User, emails: list[str]) -> models.QuerySet:
    """The rows of a holding that belong to the account: by its owner link or its addresses."""
    if holding.rows is not None:
        return holding.rows(user=user, emails=emails)
    match = models.Q(pk__in=[])
    if holding.owner:
        match |= models.Q(**{holding.owner: user.pk})
    for field in holding.emails:
        for email in emails:
            match |= models.Q(**{f"{field}__iexact": email})
    return holding.model._default_manager.filter(match)


def rows_erase(
    holding: Holding, rows: models.QuerySet, *, subject: User | None, reason: str
) -> int:
    """Erase rows as their holding says: files first (a receipt each), then the rows."""
    if holding.erase == Erase.KEEP:
        return 0
    count = 0
    for row in rows.iterator(chunk_size=200):
        for name in holding.files:
            file_erase(
                fieldfile=getattr(row, name),
                subject=subject,
                reason=reason,
                category=(
                    holding.receipt_category(row) if holding.receipt_category else holding.category
                ),
                content_sha256=_content_hash(row, name),
            )
        count += 1
    if not count:
        return 0
    with transaction.atomic():
        if callable(holding.erase):
            holding.erase(rows, subject=subject)
            how = "anonymised"
        else:
            rows.delete()
            how = "deleted"
        # Rows with files have a receipt per file already; the others get one for the lot.
        if not holding.files:
            receipt_append(
                subject=subject,
                category=holding.category,
                what=f"{count} {holding.model._meta.verbose_name_plural} {how}",
                reason=reason,
            )
    return count


def _content_hash(row: models.Model, field_name: str) -> str:
    # A photo's hash is of its image; a thumbnail's bytes are hashed as they are erased.
    return getattr(row, "sha256", "") if field_name in ("image", "file") else ""


# --- sessions ---------------------------------------------------------------------------------


def session_data_erase(
    *,
    photo_session: models.Model,
    categories: Iterable[str],
    reason: str,
    actor: User | None = None,
) -> dict[str, int]:
    """Erase a session's data of the given retention categories, bytes and rows.

    Erasing face data first stops every job that reads it. Returns the rows erased per
    category.
    """
    categories = frozenset(categories)
    lifecycle = registry.sessions()
    subject = getattr(photo_session, lifecycle.owner)
    if categories & FACE_DATA:
        for stop in registry.session_stoppers():
            stop(photo_session=photo_session, reason=reason)
    counts = dict.fromkeys(sorted(categories), 0)
    for holding in registry.session_holdings(categories):
        rows = holding.model._default_manager.filter(**{holding.session: photo_session.pk})
        counts[holding.category] += rows_erase(holding, rows, subject=subject, reason=reason)
    if any(counts.values()):
        audit_log(
            action="session.data_erased",
            actor=actor,
            subject=subject,
            obj=photo_session,
            detail={"categories": sorted(categories), "reason": reason, "rows": counts},
        )
    lifecycle.after_erase(photo_session=photo_session, categories=categories, reason=reason)
    return counts


def _sessions_of(user: User) -> models.QuerySet:
    lifecycle = registry.sessions()
    return lifecycle.model._default_manager.filter(**{lifecycle.owner: user.pk}).order_by("pk")


def photos_erase_now(
    *, user: User, actor: User | None = None, request: HttpRequest | None = None
) -> int:
    """The customer's "delete my photos now": originals and training artifacts of every
    session not under a legal hold (P08). Returns how many photos were erased."""
    erased = 0
    for photo_session in _sessions_of(user):
        if hold_applies(user=user, photo_session=photo_session):
            continue
        counts = session_data_erase(
            photo_session=photo_session,
            categories=FACE_DATA,
            reason=DeletionReceipt.Reason.REQUEST,
            actor=actor or user,
        )
        erased += counts[Category.ORIGINALS]
    return erased


def consent_withdraw(
    *,
    user: User,
    purpose: str,
    method: str = ConsentRecord.Method.FORM,
    request: HttpRequest | None = None,
    photo_session: PhotoSession | None = None,
    actor: User | None = None,
) -> ConsentRecord:
    """Record a withdrawal and act on it at once.

    Withdrawing face-photo consent stops queued or running jobs and deletes originals, latents
    and LoRA weights of the session named, or of every session of the customer when none is
    named (P03). A legal hold keeps what it names.
    """
    with transaction.atomic():
        record = consent_record(
            user=user,
            purpose=purpose,
            granted=False,
            method=method,
            request=request,
            photo_session=photo_session,
        )
        audit_log(
            action="consent.withdrawn",
            actor=actor or user,
            subject=user,
            obj=record,
            detail={"purpose": purpose},
        )
    if purpose == ConsentRecord.Purpose.FACE_PHOTOS:
        sessions = [photo_session] if photo_session is not None else list(_sessions_of(user))
        for each in sessions:
            if hold_applies(user=user, photo_session=each):
                continue
            session_data_erase(
                photo_session=each,
                categories=FACE_DATA,
                reason=DeletionReceipt.Reason.WITHDRAWAL,
                actor=actor or user,
            )
    return record


# --- the account ------------------------------------------------------------------------------


def account_erase(
    *, user: User, reason: str = DeletionReceipt.Reason.REQUEST, actor: User | None = None
) -> bool:
    """Erase or anonymise every store of a customer, keeping only what a legal hold names (P11).

    Walks every holding and store of the registry. Order records stay, tied to the anonymised
    account; the consent ledger, audit log and receipts stay as the law asks, pseudonymous.
    Returns True when the erasure is complete, False when a hold interrupts it; it resumes when
    the hold is released.
    """
    pending, _ = PendingErasure.objects.get_or_create(user=user, defaults={"reason": reason})
    _sign_out_everywhere(user)
    audit_log(action="account.erasure_started", actor=actor, subject=user, obj=user)
    if hold_applies(user=user):
        audit_log(action="account.erasure_held", actor=actor, subject=user, obj=user)
        return False
    complete = True
    for photo_session in _sessions_of(user):
        if hold_applies(user=user, photo_session=photo_session):
            complete = False
            continue
        session_data_erase(
            photo_session=photo_session, categories=SESSION_DATA, reason=reason, actor=actor
        )
    emails = account_emails(user)
    for holding in registry.holdings():
        # Data kept per session was handled above, session by session, holds respected. While
        # a session is held, the account it belongs to stays identifiable.
        if holding.session or (holding.account_addresses and not complete):
            continue
        rows = owned_rows(holding, user=user, emails=emails)
        rows_erase(holding, rows, subject=user, reason=reason)
    for store in registry.stores():
        store.erase(user)
    if not complete:
        audit_log(action="account.erasure_held", actor=actor, subject=user, obj=user)
        return False
    with transaction.atomic():
        receipt_append(
            subject=user,
            category="account",
            what=f"account {user.pk} anonymised",
            reason=reason,
            detail="orders kept anonymised as the law requires",
        )
        PendingErasure.objects.filter(pk=pending.pk).update(completed_at=timezone.now())
        audit_log(action="account.erased", actor=actor, subject=user, obj=user)
    return True


def _sign_out_everywhere(user: User) -> None:
    # An unusable password changes the session hash, so every login session stops at once.
    if user.has_usable_password() or user.is_active:
        user.set_unusable_password()
        get_user_model().objects.filter(pk=user.pk).update(password=user.password, is_active=False)


def hold_release(*, hold: LegalHold, actor: User | None) -> None:
    """Release a hold; an account erasure it interrupted resumes at once (P11)."""
    with transaction.atomic():
        type(hold).objects.filter(pk=hold.pk, released_at__isnull=True).update(
            released_at=timezone.now(), released_by=actor
        )
        audit_log(action="hold.released", actor=actor, subject=hold.user, obj=hold)
    pending = PendingErasure.objects.filter(user=hold.user, completed_at__isnull=True).first()
    if pending is not None:
        account_erase(user=hold.user, reason=pending.reason, actor=actor)


def erasures_resume() -> int:
    """Erasures that a since-released or expired hold interrupted resume (the sweep calls it)."""
    resumed = 0
    held = active_holds().filter(scope="account").values("user_id")
    for pending in PendingErasure.objects.filter(completed_at__isnull=True).exclude(
        user_id__in=held
    ):
        account_erase(user=pending.user, reason=pending.reason)
        resumed += 1
    return resumed
