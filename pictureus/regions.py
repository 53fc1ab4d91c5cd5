"""Where a customer lives, as they tell it: one list for the account, the age rules (P17), the
privacy requests' legal deadlines and the time zones. "ZZ" is anywhere else: the policy's
defaults apply there (an age of 13; the GDPR's timetable for requests)."""

from django.utils.translation import gettext_lazy as _

REGIONS = [
    ("KR", _("Republic of Korea")),
    ("US", _("United States")),
    ("GB", _("United Kingdom")),
    ("DE", _("Germany")),
    ("FR", _("France")),
    ("JP", _("Japan")),
    ("CA", _("Canada")),
    ("AU", _("Australia")),
    ("ZZ", _("Another country")),
]


def region_name(code: str) -> str:
    """The region's name in the active language (the code itself when unknown)."""
    return str(dict(REGIONS).get(code, code))
