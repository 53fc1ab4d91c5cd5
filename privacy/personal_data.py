"""What the privacy app itself keeps about a person, declared to its own registry."""

from django.db.models import Q

from .models import (
    AuditEvent,
    ConsentRecord,
    DataExport,
    DataSubjectRequest,
    DeletionReceipt,
    LegalHold,
    PendingErasure,
    ProcessingRestriction,
    RetentionPolicy,
    RetentionReminder,
)
from .registry import Erase, Holding, register
from .services.audit import subject_ref_for

Category = RetentionPolicy.Category
EVIDENCE = "evidence the law asks us to keep; pseudonymous once the account is anonymised"


def _consent_rows(*, user, emails):
    # The account's rows, and the cookie and GPC choices of the browsers it signed in from.
    browsers = (
        ConsentRecord.objects.filter(user=user.pk)
        .exclude(browser_id="")
        .values_list("browser_id", flat=True)
    )
    return ConsentRecord.objects.filter(
        Q(user=user.pk) | Q(user__isnull=True, browser_id__in=list(browsers))
    )


def _request_minimum(rows, *, subject) -> None:
    # What the law needs of an erased customer's request: its type, dates, outcome and a
    # pseudonymous reference. Everything that names or describes the person goes.
    rows.update(
        subject_ref=subject_ref_for(subject),
        user=None,
        email="",
        details="",
        agent_name="",
        agent_email="",
        agent_authority="",
        extension_reason="",
        refusal_reason="",
        resolution="",
    )


register(
    Holding(
        model=ConsentRecord,
        category=Category.CONSENTS,
        owner="user",
        other_links=("photo_session",),
        rows=_consent_rows,
        erase=Erase.KEEP,
        kept_because="proof of consent; " + EVIDENCE,
        export_as="consents",
    )
)
register(
    Holding(
        model=AuditEvent,
        category=Category.AUDIT_LOG,
        owner="subject",
        other_links=("actor",),
        unexported=("actor",),
        erase=Erase.KEEP,
        kept_because="security and audit log (P10); " + EVIDENCE,
        export_as="audit_events",
    )
)
register(
    Holding(
        model=DeletionReceipt,
        category=Category.DELETION_RECEIPTS,
        owner="subject",
        erase=Erase.KEEP,
        kept_because="proof of deletion, content-free (P10)",
        export_as="deletion_receipts",
    )
)
register(
    Holding(
        model=LegalHold,
        category=Category.AUDIT_LOG,
        owner="user",
        other_links=("photo_session", "placed_by", "released_by"),
        erase=Erase.KEEP,
        kept_because="a legal hold is a legal duty of its own",
        # The law lets a controller withhold what would prejudice legal proceedings.
        exported=False,
    )
)
register(
    Holding(
        model=PendingErasure,
        category=Category.AUDIT_LOG,
        owner="user",
        erase=Erase.KEEP,
        kept_because="the record that an erasure was asked for and when it completed",
        export_as="pending_erasures",
    )
)
register(
    Holding(
        model=ProcessingRestriction,
        category=Category.ACCOUNT,
        owner="user",
        other_links=("request",),
        export_as="restrictions",
    )
)
register(
    Holding(
        model=DataSubjectRequest,
        category=Category.AUDIT_LOG,
        owner="user",
        emails=("email",),
        # The agent's own address: not the customer's; it goes with the request's details.
        other_links=("verified_by", "agent_email"),
        files=("agent_authority",),
        unexported=("subject_ref",),
        erase=_request_minimum,
        export_as="requests",
    )
)
register(
    Holding(
        model=DataExport,
        category=Category.EXPORTS,
        owner="user",
        other_links=("request",),
        files=("file",),
        # An export does not carry earlier exports.
        unexported_files=("file",),
        created_field="created_at",
        export_as="exports",
    )
)
register(
    Holding(
        model=RetentionReminder,
        category=Category.DELIVERABLES,
        owner="photo_session__user",
        session="photo_session",
        export_as="gallery_reminders",
    )
)
