from django import forms
from django.utils.translation import gettext_lazy as _

from pictureus.regions import REGIONS

from .models import ConsentRecord, DataSubjectRequest

T = DataSubjectRequest.Type
# What a customer can ask through the privacy centre's request form (the rest has buttons).
CENTRE_TYPES = [
    (t.value, t.label)
    for t in (T.CORRECTION, T.RESTRICTION, T.OBJECTION, T.LIMIT_USE, T.ACCESS, T.ERASURE)
]
MAX_AUTHORITY_BYTES = 5 * 1024 * 1024


class ReauthMixin(forms.Form):
    """Asks the signed-in customer for their password again (identity check, P13)."""

    password = forms.CharField(
        label=_("Your password, to confirm it is you"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("That password is not right."))
        return password


class ConsentChangeForm(forms.Form):
    purpose = forms.ChoiceField(choices=ConsentRecord.Purpose.choices)
    granted = forms.TypedChoiceField(choices=[("1", "1"), ("0", "0")], coerce=lambda v: v == "1")
    session = forms.UUIDField(required=False)


class CentreRequestForm(ReauthMixin):
    type = forms.ChoiceField(label=_("What would you like us to do?"), choices=CENTRE_TYPES)
    details = forms.CharField(
        label=_("Details"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For a correction, say what is wrong and what it should be."),
    )


class ConfirmForm(ReauthMixin):
    pass


class VisitorRequestForm(forms.Form):
    email = forms.EmailField(label=_("Email address of your account"))
    region = forms.ChoiceField(label=_("Where you live"), choices=REGIONS)
    type = forms.ChoiceField(label=_("Your request"), choices=T.choices)
    details = forms.CharField(
        label=_("Details"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class VisitorVerifyForm(forms.Form):
    display_name = forms.CharField(
        label=_("The display name on your account"),
        max_length=80,
        help_text=_("A second detail that only the account holder knows."),
    )


class AgentRequestForm(forms.Form):
    agent_name = forms.CharField(label=_("Your name (the agent)"), max_length=120)
    agent_email = forms.EmailField(label=_("Your email address (the agent)"))
    email = forms.EmailField(label=_("The customer's account email"))
    region = forms.ChoiceField(label=_("Where the customer lives"), choices=REGIONS)
    type = forms.ChoiceField(label=_("The request"), choices=T.choices)
    details = forms.CharField(
        label=_("Details"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    authority = forms.FileField(
        label=_("Signed authority from the customer (PDF or image)"),
        required=False,
        help_text=_("Without it we cannot act on the request."),
    )

    def clean_authority(self):
        f = self.cleaned_data.get("authority")
        if not f:
            raise forms.ValidationError(_("An authorised agent must upload the signed authority."))
        if f.size > MAX_AUTHORITY_BYTES:
            raise forms.ValidationError(_("The file is too large (5 MB at most)."))
        return f


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 4}))


class VerifyForm(forms.Form):
    method = forms.CharField(
        label=_("How was the identity verified?"),
        max_length=40,
        help_text=_("For example: documents checked by phone call."),
    )


class FulfilForm(forms.Form):
    resolution = forms.CharField(
        label=_("What was done (for corrections: what was changed)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
