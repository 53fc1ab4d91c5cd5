from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.sessions.backends.base import SessionBase
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: Any) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A customer or staff member. Email is the login; nothing else is asked at sign-up (P01)."""

    class AgeAttestation(models.TextChoices):
        UNKNOWN = "", _("Not asked yet")
        OF_AGE = "of_age", _("At or above the minimum age")
        UNDER_AGE = "under_age", _("Under the minimum age")

    email = models.EmailField(_("email address"), unique=True)
    display_name = models.CharField(_("display name"), max_length=80, blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=8, choices=settings.LANGUAGES, default="en"
    )
    # Asked once, before the first purchase, only to apply the minimum-age law (P01, P17).
    region = models.CharField(_("region"), max_length=2, blank=True)
    # Empty: dates and times follow the region, then the language (pictureus.timezones).
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    age_attestation = models.CharField(
        _("age attestation"), max_length=10, choices=AgeAttestation.choices, blank=True
    )
    age_attested_at = models.DateTimeField(_("age attested at"), null=True, blank=True)
    is_staff = models.BooleanField(_("staff status"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.email

    def get_short_name(self) -> str:
        return self.display_name or self.email.split("@")[0]

    def get_full_name(self) -> str:
        return self.display_name or self.email

    @property
    def minimum_age(self) -> int:
        return settings.MINIMUM_AGE_BY_REGION.get(self.region, settings.MINIMUM_AGE_DEFAULT)

    @property
    def has_region_and_age(self) -> bool:
        return bool(self.region and self.age_attestation)

    @property
    def can_buy(self) -> bool:
        """Whether the account may buy a session and upload photos (P17)."""
        return self.is_active and self.age_attestation == self.AgeAttestation.OF_AGE


class SupportRequest(models.Model):
    """A message sent through the support form; operators answer it from the back office."""

    class Topic(models.TextChoices):
        ORDER = "order", _("An order or payment")
        PHOTOS = "photos", _("Photos and results")
        PRIVACY = "privacy", _("Privacy and my data")
        OTHER = "other", _("Something else")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ANSWERED = "answered", _("Answered")
        CLOSED = "closed", _("Closed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        verbose_name=_("user"),
    )
    name = models.CharField(_("name"), max_length=100)
    email = models.EmailField(_("email address"))
    topic = models.CharField(_("topic"), max_length=20, choices=Topic.choices)
    message = models.TextField(_("message"), max_length=5000)
    language = models.CharField(_("language"), max_length=8)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default="open")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("support request")
        verbose_name_plural = _("support requests")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email}: {self.get_topic_display()}"


class LoginSession(AbstractBaseSession):
    """A browser's session, with the account signed in to it, so that erasing an account can
    end and delete every one of its sessions (P11)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("user"),
    )

    # django-stubs do not declare the abstract model's Meta, which Django keeps on the class.
    class Meta(AbstractBaseSession.Meta):  # type: ignore[name-defined]
        verbose_name = _("login session")
        verbose_name_plural = _("login sessions")

    @classmethod
    def get_session_store_class(cls) -> type[SessionBase]:
        return import_module(settings.SESSION_ENGINE).SessionStore
