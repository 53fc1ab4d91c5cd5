"""Aggregate figures for the privacy officer: counts and rates, no identities (P07)."""

import datetime

from django.db import models
from django.utils import timezone

from pictureus.timezones import service_today

from ..models import ConsentRecord, DataSubjectRequest, DeletionReceipt, ProcessingRestriction
from .holds import active_holds


def consent_rates() -> list[dict]:
    """Per optional purpose: how many customers chose, and the share who allowed it (P07)."""
    rates = []
    for purpose in (
        ConsentRecord.Purpose.MODEL_IMPROVEMENT,
        ConsentRecord.Purpose.MARKETING_LIKENESS,
        ConsentRecord.Purpose.COOKIES_OPTIONAL,
    ):
        latest_ids = (
            ConsentRecord.objects.filter(purpose=purpose, user__isnull=False)
            .values("user")
            .annotate(last=models.Max("id"))
            .values("last")
        )
        counts = ConsentRecord.objects.filter(id__in=latest_ids).aggregate(
            total=models.Count("id"), granted=models.Count("id", filter=models.Q(granted=True))
        )
        total = counts["total"]
        rates.append(
            {
                "purpose": purpose.value,
                "total": total,
                "rate": round(100 * counts["granted"] / total) if total else None,
            }
        )
    return rates


def privacy_stats() -> dict:
    """Aggregate counts and rates for the officer's dashboard; no identities (P07)."""
    today = service_today()
    open_requests = DataSubjectRequest.objects.exclude(
        status__in=[DataSubjectRequest.Status.FULFILLED, DataSubjectRequest.Status.REFUSED]
    )
    rates = [
        {**rate, "purpose": ConsentRecord.Purpose(rate["purpose"]).label}
        for rate in consent_rates()
    ]
    since = timezone.now() - datetime.timedelta(days=30)
    return {
        "open_count": open_requests.count(),
        "overdue_count": open_requests.filter(due_date__lt=today).count(),
        "due_soon_count": open_requests.filter(
            due_date__gte=today, due_date__lte=today + datetime.timedelta(days=7)
        ).count(),
        # Labels in the reader's language, never the stored codes.
        "by_type": [
            {"type": DataSubjectRequest.Type(row["type"]).label, "n": row["n"]}
            for row in DataSubjectRequest.objects.values("type")
            .annotate(n=models.Count("id"))
            .order_by("type")
        ],
        "rates": rates,
        "deletions": [
            {"reason": DeletionReceipt.Reason(row["reason"]).label, "n": row["n"]}
            for row in DeletionReceipt.objects.filter(deleted_at__gte=since)
            .values("reason")
            .annotate(n=models.Count("id"))
            .order_by("reason")
        ],
        "holds": active_holds().count(),
        "restrictions": ProcessingRestriction.objects.filter(lifted_at__isnull=True).count(),
    }
