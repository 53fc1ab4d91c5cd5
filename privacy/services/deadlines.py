"""Legal deadlines of data-subject requests, by the law that applies, as each law counts. Core.

A date is "due" at the end of that day. Where a law moves a period that ends on a weekend or a
public holiday, the public holidays come from the `holidays` package (nationwide holidays of
the country, substitute holidays included), never from a list kept here.
"""

import calendar
import datetime
from collections.abc import Callable, Container
from typing import TypedDict

import holidays

EU_EEA = {
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT",
    "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO",
}  # fmt: skip

SATURDAY = 5


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


def public_holidays(country: str) -> Container[datetime.date]:
    """The nationwide public holidays of `country` (ISO code); none where no calendar exists."""
    try:
        return holidays.country_holidays((country or "").upper())
    except NotImplementedError:
        return frozenset()


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` later, or that month's last day (31 Jan + 1 month = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_working_day(
    day: datetime.date, days_off: Container[datetime.date] = frozenset()
) -> datetime.date:
    """`day` itself, or the first day after it that is neither a weekend day nor a holiday."""
    while day.weekday() >= SATURDAY or day in days_off:
        day += datetime.timedelta(days=1)
    return day


def add_business_days(
    day: datetime.date, days: int, days_off: Container[datetime.date] = frozenset()
) -> datetime.date:
    """The `days`-th working day after `day`: weekends and `days_off` are skipped."""
    while days > 0:
        day += datetime.timedelta(days=1)
        if day.weekday() < SATURDAY and day not in days_off:
            days -= 1
    return day


def _months_rolled(received: datetime.date, country: str) -> tuple[datetime.date, datetime.date]:
    # GDPR Art. 12(3): one month, extendable by two further months. Periods are counted under
    # Regulation (EEC, Euratom) No 1182/71 (retained in UK law): Art. 3(2)(c) a month ends on
    # the same date (add_months clamps to the month's last day), and Art. 3(4) a period whose
    # last day is a public holiday, Saturday or Sunday ends at the end of the next working day.
    # The extended date is three months from receipt, rolled the same way.
    days_off = public_holidays(country)
    return (
        next_working_day(add_months(received, 1), days_off),
        next_working_day(add_months(received, 3), days_off),
    )


def _gdpr(received: datetime.date, region: str) -> tuple[datetime.date, datetime.date]:
    # The requester's country's public holidays (1182/71 Art. 2(1) names the holidays of the
    # Member State concerned); a region that maps to another law is ignored (weekends only).
    country = region if jurisdictions_for_region(region) == ["GDPR"] else ""
    return _months_rolled(received, country)


def _uk(received: datetime.date, region: str) -> tuple[datetime.date, datetime.date]:
    # UK GDPR Art. 12(3) with the same counting rules; the holidays common to all of the UK.
    return _months_rolled(received, "GB")


def _pipa(received: datetime.date, region: str) -> tuple[datetime.date, None]:
    # PIPA Art. 35(3) with Enforcement Decree Art. 41(4) (and the same 10 days for the other
    # rights): no extension (Art. 35(3) allows only a postponement, with reasons, until the
    # reason ends; not a date we could compute). Civil Act Art. 157: the day of
    # receipt is not counted, hence received + 10. Art. 161: a period whose last day is a
    # Saturday or a public holiday ends on the next day; Sundays are public holidays (Regulation
    # on Public Holidays of Government Offices Art. 2), so roll until a weekday that is no
    # holiday, substitute holidays (대체공휴일) included.
    return next_working_day(received + datetime.timedelta(days=10), public_holidays("KR")), None


def _ccpa(received: datetime.date, region: str) -> tuple[datetime.date, datetime.date]:
    # Cal. Civ. Code §1798.130(a)(2)(A): respond within 45 days of receipt, extendable once by
    # 45 more; CCPA Regulations §7021(b) say "45 calendar days". We read that as calendar days
    # with no rollover: a response due on a Saturday is due that Saturday. Civ. Code §12a would
    # move a deadline falling on a holiday to the next business day, so not rolling is the
    # earlier, always compliant date.
    return received + datetime.timedelta(days=45), received + datetime.timedelta(days=90)


# (received, region) -> (first deadline, extended deadline or None)
LawRule = Callable[[datetime.date, str], tuple[datetime.date, datetime.date | None]]
LAW_RULES: dict[str, LawRule] = {
    # law: (received, region) -> (first deadline, extended deadline or None where the law
    # allows no extension)
    "GDPR": _gdpr,
    "UK": _uk,
    "CCPA": _ccpa,
    "PIPA": _pipa,
}


def ccpa_receipt_due(received: datetime.date) -> datetime.date:
    """CCPA Regulations §7021(a): confirm receipt within 10 business days.

    Business days skip weekends and US federal holidays (the days federal offices close,
    so a holiday on a Saturday or Sunday is observed on the Friday or Monday).
    """
    return add_business_days(received, 10, public_holidays("US"))


class Deadlines(TypedDict):
    """A request's deadlines: `extended_due` is None where a law that applies allows no
    extension, `receipt_due` where none asks for a confirmation of receipt."""

    due: datetime.date
    extended_due: datetime.date | None
    receipt_due: datetime.date | None


def dsar_deadlines(
    *, jurisdictions: list[str], received: datetime.date, region: str = ""
) -> Deadlines:
    """The strictest deadlines of the laws that apply: due, extended due, receipt confirmation.

    `region` is the requester's country (ISO code); it picks the public holidays over which a
    GDPR deadline rolls. Each law's own calendar is used for the others (GB, KR, US).
    """
    laws = [law for law in jurisdictions if law in LAW_RULES] or ["GDPR"]
    dates = [LAW_RULES[law](received, region) for law in laws]
    due = min(first for first, _ in dates)
    extensions = [e for _, e in dates if e is not None]
    extended = min(extensions) if len(extensions) == len(dates) else None
    receipt = ccpa_receipt_due(received) if "CCPA" in laws else None
    return {"due": due, "extended_due": extended, "receipt_due": receipt}
