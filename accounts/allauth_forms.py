"""The sign-up, log-in, password and email forms, in the product's words.

They build on django-allauth's forms (settings.ACCOUNT_FORMS). They live apart from
`accounts.forms` because allauth imports `accounts.forms.SignupExtraForm` while its own forms
module is still loading; a module that imported allauth's forms there would import itself.
"""

from typing import Any

from allauth.account import forms as allauth
from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# The validators `password_rules()` puts into words; tests hold it to AUTH_PASSWORD_VALIDATORS.
DESCRIBED_VALIDATORS = {
    "UserAttributeSimilarityValidator",
    "MinimumLengthValidator",
    "CommonPasswordValidator",
    "NumericPasswordValidator",
}


def password_rules() -> str:
    """The configured password validators as one sentence, in the current language."""
    lengths = [
        validator.min_length
        for validator in password_validation.get_default_password_validators()
        if isinstance(validator, password_validation.MinimumLengthValidator)
    ]
    return gettext(
        "At least %(min_length)d characters, not only numbers, not a commonly used password "
        "and not too similar to your email address."
    ) % {"min_length": max(lengths, default=1)}


def _email_field(field: forms.Field, *, label=None, help_text="") -> None:
    field.label = label or _("Email address")
    field.help_text = help_text
    field.widget.attrs.pop("placeholder", None)
    field.widget.attrs.update(autocomplete="email", spellcheck="false")


def _password_field(field: forms.Field, *, label, autocomplete: str, help_text="") -> None:
    field.label = label
    field.help_text = help_text
    field.widget.attrs.pop("placeholder", None)
    field.widget.attrs["autocomplete"] = autocomplete


class NewPasswordMixin:
    """A new password typed twice: the rules in one sentence, a mismatch said plainly."""

    # What the allauth form it is mixed into has (annotations only: no class attributes).
    fields: dict[str, forms.Field]
    cleaned_data: dict[str, Any]

    def _new_password_fields(self, *, label, repeat_label) -> None:
        _password_field(
            self.fields["password1"],
            label=label,
            autocomplete="new-password",
            help_text=password_rules(),
        )
        _password_field(self.fields["password2"], label=repeat_label, autocomplete="new-password")

    def clean_password2(self):
        # Checked here, before allauth's own comparison, so that the message is ours.
        password1 = self.cleaned_data.get("password1")
        password2 = self.cleaned_data.get("password2")
        if password1 and password2 and password1 != password2:
            raise forms.ValidationError(
                _("The two passwords are not the same. Please type the same password twice.")
            )
        return password2


class LoginForm(allauth.LoginForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.label_suffix = ""
        _email_field(self.fields["login"])
        _password_field(
            self.fields["password"], label=_("Password"), autocomplete="current-password"
        )
        if "remember" in self.fields:
            self.fields["remember"].label = _("Keep me signed in on this device")
            self.fields["remember"].help_text = _("Leave it off on a shared computer.")


class SignupForm(NewPasswordMixin, allauth.SignupForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.label_suffix = ""
        _email_field(
            self.fields["email"],
            help_text=_("You log in with it. We send a link to confirm it."),
        )
        self._new_password_fields(label=_("Password"), repeat_label=_("Password again"))


class ResetPasswordForm(allauth.ResetPasswordForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.label_suffix = ""
        _email_field(self.fields["email"])


class ResetPasswordKeyForm(NewPasswordMixin, allauth.ResetPasswordKeyForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.label_suffix = ""
        self._new_password_fields(label=_("New password"), repeat_label=_("New password again"))


class ChangePasswordForm(NewPasswordMixin, allauth.ChangePasswordForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.label_suffix = ""
        _password_field(
            self.fields["oldpassword"],
            label=_("Current password"),
            autocomplete="current-password",
        )
        self._new_password_fields(label=_("New password"), repeat_label=_("New password again"))


class SetPasswordForm(NewPasswordMixin, allauth.SetPasswordForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.label_suffix = ""
        self._new_password_fields(label=_("Password"), repeat_label=_("Password again"))


class AddEmailForm(allauth.AddEmailForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.label_suffix = ""
        _email_field(
            self.fields["email"],
            label=_("New email address"),
            help_text=_("We send a link to it. Until you confirm it, your current address stays."),
        )


class ReauthenticateForm(allauth.ReauthenticateForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.label_suffix = ""
        _password_field(
            self.fields["password"], label=_("Password"), autocomplete="current-password"
        )
