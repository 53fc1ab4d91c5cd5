from django.db import models
from django.utils.translation import gettext_lazy as _

from pictureus.translated import Translated, TranslatedFieldsMixin


class PolicyVersion(models.Model):
    """A published version of the privacy policy or the terms, with its dates (P20, P26)."""

    class Kind(models.TextChoices):
        PRIVACY = "privacy", _("Privacy policy")
        TERMS = "terms", _("Terms of service")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    version = models.CharField(_("version"), max_length=20)
    effective_date = models.DateField(_("effective date"))
    last_updated = models.DateField(_("last updated"))
    material_change = models.BooleanField(
        _("material change"),
        default=False,
        help_text=_("Customers must consent again before further processing of their photos."),
    )
    text_sha256 = models.CharField(
        _("text hash"),
        max_length=64,
        blank=True,
        help_text=_("SHA-256 of the text customers agree to under this version."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("policy version")
        verbose_name_plural = _("policy versions")
        ordering = ["kind", "-effective_date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="unique_policy_version")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.version}"

    @classmethod
    def current(cls, kind: str = Kind.PRIVACY) -> "PolicyVersion | None":
        from pictureus.timezones import service_today

        return (
            cls.objects.filter(kind=kind, effective_date__lte=service_today())
            .order_by("-effective_date", "-id")
            .first()
        )


class Processor(TranslatedFieldsMixin, models.Model):
    """A processor (subprocessor) handling personal data for us, with its transfer safeguard."""

    name_en = models.CharField(_("name"), max_length=120)
    # Brand names stay as they are; a descriptive name needs its Korean here.
    name_ko = models.CharField(_("name (Korean)"), max_length=120, blank=True)
    purpose_en = models.CharField(_("purpose (English)"), max_length=200)
    purpose_ko = models.CharField(_("purpose (Korean)"), max_length=200)
    location_en = models.CharField(_("location (English)"), max_length=120)
    location_ko = models.CharField(_("location (Korean)"), max_length=120, blank=True)
    transfer_safeguard_en = models.CharField(
        _("transfer safeguard (English)"),
        max_length=200,
        help_text=_("The mechanism for cross-border transfers, e.g. Standard Contractual Clauses."),
    )
    transfer_safeguard_ko = models.CharField(_("transfer safeguard (Korean)"), max_length=200)
    active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("processor")
        verbose_name_plural = _("processors")
        ordering = ["order", "name_en"]

    def __str__(self) -> str:
        return self.name_en

    # Each in the reader's language (the `_en` and `_ko` columns above).
    name = Translated()
    purpose = Translated()
    transfer_safeguard = Translated()
    location = Translated()
