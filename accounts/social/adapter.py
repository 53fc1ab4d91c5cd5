"""How a sign-in through Kakao or Naver becomes an account here, and when it is refused.

An address counts only when the provider confirmed it. A new address makes a new account with
the display name and email address alone (P01); region and age are still asked before the
first purchase. An address that is already an account's signs in to that account only when
the account confirmed it too: both sides have then shown they hold the same mailbox. An
account whose address is still unconfirmed could be someone else's claim on it, so it is
never joined; the customer is told to confirm the address first.
"""

from typing import Any, NoReturn

from allauth.account.models import EmailAddress
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp, SocialLogin
from allauth.socialaccount.providers.base import AuthError, AuthProcess
from django.contrib import messages
from django.http import Http404, HttpRequest
from django.shortcuts import redirect
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User

PROVIDER_NAMES = {"kakao": gettext_lazy("Kakao"), "naver": gettext_lazy("Naver")}


def provider_name(provider_id: str) -> str:
    return str(PROVIDER_NAMES.get(provider_id, provider_id))


def _confirmed_emails(sociallogin: SocialLogin) -> list[str]:
    return [address.email for address in sociallogin.email_addresses if address.verified]


def _refuse(request: HttpRequest, message: str) -> NoReturn:
    """Back to the login page with the reason; nothing of the sign-in is kept."""
    messages.error(request, message)
    raise ImmediateHttpResponse(redirect("account_login"))


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def get_provider(
        self, request: HttpRequest, provider: str, client_id: str | None = None
    ) -> Any:
        # A provider without keys in the environment is not there at all.
        try:
            return super().get_provider(request, provider, client_id=client_id)
        except SocialApp.DoesNotExist:
            raise Http404 from None

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        name = provider_name(sociallogin.account.provider)
        emails = _confirmed_emails(sociallogin)
        if not emails:
            _refuse(
                request,
                _(
                    "%(provider)s did not give us a confirmed email address, so we cannot sign "
                    "you in with it. Please confirm your email address with %(provider)s and "
                    "allow us to see it, or sign up with your email address here."
                )
                % {"provider": name},
            )
        connecting = sociallogin.state.get("process") == AuthProcess.CONNECT
        if sociallogin.is_existing or connecting:
            return
        if self._address_taken(emails):
            _refuse(
                request,
                _(
                    "An account already uses this email address but has not confirmed it yet. "
                    "Please confirm it with the link we emailed you; after that you can also "
                    "sign in with %(provider)s."
                )
                % {"provider": name},
            )

    @staticmethod
    def _address_taken(emails: list[str]) -> bool:
        for email in emails:
            if User.objects.filter(email__iexact=email).exists():
                return True
            if EmailAddress.objects.filter(email__iexact=email).exists():
                return True
        return False

    def authenticate_by_email(self, sociallogin: SocialLogin) -> tuple[User, str] | None:
        """The account whose own confirmed address the provider confirmed, if any."""
        for email in _confirmed_emails(sociallogin):
            if not self.can_authenticate_by_email(sociallogin, email):
                continue
            address = (
                EmailAddress.objects.filter(email__iexact=email, verified=True)
                .select_related("user")
                .first()
            )
            if address is not None:
                return address.user, address.email
        return None

    def populate_user(self, request: HttpRequest, sociallogin: SocialLogin, data: Any) -> User:
        """Only the email address and the display name, in the language of the page."""
        user = sociallogin.user
        user.email = (_confirmed_emails(sociallogin) or [""])[0].lower()
        user.display_name = (data.get("display_name") or "").strip()[:80]
        user.preferred_language = translation.get_language() or "en"
        return user

    def on_authentication_error(
        self,
        request: HttpRequest,
        provider: Any,
        error: str | None = None,
        exception: Exception | None = None,
        extra_context: dict[str, Any] | None = None,
    ) -> None:
        name = provider_name(provider.id)
        if error == AuthError.CANCELLED:
            _refuse(
                request,
                _(
                    "You did not agree to share your details with us on %(provider)s, so "
                    "nothing was created. You can try again, or use your email address."
                )
                % {"provider": name},
            )
        _refuse(
            request,
            _(
                "Signing in with %(provider)s did not work, and nothing was changed. "
                "Please start again from this page."
            )
            % {"provider": name},
        )

    def send_notification_mail(self, *args: Any, **kwargs: Any) -> None:
        # "Kakao was added to your account", named in the recipient's language.
        context = kwargs.get("context") or {}
        provider = context.get("provider")
        if provider is not None:
            kwargs["context"] = {**context, "provider_name": PROVIDER_NAMES.get(provider.id)}
        super().send_notification_mail(*args, **kwargs)
