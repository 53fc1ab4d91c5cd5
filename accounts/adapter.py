from urllib.parse import quote

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress
from django.urls import reverse, translate_url
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from pictureus.mail import send_templated, site_url


class AccountAdapter(DefaultAccountAdapter):
    # What the account pages say when something is wrong, in the product's words.
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "account_inactive": _(
            "This account is closed. If you think that is a mistake, please contact support."
        ),
        "cannot_remove_primary_email": _("You cannot remove the address you log in with."),
        "duplicate_email": _("This email address is already on your account."),
        "email_password_mismatch": _(
            "That email address and password do not match. Please check both and try again."
        ),
        "email_taken": _("Another account already uses this email address."),
        "enter_current_password": _("That is not your current password. Please type it again."),
        "incorrect_password": _("That is not your password. Please type it again."),
        "invalid_password_reset": _(
            "This link to reset your password has expired or was already used."
        ),
        "same_as_current": _("That is already your email address."),
        "too_many_login_attempts": _(
            "Too many failed login attempts. Please wait a few minutes and try again, "
            "or reset your password."
        ),
        "unverified_primary_email": _("Please confirm your email address first."),
        "rate_limited": _("Too many tries in a short time. Please wait a moment and try again."),
    }

    def save_user(self, request, user, form, commit=True):
        # A new account starts in the language the visitor was reading the site in.
        user.preferred_language = translation.get_language() or "en"
        return super().save_user(request, user, form, commit=commit)

    def get_login_redirect_url(self, request):
        url = super().get_login_redirect_url(request)
        user = request.user
        if user.is_authenticated and user.preferred_language:
            # Land in the customer's own language, whatever page they signed in from.
            return translate_url(url, user.preferred_language)
        return url

    # --- email: allauth's messages go through the site's one mail path ----------------------

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        send_templated(
            to=[email],
            template_prefix=template_prefix,
            context={"email": email, **context},
            language=self._recipient_language(email, context.get("user")),
        )

    def send_notification_mail(self, template_prefix, user, context=None, email=None):
        # allauth leaves the account out of a notice's context: the greeting and language need it.
        context = {"user": user, **(context or {})}
        super().send_notification_mail(template_prefix, user, context, email)

    def get_email_confirmation_url(self, request, emailconfirmation) -> str:
        return site_url(reverse("account_confirm_email", args=[emailconfirmation.key]))

    def get_reset_password_from_key_url(self, key: str) -> str:
        path = reverse("account_reset_password_from_key", kwargs={"uidb36": "UID", "key": "KEY"})
        return site_url(path.replace("UID-KEY", quote(key)))

    @staticmethod
    def _recipient_language(email: str, user) -> str:
        """The account holder's language; for an address without an account, the page's."""
        if user is None:
            address = EmailAddress.objects.filter(email__iexact=email).select_related("user")
            user = next((a.user for a in address[:1]), None)
        if user is not None and user.preferred_language:
            return user.preferred_language
        return translation.get_language() or "en"
