from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GenerationConfig(AppConfig):
    name = "generation"
    verbose_name = _("Generation")

    def ready(self):
        # Connects the worker start-up check of the base model (a Celery signal, not logic).
        from . import worker  # noqa: F401
