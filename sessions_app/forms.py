from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .checkout import WITHDRAWAL_AGREEMENT
from .models import Plan, StylePack


class NewSessionForm(forms.Form):
    plan = forms.ModelChoiceField(
        label=_("Plan"),
        queryset=Plan.objects.filter(active=True),
        widget=forms.RadioSelect,
        empty_label=None,
    )
    styles = forms.ModelMultipleChoiceField(
        label=_("Styles"),
        queryset=StylePack.objects.filter(active=True),
        widget=forms.CheckboxSelectMultiple,
    )
    natural = forms.BooleanField(
        label=_("Natural look: no retouching"),
        required=False,
        help_text=_(
            "For a CV, a work badge or an ID-like photo: your skin, features and shape as they "
            "are, with nothing smoothed or beautified."
        ),
    )

    def __init__(self, *args, currency, **kwargs):
        super().__init__(*args, **kwargs)
        self.currency = currency
        self.fields["plan"].queryset = Plan.objects.filter(
            active=True, prices__currency=currency
        ).prefetch_related("prices")

    def clean(self):
        data = super().clean()
        plan, styles = data.get("plan"), data.get("styles")
        if plan and styles is not None and len(styles) != plan.styles_count:
            raise forms.ValidationError(
                ngettext(
                    "The %(plan)s plan includes %(count)d style. Please choose exactly %(count)d.",
                    "The %(plan)s plan includes %(count)d styles. Please choose exactly %(count)d.",
                    plan.styles_count,
                )
                % {"plan": plan.name, "count": plan.styles_count}
            )
        return data


class ConsentForm(forms.Form):
    """The consent gate: separate choices, none ticked in advance (P02, P06)."""

    face_photos = forms.BooleanField(
        label=_(
            "I agree that PictureUs processes the face photos I upload to train a model for "
            "this session and create my portraits. Required for the service."
        ),
        required=True,
        error_messages={
            "required": _("We cannot make your portraits without this consent."),
        },
    )
    only_me = forms.BooleanField(
        label=_("The photos I upload show only me."),
        required=True,
        error_messages={"required": _("Please upload only photos of yourself.")},
    )
    model_improvement = forms.BooleanField(
        label=_("Optional: PictureUs may use my photos to improve its models."),
        required=False,
    )
    marketing_likeness = forms.BooleanField(
        label=_("Optional: PictureUs may show my portraits in its marketing."),
        required=False,
    )
    # The version of each consent's wording the page showed: a choice is recorded only against
    # the text the customer read.
    versions = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, notices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.current_versions = ",".join(notice.version for notice in notices)
        self.fields["versions"].initial = self.current_versions

    def clean_versions(self):
        seen = self.cleaned_data["versions"]
        # A form posted without it (a script, an old page) is taken as read on the current text.
        if seen and seen != self.current_versions:
            raise forms.ValidationError(
                _(
                    "The text of these consents changed while the page was open. Please read "
                    "it again below and make your choices once more."
                )
            )
        return seen


class CheckoutForm(forms.Form):
    """Before paying: the customer agrees to the terms of withdrawal (unticked to start)."""

    withdrawal_terms = forms.BooleanField(
        label=WITHDRAWAL_AGREEMENT,
        required=True,
        error_messages={
            "required": _(
                "Please read the terms of withdrawal and tick the box to agree before you pay."
            )
        },
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class UploadForm(forms.Form):
    photos = forms.FileField(
        label=_("Photos"),
        widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,image/heic"}),
        required=False,
    )
