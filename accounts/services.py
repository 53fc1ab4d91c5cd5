from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from pictureus.mail import send_templated

from .models import SupportRequest, User

SUPPORT_RATE_LIMIT = 5  # messages per client per hour


@transaction.atomic
def user_attest_region_age(*, user: User, region: str, of_age: bool) -> User:
    """Record the region and the age attestation; asked once (P17)."""
    user.region = region
    user.age_attestation = User.AgeAttestation.OF_AGE if of_age else User.AgeAttestation.UNDER_AGE
    user.age_attested_at = timezone.now()
    user.save(update_fields=["region", "age_attestation", "age_attested_at"])
    return user


def support_rate_limited(*, client_key: str) -> bool:
    """Count one support submission for the client; True once over the hourly limit."""
    key = f"support-rate:{client_key}"
    cache.add(key, 0, timeout=3600)
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=3600)
        count = 1
    return count > SUPPORT_RATE_LIMIT


@transaction.atomic
def support_request_create(*, form, user, language: str) -> SupportRequest:
    """Store a validated support request and email the operators once it is committed."""
    support_request = form.save(commit=False)
    support_request.user = user if user.is_authenticated else None
    support_request.language = language
    support_request.save()

    def email_the_operators():
        # Operators read one language, whatever language the customer wrote from.
        send_templated(
            to=settings.OPERATORS_EMAIL,
            template_prefix="accounts/email/support_request",
            context={"support_request": support_request},
            language=settings.LANGUAGE_CODE,
            reply_to=[support_request.email],
        )

    # robust: a mail server that is down must not turn a stored request into an error page.
    transaction.on_commit(email_the_operators, robust=True)
    return support_request
