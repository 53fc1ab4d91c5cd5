from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GenerationConfig(AppConfig):
    name = "generation"
    verbose_name = _("Generation")

    def ready(self):
        from sessions_app.addons import addon_fulfilment_register

        # Connects the worker start-up checks (a Celery signal, not logic) and the system check of
        # the content-credentials signer.
        from . import system_checks, worker  # noqa: F401
        from .services.addons import addon_order_paid

        # A paid add-on order is handed to generation: sessions_app's services import nothing
        # of generation (generation imports them).

        addon_fulfilment_register(addon_order_paid)
