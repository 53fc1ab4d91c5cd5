from allauth.account.adapter import get_adapter
from allauth.core import ratelimit
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from pictureus.mail import send_templated

from .forms import SupportForm
from .models import SupportRequest, User


@transaction.atomic
def user_attest_region_age(*, user: User, region: str, of_age: bool) -> User:
    """Record the region and the age attestation; asked once (P17)."""
    user.region = region
    user.age_attestation = User.AgeAttestation.OF_AGE if of_age else User.AgeAttestation.UNDER_AGE
    user.age_attested_at = timezone.now()
    user.save(update_fields=["region", "age_attestation", "age_attested_at"])
    return user


def support_rate_limited(*, request: HttpRequest) -> bool:
    """Count one support submission for the sender (the account when signed in, otherwise the
    connecting address); True once over the limit. allauth's rate limiter, as for sign-in, with
    the limit in ACCOUNT_RATE_LIMITS["support"]."""
    if request.user.is_authenticated:
        sender = f"user:{request.user.pk}"
    else:
        sender = f"ip:{get_adapter(request).get_client_ip(request)}"
    return not ratelimit.consume(request, action="support", key=sender)


@transaction.atomic
def support_request_create(
    *, form: SupportForm, user: User | AnonymousUser, language: str
) -> SupportRequest:
    """Store a validated support request and email the operators once it is committed."""
    support_request = form.save(commit=False)
    support_request.user = user if user.is_authenticated else None
    support_request.language = language
    support_request.save()

    def email_the_operators() -> None:
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
