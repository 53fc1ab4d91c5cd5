from django import forms
from django.utils.translation import gettext_lazy as _

from sessions_app.checkout import ADDON_WITHDRAWAL_AGREEMENT
from sessions_app.models import StylePack


class AddonForm(forms.Form):
    """The styles a customer adds to a delivered gallery (the offer checks which may be)."""

    styles = forms.ModelMultipleChoiceField(
        label=_("Styles to add"),
        queryset=StylePack.objects.filter(active=True),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Please choose at least one of the styles offered.")},
    )
    withdrawal_terms = forms.BooleanField(
        label=ADDON_WITHDRAWAL_AGREEMENT,
        required=True,
        error_messages={
            "required": _(
                "Please read the terms of withdrawal and tick the box to agree before you pay."
            )
        },
    )
