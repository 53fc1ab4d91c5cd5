"""Privacy emails, in the recipient's language, from subject/message template pairs."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def privacy_email(*, to: str, language: str, template: str, context: dict) -> None:
    """Send a privacy email in the recipient's language (subject/message template pair)."""
    with translation.override(language or "en"):
        ctx = {"contact": settings.PRIVACY_CONTACT_EMAIL, **context}
        subject = render_to_string(f"privacy/email/{template}_subject.txt", ctx).strip()
        body = render_to_string(f"privacy/email/{template}_message.txt", ctx)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to])
