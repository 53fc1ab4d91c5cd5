"""The retention sweep: deletes what is due, in batches, bytes included (P08, P09, P11).

It walks the registry: every photo session, whatever its state, whose data of some category
is past the date `retention.retention_deadlines` gives (the date the customer is shown), and
every other holding with a period of its own (data exports). Legal holds are respected and
erasures they interrupted resume once they are released.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection
from typing import Any

from django.db import models
from django.urls import reverse
from django.utils import timezone

from .. import registry
from ..models import DeletionReceipt, LegalHold, RetentionPolicy, RetentionReminder
from ..registry import Erase
from .audit import audit_log
from .erasure import erasures_resume, rows_erase, session_data_erase
from .holds import active_holds
from .mail import absolute_url, privacy_email
from .receipts import pending_file_deletions_finish
from .retention import (
    SESSION_STAGES,
    retention_dates,
    retention_deadlines,
    retention_due_filter,
    retention_periods,
)

RETENTION = DeletionReceipt.Reason.RETENTION
# Audit actions of the scheduled sweep's runs: the back office shows the last one.
SWEEP_DONE = "retention.sweep_done"
SWEEP_FAILED = "retention.sweep_failed"


def _with_data(queryset: models.QuerySet) -> models.QuerySet:
    """Sessions that still hold something a retention period governs."""
    holds_data = models.Q(pk__in=[])
    for holding in registry.session_holdings(SESSION_STAGES.values()):
        if holding.erase != Erase.KEEP:
            holds_data |= models.Q(pk__in=holding.model._default_manager.values(holding.session))
    return queryset.filter(holds_data)


def _not_held(queryset: models.QuerySet) -> models.QuerySet:
    lifecycle = registry.sessions()
    holds = active_holds()
    return queryset.exclude(
        **{f"{lifecycle.owner}__in": holds.filter(scope=LegalHold.Scope.ACCOUNT).values("user_id")}
    ).exclude(pk__in=holds.filter(scope=LegalHold.Scope.SESSION).values("photo_session_id"))


def sessions_due(*, now: datetime.datetime, periods: dict[str, int]) -> models.QuerySet:
    """Sessions, in any state, with data due for deletion at `now` and no hold on them."""
    lifecycle = registry.sessions()
    due = lifecycle.model._default_manager.filter(retention_due_filter(now=now, periods=periods))
    return _not_held(_with_data(due)).order_by("pk")


def _due_categories(
    photo_session: models.Model, *, now: datetime.datetime, periods: dict[str, int]
) -> set[str]:
    deadlines = retention_deadlines(photo_session=photo_session, periods=periods)
    return {SESSION_STAGES[key] for key, when in deadlines.items() if when and when <= now}


def _count_due(photo_session: models.Model, categories: Collection[str]) -> dict[str, int]:
    counts = dict.fromkeys(sorted(categories), 0)
    for holding in registry.session_holdings(categories):
        if holding.erase != Erase.KEEP:
            rows = holding.model._default_manager.filter(**{holding.session: photo_session.pk})
            counts[holding.category] += rows.count()
    return counts


def retention_sweep(
    *, now: datetime.datetime | None = None, dry_run: bool = False, batch_size: int = 100
) -> dict[str, Any]:
    """Delete what is due under the retention policies, in batches, bytes included.

    Returns, per category, the sessions whose data of that category went (or would go) and how
    many rows; with dry_run nothing changes.
    """
    now = now or timezone.now()
    periods = retention_periods()
    result: dict[str, Any] = {
        "sessions": {category: [] for category in SESSION_STAGES.values()},
        "rows": dict.fromkeys(SESSION_STAGES.values(), 0),
    }
    last_pk = 0
    while True:
        batch = list(sessions_due(now=now, periods=periods).filter(pk__gt=last_pk)[:batch_size])
        if not batch:
            break
        for photo_session in batch:
            last_pk = photo_session.pk
            categories = _due_categories(photo_session, now=now, periods=periods)
            if not categories:
                continue
            if dry_run:
                counts = _count_due(photo_session, categories)
            else:
                counts = session_data_erase(
                    photo_session=photo_session, categories=categories, reason=RETENTION
                )
            for category, count in counts.items():
                result["rows"][category] += count
                if count:
                    result["sessions"][category].append(str(photo_session.public_id))
    result["other"] = _other_holdings_sweep(now=now, periods=periods, dry_run=dry_run)
    result["reminders"] = retention_reminders_send(now=now, dry_run=dry_run)
    result["erasures_resumed"] = 0 if dry_run else erasures_resume()
    result["files_deleted"] = 0 if dry_run else pending_file_deletions_finish()
    return result


def retention_sweep_scheduled() -> dict[str, Any]:
    """The scheduled sweep: run it and leave its outcome in the audit log (counts, no ids)."""
    try:
        result = retention_sweep()
    except Exception as exc:
        audit_log(action=SWEEP_FAILED, detail={"error": type(exc).__name__})
        raise
    audit_log(
        action=SWEEP_DONE,
        detail={
            "rows": result["rows"],
            "sessions": {key: len(ids) for key, ids in result["sessions"].items()},
            "reminders": result["reminders"],
        },
    )
    return result


def _other_holdings_sweep(
    *, now: datetime.datetime, periods: dict[str, int], dry_run: bool
) -> dict[str, int]:
    """Holdings outside the sessions with a period of their own, counted from their creation
    (data exports): {holding label: rows erased}."""
    swept: dict[str, int] = {}
    for holding in registry.holdings():
        days = periods.get(holding.category)
        if holding.session or holding.erase == Erase.KEEP or days is None:
            continue
        if not holding.created_field:
            continue
        cutoff = now - datetime.timedelta(days=days)
        rows = holding.model._default_manager.filter(**{f"{holding.created_field}__lte": cutoff})
        if dry_run:
            swept[holding.label] = rows.count()
            continue
        count = 0
        for row in rows.iterator(chunk_size=200):
            subject = getattr(row, holding.owner.split("__")[0]) if holding.owner else None
            single = holding.model._default_manager.filter(pk=row.pk)
            count += rows_erase(holding, single, subject=subject, reason=RETENTION)
        swept[holding.label] = count
    return swept


def retention_reminders_send(*, now: datetime.datetime | None = None, dry_run: bool = False) -> int:
    """Email customers a few days before their gallery is deleted (once per session)."""
    now = now or timezone.now()
    policy = RetentionPolicy.objects.filter(category=RetentionPolicy.Category.DELIVERABLES).first()
    if policy is None or not policy.reminder_days:
        return 0
    lifecycle = registry.sessions()
    window_start = now - datetime.timedelta(days=policy.period_days)
    window_end = window_start + datetime.timedelta(days=policy.reminder_days)
    sessions = (
        lifecycle.model._default_manager.filter(
            **{
                f"{lifecycle.delivered}__gt": window_start,
                f"{lifecycle.delivered}__lte": window_end,
            }
        )
        .exclude(pk__in=RetentionReminder.objects.values("photo_session_id"))
        .select_related(lifecycle.owner)
        .order_by("pk")
    )
    if dry_run:
        return sessions.count()
    sent = 0
    for photo_session in sessions.iterator():
        _, created = RetentionReminder.objects.get_or_create(photo_session=photo_session)
        if not created:
            continue
        owner = getattr(photo_session, lifecycle.owner)
        privacy_email(
            to=owner.email,
            language=owner.preferred_language,
            template="gallery_reminder",
            context={
                "date": retention_dates(photo_session=photo_session)["gallery"],
                "url": absolute_url(reverse("sessions_app:dashboard")),
            },
            user=owner,
        )
        sent += 1
    return sent
