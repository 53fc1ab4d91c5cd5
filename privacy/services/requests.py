"""Data-subject requests: receipt, verification, deadlines, fulfilment (P12, P13, P14, P16).

A workflow on the core; fulfilment runs exports and erasures as tasks.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from django.core import signing
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation

from pictureus.timezones import service_today

from ..models import ConsentRecord, DataExport, DataSubjectRequest, ProcessingRestriction
from .audit import audit_log
from .consent import RESTRICTABLE_PURPOSES, consent_record, restriction_place
from .deadlines import dsar_deadlines, jurisdictions_for_region
from .erasure import account_for_address, consent_withdraw
from .errors import PrivacyError
from .mail import absolute_url, privacy_email
from .queue import enqueue_on_commit

if TYPE_CHECKING:
    from accounts.models import User

VERIFY_LINK_MAX_AGE = 48 * 3600


_STEP_TEMPLATES = {
    "received": "request_received",
    "verified": "request_verified",
    "extended": "request_extended",
    "fulfilled": "request_fulfilled",
    "refused": "request_refused",
}


def _dsr_notify(dsr: DataSubjectRequest, step: str, to: str = "", **extra: Any) -> None:
    privacy_email(
        to=to or dsr.email,
        language=dsr.language,
        template=_STEP_TEMPLATES[step],
        context={"dsr": dsr, "type": dsr.get_type_display(), **extra},
        # An agent's address is not the account's: the request's own language decides.
        user=None if to else dsr.user,
    )


def _dsr_audit(
    dsr: DataSubjectRequest, action: str, actor: User | None = None, **detail: Any
) -> None:
    audit_log(
        action=f"dsr.{action}",
        actor=actor,
        subject=dsr.user,
        obj=dsr,
        detail={"status": dsr.status, **detail},
    )


def dsr_create(
    *,
    type: str,
    channel: str,
    email: str,
    region: str,
    user: User | None = None,
    details: str = "",
    language: str = "en",
    agent_name: str = "",
    agent_email: str = "",
    agent_authority: UploadedFile | None = None,
    verified_by_reauthentication: bool = False,
) -> DataSubjectRequest:
    """Open a request and confirm its receipt; a re-authenticated customer is verified at once.

    An agent's request needs the signed authority (P14); without it nothing is opened.
    """
    if channel == DataSubjectRequest.Channel.AGENT and not agent_authority:
        audit_log(action="dsr.agent_refused", detail={"reason": "no authority"})
        raise PrivacyError(
            translation.gettext("An authorised agent must upload the signed authority.")
        )
    now = timezone.now()
    jurisdictions = jurisdictions_for_region(region)
    deadlines = dsar_deadlines(
        jurisdictions=jurisdictions, received=service_today(now), region=region
    )
    with transaction.atomic():
        dsr = DataSubjectRequest(
            type=type,
            channel=channel,
            email=email,
            user=user,
            details=details,
            language=language,
            jurisdictions=jurisdictions,
            agent_name=agent_name,
            agent_email=agent_email,
            received_at=now,
            due_date=deadlines["due"],
            receipt_due_date=deadlines["receipt_due"],
            receipt_confirmed_at=now,
        )
        if agent_authority:
            dsr.agent_authority.save(agent_authority.name, agent_authority, save=False)
        if verified_by_reauthentication:
            dsr.status = DataSubjectRequest.Status.VERIFIED
            dsr.verified_at = now
            dsr.verification_method = "reauthentication"
        dsr.save()
        _dsr_audit(dsr, "received", actor=user, channel=channel, type=type)
        if dsr.is_verified:
            _dsr_audit(dsr, "verified", actor=user, method="reauthentication")
            _dsr_apply_immediate(dsr)
    _dsr_acknowledge(dsr)
    return dsr


def _dsr_acknowledge(dsr: DataSubjectRequest) -> None:
    """Confirm a new request's receipt: to the requester, with the link that verifies a visitor
    or confirms an agent's authority, and to the agent."""
    context: dict[str, str] = {}
    if dsr.channel == DataSubjectRequest.Channel.VISITOR:
        context["verify_url"] = absolute_url(
            reverse("privacy:request_verify", args=[dsr_token(dsr, "visitor")])
        )
    elif dsr.channel == DataSubjectRequest.Channel.AGENT:
        context["confirm_url"] = absolute_url(
            reverse("privacy:request_confirm", args=[dsr_token(dsr, "agent")])
        )
    _dsr_notify(dsr, "received", **context)
    if dsr.channel == DataSubjectRequest.Channel.AGENT and dsr.agent_email:
        privacy_email(
            to=dsr.agent_email,
            language=dsr.language,
            template="request_agent_received",
            context={"dsr": dsr, "type": dsr.get_type_display()},
        )


def _dsr_apply_immediate(dsr: DataSubjectRequest) -> None:
    # A restriction is the safe side: it takes effect as soon as the request is verified (P16).
    kinds: dict[str, str] = {
        DataSubjectRequest.Type.RESTRICTION: ProcessingRestriction.Kind.RESTRICTION,
        DataSubjectRequest.Type.OBJECTION: ProcessingRestriction.Kind.OBJECTION,
        DataSubjectRequest.Type.LIMIT_USE: ProcessingRestriction.Kind.LIMIT_USE,
    }
    if dsr.user is not None and dsr.type in kinds:
        restriction_place(user=dsr.user, kind=kinds[dsr.type], request_obj=dsr)


def dsr_token(dsr: DataSubjectRequest, purpose: str) -> str:
    return signing.dumps(str(dsr.public_id), salt=f"privacy.dsr.{purpose}")


def dsr_from_token(token: str, purpose: str) -> DataSubjectRequest:
    """The request a link names; PrivacyError for a wrong or expired link (audited)."""
    try:
        public_id = signing.loads(token, salt=f"privacy.dsr.{purpose}", max_age=VERIFY_LINK_MAX_AGE)
        return DataSubjectRequest.objects.get(public_id=public_id)
    except signing.SignatureExpired as exc:
        audit_log(action="dsr.link_refused", detail={"why": "expired", "purpose": purpose})
        raise PrivacyError(translation.gettext("This link has expired.")) from exc
    except (signing.BadSignature, DataSubjectRequest.DoesNotExist, ValueError) as exc:
        audit_log(action="dsr.link_refused", detail={"why": "invalid", "purpose": purpose})
        raise PrivacyError(translation.gettext("This link is not valid.")) from exc


def dsr_visitor_verify(*, dsr: DataSubjectRequest, display_name: str) -> None:
    """Verify a visitor: the email link (already checked) plus a second data point."""
    account = account_for_address(dsr.email, active_only=True)
    if dsr.is_verified:
        return
    matches = (
        account is not None
        and account.display_name
        and account.display_name.strip().casefold() == display_name.strip().casefold()
    )
    if not matches:
        _dsr_audit(dsr, "verification_failed", method="email+display_name")
        raise PrivacyError(
            translation.gettext("We could not verify your identity with these details.")
        )
    _dsr_mark_verified(dsr, method="email link + display name", user=account)


def dsr_agent_confirm(*, dsr: DataSubjectRequest, user: User) -> None:
    """The customer confirms an agent's request (P14); it is verified once both are recorded."""
    if dsr.channel != DataSubjectRequest.Channel.AGENT or account_for_address(dsr.email) != user:
        _dsr_audit(dsr, "confirmation_refused", actor=user)
        raise PrivacyError(translation.gettext("This request is not yours to confirm."))
    if not dsr.agent_authority:
        _dsr_audit(dsr, "confirmation_refused", actor=user, why="no authority")
        raise PrivacyError(translation.gettext("The agent's signed authority is missing."))
    with transaction.atomic():
        DataSubjectRequest.objects.filter(pk=dsr.pk).update(
            customer_confirmed_at=timezone.now(), user=user
        )
        dsr.refresh_from_db()
        _dsr_audit(dsr, "customer_confirmed", actor=user)
    _dsr_mark_verified(dsr, method="agent authority + customer confirmation", user=user)


def _dsr_mark_verified(
    dsr: DataSubjectRequest, *, method: str, user: User | None = None, actor: User | None = None
) -> None:
    with transaction.atomic():
        dsr.status = DataSubjectRequest.Status.VERIFIED
        dsr.verified_at = timezone.now()
        dsr.verification_method = method
        dsr.verified_by = actor
        if user is not None:
            dsr.user = user
        dsr.save()
        _dsr_audit(dsr, "verified", actor=actor, method=method)
        _dsr_apply_immediate(dsr)
    _dsr_notify(dsr, "verified")


def dsr_verify(*, dsr: DataSubjectRequest, actor: User | None, method: str) -> None:
    """The officer records a verification; an agent's request needs the authority and the
    customer's confirmation first (P13, P14)."""
    if dsr.is_verified:
        raise PrivacyError(translation.gettext("This request is already verified."))
    if not dsr.is_open:
        raise PrivacyError(translation.gettext("This request is closed."))
    if dsr.channel == DataSubjectRequest.Channel.AGENT and not (
        dsr.agent_authority and dsr.customer_confirmed_at
    ):
        _dsr_audit(dsr, "verify_refused", actor=actor, why="agent without confirmation")
        raise PrivacyError(
            translation.gettext(
                "An agent's request needs the signed authority and the customer's own "
                "confirmation before it can be verified."
            )
        )
    if not method.strip():
        raise PrivacyError(translation.gettext("Say how the identity was verified."))
    if dsr.user is None:
        dsr.user = account_for_address(dsr.email)
    _dsr_mark_verified(dsr, method=method.strip(), actor=actor)


def dsr_extend(
    *,
    dsr: DataSubjectRequest,
    actor: User | None,
    reason: str,
    today: datetime.date | None = None,
) -> None:
    """Extend the deadline where the law allows, with reasons, before the first deadline."""
    today = today or service_today()
    if not reason.strip():
        raise PrivacyError(translation.gettext("Give the reason for the extension."))
    if dsr.extended_at is not None:
        raise PrivacyError(translation.gettext("This request has already been extended."))
    if today > dsr.due_date:
        _dsr_audit(dsr, "extend_refused", actor=actor, why="after deadline")
        raise PrivacyError(
            translation.gettext("The deadline has passed: an extension is no longer possible.")
        )
    # The request keeps no region: the account's picks the holidays; without an account,
    # weekends only (which can only give an earlier date).
    deadlines = dsar_deadlines(
        jurisdictions=dsr.jurisdictions,
        received=service_today(dsr.received_at),
        region=dsr.user.region if dsr.user else "",
    )
    if deadlines["extended_due"] is None:
        _dsr_audit(dsr, "extend_refused", actor=actor, why="law allows none")
        raise PrivacyError(
            translation.gettext("The law that applies to this request allows no extension.")
        )
    if not dsr.is_open:
        raise PrivacyError(translation.gettext("This request is closed."))
    with transaction.atomic():
        old_due = dsr.due_date
        dsr.due_date = deadlines["extended_due"]
        dsr.extended_at = timezone.now()
        dsr.extension_reason = reason.strip()
        dsr.save()
        _dsr_audit(dsr, "extended", actor=actor, old_due=str(old_due), new_due=str(dsr.due_date))
    _dsr_notify(dsr, "extended", reason=dsr.extension_reason)


def dsr_refuse(*, dsr: DataSubjectRequest, actor: User | None, reason: str) -> None:
    """Refuse with a reason; the requester learns why and how to complain."""
    if not reason.strip():
        raise PrivacyError(translation.gettext("Give the reason for the refusal."))
    if not dsr.is_open:
        raise PrivacyError(translation.gettext("This request is closed."))
    with transaction.atomic():
        dsr.status = DataSubjectRequest.Status.REFUSED
        dsr.refusal_reason = reason.strip()
        dsr.closed_at = timezone.now()
        dsr.save()
        _dsr_audit(dsr, "refused", actor=actor)
    _dsr_notify(dsr, "refused", reason=dsr.refusal_reason)


def dsr_fulfil(*, dsr: DataSubjectRequest, actor: User | None, resolution: str = "") -> None:
    """Fulfil a verified request; export and erasure run as tasks (P12, P13)."""
    if not dsr.is_verified:
        _dsr_audit(dsr, "fulfil_refused", actor=actor, why="not verified")
        raise PrivacyError(
            translation.gettext("This request cannot be fulfilled before identity is verified.")
        )
    if not dsr.is_open:
        raise PrivacyError(translation.gettext("This request is closed."))
    if dsr.user is None:
        raise PrivacyError(translation.gettext("No account matches this request."))
    T = DataSubjectRequest.Type
    with transaction.atomic():
        dsr.status = DataSubjectRequest.Status.IN_PROGRESS
        dsr.resolution = resolution.strip()
        dsr.save()
        _dsr_audit(dsr, "in_progress", actor=actor)
        if dsr.type in (T.ACCESS, T.PORTABILITY):
            export = DataExport.objects.create(user=dsr.user, request=dsr)
            enqueue_on_commit("privacy.tasks.export_build", export.pk)
            return
        if dsr.type == T.ERASURE:
            enqueue_on_commit("privacy.tasks.dsr_erasure_run", dsr.pk)
            return
    if dsr.type == T.WITHDRAWAL:
        # Every purpose, whatever its latest row says: face-photo consent is given per session,
        # and one session's withdrawal must not hide another session's grant (P03).
        for purpose in RESTRICTABLE_PURPOSES:
            consent_withdraw(user=dsr.user, purpose=purpose, actor=actor)
    elif dsr.type == T.OPT_OUT_SALE:
        consent_record(
            user=dsr.user,
            purpose=ConsentRecord.Purpose.SALE_SHARING,
            granted=False,
            method=ConsentRecord.Method.FORM,
        )
    dsr_close(dsr=dsr, actor=actor)


def dsr_close(
    *, dsr: DataSubjectRequest, actor: User | None = None, to: str = "", **extra: Any
) -> None:
    """Mark a request fulfilled and tell the requester: at `to` when the request's own address
    went with the account it erased."""
    with transaction.atomic():
        DataSubjectRequest.objects.filter(pk=dsr.pk).update(
            status=DataSubjectRequest.Status.FULFILLED, closed_at=timezone.now()
        )
        dsr.refresh_from_db()
        _dsr_audit(dsr, "fulfilled", actor=actor)
    _dsr_notify(dsr, "fulfilled", to=to, **extra)
