from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GenerationConfig(AppConfig):
    name = "generation"
    verbose_name = _("Generation")

    def ready(self):
        # Connects the worker start-up checks (a Celery signal, not logic) and the system check of
        # the content-credentials signer.
        from . import system_checks, worker  # noqa: F401
