from django.apps import AppConfig, apps
from django.db.models.signals import post_delete, post_migrate, post_save
from django.utils.translation import gettext_lazy as _

# What every visitor's pages show: a change to one of these retires the cached pages.
CONTENT_MODELS = (
    "sessions_app.Plan",
    "sessions_app.PlanPrice",
    "sessions_app.StylePack",
    "privacy.PolicyVersion",
    "privacy.Processor",
    "privacy.RetentionPolicy",
)


class PictureUsConfig(AppConfig):
    name = "pictureus"
    verbose_name = _("PictureUs")

    def ready(self):
        from django.contrib.admin.templatetags import admin_list

        from .admin_icons import boolean_icon
        from .pagecache import content_changed

        admin_list._boolean_icon = boolean_icon

        for label in CONTENT_MODELS:
            model = apps.get_model(label)
            for signal in (post_save, post_delete):
                signal.connect(content_changed, sender=model, dispatch_uid=f"pagecache:{label}")
        # A data migration saves through historical models, which send none of those signals.
        # Every migrate run ends with post_migrate for each app with models: one is enough.
        post_migrate.connect(
            content_changed, sender=apps.get_app_config("privacy"), dispatch_uid="pagecache:migrate"
        )
