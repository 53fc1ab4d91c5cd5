"""The operations dashboard's figures: counts, rates and charts, never a person (P07).

Each figure links to the list behind it and names the permission that list needs; each part
costs a fixed number of queries whatever the number of rows.
"""

import datetime
import functools
import statistics
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, Min, Q, Sum
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import SupportRequest
from generation.models import GenerationJob
from pictureus.money import format_money
from pictureus.timezones import service_today
from privacy.models import AuditEvent, ConsentRecord, DataSubjectRequest, LegalHold
from privacy.services.receipts import ANCHOR_FAILED, ANCHOR_REFUSED, ANCHORED
from privacy.services.retention import retention_periods
from privacy.services.stats import consent_rates
from privacy.services.sweep import SWEEP_DONE, SWEEP_FAILED, sessions_due
from sessions_app.models import Order, PhotoSession, Refund

from . import charts
from .lookups import HOLD_ENDING_DAYS, failed_unrefunded_q, stuck_jobs_q
from .workers import known_queues, queue_depths, workers_alive

QUEUE_NAMES = {
    "default": _("Default (email, exports, sweeps)"),
    "gpu": _("GPU (training and generation)"),
}
BUSINESS_DAYS = 30


@dataclass
class Figure:
    label: Any
    value: Any
    url: str = ""
    perm: str = ""
    # "alert": an operator should act on it now; "good": the machinery reports success.
    tone: str = ""


@dataclass
class Part:
    key: str
    title: Any
    figures: list[Figure] = field(default_factory=list)
    charts: list[dict] = field(default_factory=list)


def changelist(label: str, **params: Any) -> str:
    """The admin list of `app.model`, filtered by `params` (as its own filters would)."""
    app_label, model = label.split(".")
    url = reverse(f"admin:{app_label}_{model}_changelist")
    return f"{url}?{urlencode(params)}" if params else url


def _alert(value: int | None) -> str:
    return "alert" if value else ""


def _waited(since: datetime.datetime | None, now: datetime.datetime) -> str:
    if since is None or since > now:
        return "–"
    minutes = int((now - since).total_seconds() // 60)
    if minutes < 120:
        return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
    hours = minutes // 60
    return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}


def now_part(now: datetime.datetime) -> Part:
    """Sessions by state, the queues and their workers, and the jobs running, stuck, failed."""
    part = Part("now", _("Now"))
    view_sessions = "sessions_app.view_photosession"
    by_state = dict(PhotoSession.objects.order_by().values_list("state").annotate(n=Count("id")))
    for state, label in PhotoSession.State.choices:
        url = changelist("sessions_app.photosession", state__exact=state)
        part.figures.append(Figure(label, by_state.get(state, 0), url, view_sessions))
    part.charts.append(_queues_and_workers(now))
    jobs = GenerationJob.objects.aggregate(
        running=Count("id", filter=Q(state=GenerationJob.State.RUNNING)),
        stuck=Count("id", filter=stuck_jobs_q(now)),
        failed=Count(
            "id",
            filter=Q(
                state=GenerationJob.State.FAILED,
                finished_at__gte=now - datetime.timedelta(hours=24),
            ),
        ),
        oldest=Min("enqueued_at", filter=Q(state=GenerationJob.State.QUEUED)),
    )
    view_jobs = "generation.view_generationjob"
    job_list = "generation.generationjob"
    day_ago = (now - datetime.timedelta(hours=24)).isoformat()
    part.figures += [
        Figure(_("Jobs running"), jobs["running"], changelist(job_list, state__exact="running"),
               view_jobs),
        Figure(_("Jobs stuck"), jobs["stuck"], changelist(job_list, stuck="yes"), view_jobs,
               _alert(jobs["stuck"])),
        Figure(_("Jobs failed in the last 24 hours"), jobs["failed"],
               changelist(job_list, state__exact="failed", finished_at__gte=day_ago), view_jobs,
               _alert(jobs["failed"])),
        Figure(_("Oldest job waiting for"), _waited(jobs["oldest"], now),
               changelist(job_list, state__exact="queued", o="8"), view_jobs),
    ]  # fmt: skip
    return part


def _queues_and_workers(now: datetime.datetime) -> dict:
    """A table, not a chart: each queue, its waiting messages and the workers serving it."""
    workers = workers_alive(now=now)
    depths = queue_depths(known_queues())
    rows = []
    for name, depth in depths.items():
        serving = [w.hostname for w in workers if name in w.queues]
        rows.append(
            {
                "queue": QUEUE_NAMES.get(name, name),
                "depth": "–" if depth is None else depth,
                "workers": serving,
                "alert": not serving and (depth or name == "gpu"),
            }
        )
    return {"kind": "queues", "rows": rows}


def needs_you_part(now: datetime.datetime) -> Part:
    """What waits on an operator: requests by deadline, refunds, holds, support."""
    part = Part("needs-you", _("Needs you"))
    today = service_today(now)
    soon = today + datetime.timedelta(days=3)
    closed = [DataSubjectRequest.Status.FULFILLED, DataSubjectRequest.Status.REFUSED]
    dsr = DataSubjectRequest.objects.exclude(status__in=closed).aggregate(
        overdue=Count("id", filter=Q(due_date__lt=today)),
        within3=Count("id", filter=Q(due_date__gte=today, due_date__lte=soon)),
        later=Count("id", filter=Q(due_date__gt=soon)),
    )
    view_dsr = "privacy.view_datasubjectrequest"
    dsr_list = "privacy.datasubjectrequest"
    part.figures += [
        Figure(_("Requests overdue"), dsr["overdue"], changelist(dsr_list, due="overdue"),
               view_dsr, _alert(dsr["overdue"])),
        Figure(_("Requests due within 3 days"), dsr["within3"],
               changelist(dsr_list, due="within3"), view_dsr, _alert(dsr["within3"])),
        Figure(_("Requests due later"), dsr["later"], changelist(dsr_list, due="later"),
               view_dsr),
    ]  # fmt: skip
    waiting = [Refund.Status.PENDING, Refund.Status.FAILED]
    refunds = Refund.objects.filter(status__in=waiting).count()
    unrefunded = PhotoSession.objects.filter(failed_unrefunded_q()).count()
    hold_end = today + datetime.timedelta(days=HOLD_ENDING_DAYS)
    ending = LegalHold.objects.filter(
        released_at__isnull=True, until__gte=today, until__lte=hold_end
    ).count()
    unanswered = SupportRequest.objects.filter(status=SupportRequest.Status.OPEN).count()
    part.figures += [
        Figure(_("Refunds waiting for an operator"), refunds,
               changelist("sessions_app.refund", status__in=",".join(waiting)),
               "sessions_app.view_refund", _alert(refunds)),
        Figure(_("Failed sessions without a refund"), unrefunded,
               changelist("sessions_app.photosession", refund="none"),
               "sessions_app.view_photosession", _alert(unrefunded)),
        Figure(_("Legal holds ending within 14 days"), ending,
               changelist("privacy.legalhold", released_at__isnull="True",
                          until__gte=today.isoformat(),
                          until__lte=hold_end.isoformat()),
               "privacy.view_legalhold"),
        Figure(_("Support requests unanswered"), unanswered,
               changelist("accounts.supportrequest", status__exact="open"),
               "accounts.view_supportrequest", _alert(unanswered)),
    ]  # fmt: skip
    return part


def _last_run(actions: list[str], ok: str) -> tuple[AuditEvent | None, str]:
    event = AuditEvent.objects.filter(action__in=actions).order_by("-id").first()
    if event is None:
        return None, ""
    return event, "good" if event.action == ok else "alert"


def privacy_part(now: datetime.datetime) -> Part:
    """The retention sweep, the receipt chain and the consent rates."""
    part = Part("privacy", _("Privacy machinery"))
    view_audit = "privacy.view_auditevent"
    sweep, sweep_tone = _last_run([SWEEP_DONE, SWEEP_FAILED], SWEEP_DONE)
    anchor, anchor_tone = _last_run([ANCHORED, ANCHOR_REFUSED, ANCHOR_FAILED], ANCHORED)
    due = sessions_due(now=now + datetime.timedelta(days=7), periods=retention_periods()).count()
    outcome = {"good": _("succeeded"), "alert": _("failed"), "": _("never run")}
    part.figures += [
        Figure(_("Retention sweep, last run"), sweep.created_at if sweep else _("never run"),
               changelist("privacy.auditevent", action__startswith="retention.sweep"),
               view_audit, sweep_tone),
        Figure(_("Retention sweep, outcome"), outcome[sweep_tone],
               changelist("privacy.auditevent", action__startswith="retention.sweep"),
               view_audit, sweep_tone),
        Figure(_("Sessions with data to delete in the next 7 days"), due,
               changelist("sessions_app.photosession", retention="7"),
               "sessions_app.view_photosession"),
        Figure(_("Receipt chain, last verified"), anchor.created_at if anchor else _("never run"),
               changelist("privacy.auditevent", action__startswith="receipts.anchor"),
               view_audit, anchor_tone),
        Figure(_("Receipt chain, result"), outcome[anchor_tone],
               changelist("privacy.auditevent", action__startswith="receipts.anchor"),
               view_audit, anchor_tone),
    ]  # fmt: skip
    for rate in consent_rates():
        value = "–" if rate["rate"] is None else f"{rate['rate']}%"
        label = _("Consent: %(purpose)s") % {
            "purpose": ConsentRecord.Purpose(rate["purpose"]).label
        }
        url = changelist("privacy.consentrecord", purpose__exact=rate["purpose"])
        part.figures.append(Figure(label, value, url, "privacy.view_consentrecord"))
    return part


def _money(amount: int, *, currency: str) -> str:
    return format_money(amount, currency)


def business_part(now: datetime.datetime) -> Part:
    """Sessions paid and revenue per day over 30 days, delivery times, the refund rate."""
    part = Part("business", _("Business"))
    since = now - datetime.timedelta(days=BUSINESS_DAYS)
    paid = Order.objects.filter(status=Order.Status.PAID, paid_at__gte=since)
    rows = list(
        paid.annotate(day=TruncDate("paid_at"))
        .order_by()
        .values("day", "currency")
        .annotate(n=Count("photo_session", distinct=True), total=Sum("amount"))
    )
    days = [
        timezone.localdate(since) + datetime.timedelta(days=i + 1) for i in range(BUSINESS_DAYS)
    ]
    orders_url = changelist(
        "sessions_app.order", status__exact="paid", paid_at__gte=since.isoformat()
    )
    per_day: dict[datetime.date, int] = {}
    for row in rows:
        per_day[row["day"]] = per_day.get(row["day"], 0) + row["n"]
    part.charts.append(
        charts.bar_chart(
            title=_("Sessions paid per day"),
            points=[(day, per_day.get(day, 0)) for day in days],
            url=orders_url,
        )
    )
    for currency in sorted({row["currency"] for row in rows}):
        revenue = {row["day"]: row["total"] for row in rows if row["currency"] == currency}
        part.charts.append(
            charts.bar_chart(
                title=_("Revenue per day (%(currency)s)") % {"currency": currency.upper()},
                points=[(day, revenue.get(day, 0)) for day in days],
                url=f"{orders_url}&currency__exact={currency}",
                label=functools.partial(_money, currency=currency),
            )
        )
    part.figures += _delivery_and_refunds(paid, since)
    return part


def _delivery_and_refunds(paid: Any, since: datetime.datetime) -> list[Figure]:
    delivered = (
        PhotoSession.objects.filter(delivered_at__gte=since)
        .annotate(paid_at=Min("orders__paid_at"))
        .filter(paid_at__isnull=False)
        .values_list("paid_at", "delivered_at")
    )
    hours = sorted((d - p).total_seconds() / 3600 for p, d in delivered)
    median = f"{statistics.median(hours):.1f} h" if hours else "–"
    p95 = f"{hours[min(len(hours) - 1, int(0.95 * len(hours)))]:.1f} h" if hours else "–"
    counts = paid.aggregate(
        orders=Count("id"), refunded=Count("id", filter=Q(amount_refunded__gt=0))
    )
    rate = f"{round(100 * counts['refunded'] / counts['orders'])}%" if counts["orders"] else "–"
    delivered_url = changelist("sessions_app.photosession", delivered_at__gte=since.isoformat())
    return [
        Figure(_("Delivery time, median (paid to delivered)"), median, delivered_url,
               "sessions_app.view_photosession"),
        Figure(_("Delivery time, 95th percentile"), p95, delivered_url,
               "sessions_app.view_photosession"),
        Figure(_("Refund rate (30 days)"), rate,
               changelist("sessions_app.order", amount_refunded__gt="0",
                          paid_at__gte=since.isoformat()),
               "sessions_app.view_order"),
    ]  # fmt: skip


PARTS = (now_part, needs_you_part, privacy_part, business_part)


def dashboard(*, user: Any, now: datetime.datetime | None = None) -> list[Part]:
    """The dashboard's parts as this operator may see them: a figure whose list they may not
    open is shown without its link (counts only, P07)."""
    now = now or timezone.now()
    parts = [build(now) for build in PARTS]
    for part in parts:
        for figure in part.figures:
            if figure.perm and not user.has_perm(figure.perm):
                figure.url = ""
    return parts
