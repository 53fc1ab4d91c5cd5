from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SessionsAppConfig(AppConfig):
    name = "sessions_app"
    verbose_name = _("Photo sessions")

    def ready(self) -> None:
        from . import checkout  # noqa: F401 - registers the payment methods' system check
