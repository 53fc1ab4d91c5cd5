"""What the site sells: plans, their prices, extra-style prices and style packs."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from pictureus.translated import Translated, TranslatedFieldsMixin


class Plan(TranslatedFieldsMixin, models.Model):
    slug = models.SlugField(_("slug"), unique=True)
    name_en = models.CharField(_("name (English)"), max_length=80)
    name_ko = models.CharField(_("name (Korean)"), max_length=80)
    description_en = models.TextField(_("description (English)"), blank=True)
    description_ko = models.TextField(_("description (Korean)"), blank=True)
    styles_count = models.PositiveSmallIntegerField(_("number of styles"), default=2)
    images_per_style = models.PositiveSmallIntegerField(_("images per style"), default=4)
    # Candidates made per portrait delivered: the best by likeness are delivered.
    oversampling = models.FloatField(
        _("candidates per portrait"),
        default=1.5,
        validators=[MinValueValidator(1.0), MaxValueValidator(4.0)],
        help_text=_(
            "How many candidates are made for each portrait delivered (1 to 4); the ones most "
            "like the customer are delivered."
        ),
    )
    turnaround_hours = models.PositiveSmallIntegerField(_("turnaround (hours)"), default=2)
    # Training settings for this plan; zero means the model family's sensible default.
    lora_rank = models.PositiveSmallIntegerField(_("LoRA rank"), default=0)
    train_steps = models.PositiveIntegerField(_("training steps"), default=0)
    learning_rate = models.FloatField(_("learning rate"), default=0)
    resolution = models.PositiveSmallIntegerField(_("resolution"), default=0)
    train_batch_size = models.PositiveSmallIntegerField(
        _("training batch size"),
        default=0,
        validators=[MaxValueValidator(16)],
        help_text=_("Photos per training step; 0 for the model family's default."),
    )
    gradient_checkpointing = models.BooleanField(
        _("gradient checkpointing"),
        null=True,
        blank=True,
        help_text=_(
            "Trades training speed for GPU memory. Unknown: on only when the GPU has too "
            "little memory to train the model without it."
        ),
    )
    active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name

    # Each in the reader's language (the `_en` and `_ko` columns above).
    name = Translated()
    description = Translated()

    @property
    def images_total(self) -> int:
        return self.styles_count * self.images_per_style


class PlanPrice(models.Model):
    """A plan's price in one currency, in the currency's minor unit (cents; won have none)."""

    class Currency(models.TextChoices):
        USD = "usd", "USD"
        KRW = "krw", "KRW"

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="prices")
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    amount = models.PositiveIntegerField(_("amount (minor unit)"))

    class Meta:
        verbose_name = _("price")
        verbose_name_plural = _("prices")
        constraints = [
            models.UniqueConstraint(fields=["plan", "currency"], name="unique_plan_currency")
        ]

    def __str__(self) -> str:
        return f"{self.plan} {self.amount} {self.currency}"


class AddonPrice(models.Model):
    """What one more style costs on a delivered session's kept model, in one currency."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="addon_prices")
    currency = models.CharField(_("currency"), max_length=3, choices=PlanPrice.Currency.choices)
    amount = models.PositiveIntegerField(_("price per extra style (minor unit)"))

    class Meta:
        verbose_name = _("extra style price")
        verbose_name_plural = _("extra style prices")
        constraints = [
            models.UniqueConstraint(fields=["plan", "currency"], name="unique_addon_currency")
        ]

    def __str__(self) -> str:
        return f"{self.plan} +1 {self.amount} {self.currency}"


class StylePack(TranslatedFieldsMixin, models.Model):
    slug = models.SlugField(_("slug"), unique=True)
    name_en = models.CharField(_("name (English)"), max_length=80)
    name_ko = models.CharField(_("name (Korean)"), max_length=80)
    description_en = models.TextField(_("description (English)"), blank=True)
    description_ko = models.TextField(_("description (Korean)"), blank=True)
    preview_image = models.CharField(
        _("preview image"),
        max_length=200,
        blank=True,
        help_text=_("Path of the preview under the static files, e.g. img/styles/studio.webp."),
    )
    preview_alt_en = models.CharField(
        _("preview description (English)"), max_length=200, blank=True
    )
    preview_alt_ko = models.CharField(_("preview description (Korean)"), max_length=200, blank=True)
    prompt_template = models.TextField(
        _("prompt template"),
        help_text=_("Use {token} and {class_word} where the customer's subject goes."),
    )
    negative_prompt = models.TextField(_("negative prompt"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("style pack")
        verbose_name_plural = _("style packs")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name

    # Each in the reader's language (the `_en` and `_ko` columns above).
    name = Translated()
    description = Translated()
    preview_alt = Translated()
