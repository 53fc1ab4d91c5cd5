"""What the accounts app keeps about a person, declared to the privacy registry."""

from allauth.account.models import EmailAddress, EmailConfirmation
from allauth.socialaccount.models import SocialAccount, SocialToken
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q

from pictureus import pagecache
from privacy.models import RetentionPolicy
from privacy.registry import Holding, Store, register, register_store

from .models import LoginSession, SupportRequest, User
from .sessions import sessions_end

ACCOUNT = RetentionPolicy.Category.ACCOUNT


def _account_anonymise(rows, *, subject) -> None:
    for pk in rows.values_list("pk", flat=True):
        rows.filter(pk=pk).update(
            email=f"erased-{pk}@erased.invalid",
            display_name="",
            region="",
            time_zone="",
            age_attestation="",
            age_attested_at=None,
            is_active=False,
        )


def _sessions_erase(rows, *, subject) -> None:
    # Through the session store, so the cached copy goes with the row.
    for user_id in set(rows.values_list("user_id", flat=True)):
        sessions_end(user_id=user_id)


def _admin_log_rows(*, user, emails):
    # The back office's own log names what staff changed by its text ("alice@example.com"):
    # entries about the account, or naming one of its addresses, belong to it.
    about = Q(content_type=ContentType.objects.get_for_model(User), object_id=str(user.pk))
    for email in emails:
        about |= Q(object_repr__icontains=email) | Q(change_message__icontains=email)
    return LogEntry.objects.filter(about)


def _admin_log_anonymise(rows, *, subject) -> None:
    rows.update(object_repr="[erased]", change_message="")


register(
    Holding(
        model=User,
        category=ACCOUNT,
        owner="pk",
        emails=("email",),
        account_addresses=True,
        unexported=("password",),
        erase=_account_anonymise,
        single=True,
        export_as="account",
        # Last: the other holdings find the account's rows by its addresses first.
        order=100,
    )
)
register(
    Holding(
        model=EmailAddress,
        category=ACCOUNT,
        owner="user",
        emails=("email",),
        account_addresses=True,
        addresses_confirmed_by="verified",
        export_as="email_addresses",
        order=90,
    )
)
register(
    Holding(
        model=EmailConfirmation,
        category=ACCOUNT,
        owner="email_address__user",
        unexported=("key",),
        export_as="email_confirmations",
        order=80,
    )
)
# Kakao and Naver sign-ins: the provider's id for the person, with the display name and address
# it gave (accounts.social). Tokens are not kept (SOCIALACCOUNT_STORE_TOKENS); should that change,
# they are erased with the account and never exported.
register(
    Holding(
        model=SocialToken,
        category=ACCOUNT,
        owner="account__user",
        unexported=("token", "token_secret"),
        export_as="sign_in_tokens",
        order=70,
    )
)
register(
    Holding(
        model=SocialAccount,
        category=ACCOUNT,
        owner="user",
        export_as="sign_in_providers",
        order=75,
    )
)
register(
    Holding(
        model=SupportRequest,
        category=ACCOUNT,
        owner="user",
        emails=("email",),
        export_as="support_messages",
    )
)
register(
    Holding(
        model=LoginSession,
        category=ACCOUNT,
        owner="user",
        unexported=("session_key", "session_data"),
        erase=_sessions_erase,
        export_as="login_sessions",
    )
)
register(
    Holding(
        model=LogEntry,
        category=ACCOUNT,
        other_links=("user",),
        rows=_admin_log_rows,
        unexported=("user",),
        erase=_admin_log_anonymise,
        export_as="back_office_changes",
    )
)
register_store(Store(name="cached_pages", erase=lambda user: pagecache.forget_viewer(user.pk)))
