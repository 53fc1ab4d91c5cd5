"""The one way the site sends email: `<prefix>_subject.txt`, `<prefix>_message.txt` and
`<prefix>_message.html`, rendered in the recipient's language and time zone and sent as one
message with a plain-text and an HTML part. Text templates put every link on a line of its own."""

import re
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import translate_url
from django.utils import timezone, translation

from .timezones import zone_for


def site_url(path: str) -> str:
    """The address customers reach a path of the site at (SITE_URL, never the request's host)."""
    return f"{settings.SITE_URL}{path}"


def _in_language(value: Any, language: str) -> Any:
    # A link made before the recipient's language was known (in a task, or from a page in the
    # other language) is moved to the recipient's language, so a Korean email opens Korean pages.
    if not (isinstance(value, str) and value.startswith(f"{settings.SITE_URL}/")):
        return value
    # A language-prefixed path resolves only while its own language is active.
    own = translation.get_language_from_path(value[len(settings.SITE_URL) :]) or language
    with translation.override(own):
        return translate_url(value, language)


def _tidy_text(text: str) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


def templated_message(
    *,
    to: Sequence[str],
    template_prefix: str,
    context: dict[str, Any],
    language: str,
    time_zone: str = "",
    reply_to: Sequence[str] = (),
) -> EmailMultiAlternatives:
    """Render one email in `language`: its subject, a plain-text part and an HTML part.

    Dates and times read in `time_zone`, the recipient's (by default, their language's)."""
    try:
        language = translation.get_supported_language_variant(language or settings.LANGUAGE_CODE)
    except LookupError:
        language = settings.LANGUAGE_CODE
    zone = time_zone or zone_for(language=language)
    with translation.override(language), timezone.override(zone):
        ctx = {key: _in_language(value, language) for key, value in context.items()}
        ctx.update(site_url=settings.SITE_URL, language=language)
        subject = " ".join(render_to_string(f"{template_prefix}_subject.txt", ctx).split())
        ctx["subject"] = subject
        text = _tidy_text(render_to_string(f"{template_prefix}_message.txt", ctx))
        html = render_to_string(f"{template_prefix}_message.html", ctx)
    message = EmailMultiAlternatives(
        subject,
        text,
        settings.DEFAULT_FROM_EMAIL,
        list(to),
        reply_to=list(reply_to),
        headers={"Content-Language": language},
    )
    message.attach_alternative(html, "text/html")
    return message


def send_templated(**message) -> None:
    """Send one email in the recipient's language (the arguments of `templated_message`)."""
    templated_message(**message).send()
