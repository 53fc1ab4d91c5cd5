"""{% deletion_dates dates state %}: when a session's data is deleted, in one sentence.

A tag rather than an included template: a dashboard shows it once per session, and an include
with a translation block cost most of that page's render time.
"""

import datetime

from django import template
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext

register = template.Library()


def _day(value: datetime.date | None) -> str:
    return date_format(value, "DATE_FORMAT") if value else ""


@register.simple_tag
def deletion_dates(dates: dict | None, state: str) -> SafeString | str:
    """The sentence for a session in `state` with its retention `dates` (retention_dates())."""
    dates = dates or {}
    if state == "expired":
        text = gettext(
            "The photos, the personal model and the gallery of this session have been deleted."
        )
    elif dates.get("delivered"):
        text = gettext(
            "Deletion dates: original photos %(originals)s, personal model %(model)s, "
            "gallery %(gallery)s."
        ) % {
            "originals": _day(dates.get("originals")),
            "model": _day(dates.get("training_artifacts")),
            "gallery": _day(dates.get("gallery")),
        }
    elif dates.get("originals"):
        text = gettext(
            "Not delivered yet: if nothing more happens in this session, its photos and "
            "everything made from them are deleted on %(date)s."
        ) % {"date": _day(dates["originals"])}
    else:
        return ""
    return format_html("<span data-deletion-dates>{}</span>", text)
