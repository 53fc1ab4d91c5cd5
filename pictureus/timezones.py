"""Which time zone a person reads dates and times in: theirs, never an unlabelled UTC.

An account's own choice comes first, then its region, then the language it reads the site in
(a Korean reader is almost always in Korea); a visitor gets the zone of the page's language.
"""

import zoneinfo
from datetime import date, datetime
from functools import cache

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext

# The zone most of a region's people live in; a customer elsewhere in it picks theirs in settings.
REGION_TIME_ZONES = {
    "KR": "Asia/Seoul",
    "JP": "Asia/Tokyo",
    "US": "America/New_York",
    "CA": "America/Toronto",
    "GB": "Europe/London",
    "DE": "Europe/Berlin",
    "FR": "Europe/Paris",
    "AU": "Australia/Sydney",
}
LANGUAGE_TIME_ZONES = {"ko": "Asia/Seoul"}


def service_today(when: datetime | None = None) -> date:
    """The date in the service's own zone (TIME_ZONE): legal deadlines, policy versions and
    holds turn over at one midnight for everyone, whichever zone the reader is shown."""
    return timezone.localdate(when, timezone=zoneinfo.ZoneInfo(settings.TIME_ZONE))


def zone_for(*, language: str = "", region: str = "", chosen: str = "") -> str:
    """The zone name for a person's own choice, else their region, else their language."""
    if chosen in available_zones():
        return chosen
    return (
        REGION_TIME_ZONES.get(region)
        or LANGUAGE_TIME_ZONES.get((language or "")[:2])
        or settings.TIME_ZONE
    )


def zone_for_user(user, *, language: str = "") -> str:
    """The zone an account reads in; `language` stands in when the account has none yet."""
    if user is None or not getattr(user, "is_authenticated", False):
        return zone_for(language=language)
    return zone_for(
        language=user.preferred_language or language, region=user.region, chosen=user.time_zone
    )


@cache
def available_zones() -> frozenset[str]:
    """Canonical zone names (Area/City and UTC), without the legacy aliases."""
    areas: tuple[str, ...] = ("Africa/", "America/", "Antarctica/", "Asia/", "Atlantic/")
    areas += ("Australia/", "Europe/", "Indian/", "Pacific/")
    return frozenset(
        name for name in zoneinfo.available_timezones() if name.startswith(areas) or name == "UTC"
    ) | {settings.TIME_ZONE}


def zone_label(name: str, language: str) -> str:
    """The zone as its readers call it, in their language: "South Korea Time", "대한민국 시간"."""
    from babel.dates import get_timezone_location

    if name == "UTC":
        return gettext("Coordinated Universal Time")
    return get_timezone_location(name, locale=(language or "en")[:2])


def zone_choices(now: datetime, language: str) -> list[tuple[str, str]]:
    """Every zone as "(UTC+09:00) South Korea Time", ordered by offset then label."""
    rows = []
    for name in available_zones():
        offset = now.astimezone(zoneinfo.ZoneInfo(name)).utcoffset()
        assert offset is not None  # a time in a named zone always has its offset
        minutes = int(offset.total_seconds() // 60)
        sign = "+" if minutes >= 0 else "−"
        label = f"(UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}) "
        rows.append((minutes, label + zone_label(name, language), name))
    return [(name, label) for _, label, name in sorted(rows)]
