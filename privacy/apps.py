from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from . import registry


class PrivacyConfig(AppConfig):
    name = "privacy"
    verbose_name = _("Privacy")

    def ready(self):
        # Every app's declarations of the personal data it keeps (its personal_data module).
        registry.discover()
