"""Legal deadlines of data-subject requests, by the law that applies. Core."""

import calendar
import datetime

EU_EEA = {
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT",
    "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO",
}  # fmt: skip


def jurisdictions_for_region(region: str) -> list[str]:
    """The privacy laws whose deadlines apply to a requester in `region`."""
    region = (region or "").upper()
    if region == "KR":
        return ["PIPA"]
    if region == "GB":
        return ["UK"]
    if region in EU_EEA:
        return ["GDPR"]
    if region == "US":
        return ["CCPA"]
    # Elsewhere we apply the GDPR's timetable as our baseline.
    return ["GDPR"]


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` later, or that month's last day (31 Jan + 1 month = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_business_days(day: datetime.date, days: int) -> datetime.date:
    while days > 0:
        day += datetime.timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


LAW_RULES = {
    # law: (first deadline, extended deadline or None where the law allows no extension)
    "GDPR": (lambda d: add_months(d, 1), lambda d: add_months(d, 3)),
    "UK": (lambda d: add_months(d, 1), lambda d: add_months(d, 3)),
    "CCPA": (
        lambda d: d + datetime.timedelta(days=45),
        lambda d: d + datetime.timedelta(days=90),
    ),
    "PIPA": (lambda d: d + datetime.timedelta(days=10), None),
}


def dsar_deadlines(*, jurisdictions: list[str], received: datetime.date) -> dict:
    """The strictest deadlines of the laws that apply: due, extended due, receipt confirmation."""
    laws = [law for law in jurisdictions if law in LAW_RULES] or ["GDPR"]
    due = min(LAW_RULES[law][0](received) for law in laws)
    extensions = [LAW_RULES[law][1] for law in laws]
    extended = None if any(e is None for e in extensions) else min(e(received) for e in extensions)
    receipt = add_business_days(received, 10) if "CCPA" in laws else None
    return {"due": due, "extended_due": extended, "receipt_due": receipt}
