"""Privacy emails, in the recipient's language, through the site's one mail path."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings

from pictureus.mail import send_templated, site_url
from pictureus.timezones import zone_for_user

if TYPE_CHECKING:
    from accounts.models import User


def absolute_url(path: str) -> str:
    return site_url(path)


def privacy_email(
    *, to: str, language: str, template: str, context: dict[str, Any], user: User | None = None
) -> None:
    """Send a privacy email in the recipient's language and time zone (the account's, where
    there is one) from templates/privacy/email/<template>_*."""
    send_templated(
        to=[to],
        template_prefix=f"privacy/email/{template}",
        context={"contact": settings.PRIVACY_CONTACT_EMAIL, **context},
        language=language,
        time_zone=zone_for_user(user, language=language),
    )
