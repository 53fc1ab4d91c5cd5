from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GenerationConfig(AppConfig):
    name = "generation"
    verbose_name = _("Generation")

    def ready(self):
        # A paid add-on order is handed to generation: sessions_app's services import nothing
        # of generation (generation imports them).
        from sessions_app.addons import addon_fulfilment_register

        # Connects the worker start-up check of the base model (a Celery signal, not logic).
        from . import worker  # noqa: F401
        from .services.addons import addon_order_paid

        addon_fulfilment_register(addon_order_paid)
