"""Privacy emails, in the recipient's language, through the site's one mail path."""

from django.conf import settings

from pictureus.mail import send_templated, site_url
from pictureus.timezones import zone_for_user


def absolute_url(path: str) -> str:
    return site_url(path)


def privacy_email(*, to: str, language: str, template: str, context: dict, user=None) -> None:
    """Send a privacy email in the recipient's language and time zone (the account's, where
    there is one) from templates/privacy/email/<template>_*."""
    send_templated(
        to=[to],
        template_prefix=f"privacy/email/{template}",
        context={"contact": settings.PRIVACY_CONTACT_EMAIL, **context},
        language=language,
        time_zone=zone_for_user(user, language=language),
    )
