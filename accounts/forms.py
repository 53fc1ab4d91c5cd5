from django import forms
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from pictureus.regions import REGIONS
from pictureus.timezones import zone_choices, zone_for, zone_label

from .models import SupportRequest, User


class SignupExtraForm(forms.Form):
    """The only field sign-up adds to email and password (P01)."""

    display_name = forms.CharField(
        label=_("Display name"),
        max_length=80,
        help_text=_("How we greet you. It does not have to be your real name."),
        widget=forms.TextInput(attrs={"autocomplete": "nickname"}),
    )

    def signup(self, request, user):
        user.display_name = self.cleaned_data["display_name"].strip()
        user.save(update_fields=["display_name"])


class RegionAgeForm(forms.Form):
    """Asked once before the first purchase, only to apply the minimum-age law (P17)."""

    region = forms.ChoiceField(label=_("Where do you live?"), choices=[("", "—"), *REGIONS])
    of_age = forms.TypedChoiceField(
        label=_("Your age"),
        choices=[("yes", _("I meet the minimum age")), ("no", _("I am younger than that"))],
        widget=forms.RadioSelect,
        coerce=lambda v: v == "yes",
        help_text=_("The minimum age is 14 in the Republic of Korea and 13 everywhere else."),
    )


class AccountSettingsForm(forms.ModelForm):
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        required=False,
        help_text=_("Dates and times on the site and in our emails are shown in this time zone."),
    )

    class Meta:
        model = User
        fields = ["display_name", "preferred_language", "time_zone"]
        widgets = {"preferred_language": forms.RadioSelect}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        language = get_language()
        automatic = zone_for(language=self.instance.preferred_language, region=self.instance.region)
        label = _("Automatic, from your region and language (%(zone)s)") % {
            "zone": zone_label(automatic, language)
        }
        self.fields["time_zone"].choices = [("", label)] + zone_choices(timezone.now(), language)

    def clean_display_name(self):
        name = self.cleaned_data["display_name"].strip()
        if not name:
            raise forms.ValidationError(_("Please enter a display name."))
        return name


class SupportForm(forms.ModelForm):
    class Meta:
        model = SupportRequest
        fields = ["name", "email", "topic", "message"]
        labels = {
            "name": _("Your name"),
            "email": _("Email address for our reply"),
            "topic": _("What is it about?"),
            "message": _("Your message"),
        }
        widgets = {
            "message": forms.Textarea(
                attrs={
                    "rows": 6,
                    "maxlength": 5000,
                    "data-count-template": _("{n} characters left"),
                }
            ),
            "name": forms.TextInput(attrs={"autocomplete": "name"}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
        }

    def clean_message(self):
        message = self.cleaned_data["message"].strip()
        if len(message) < 10:
            raise forms.ValidationError(_("Please tell us a little more (at least 10 characters)."))
        return message
