from urllib.parse import urlsplit

from django.apps import AppConfig, apps
from django.conf import settings
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
    # The sample gallery: featured, taken off, or gone with its portrait or its consent.
    "generation.FeaturedPortrait",
)


def site_follows_site_url(*, using="default", **kwargs):
    """Name the Site (allauth's current_site) after SITE_URL, so a changed address takes hold."""
    try:
        Site = kwargs.get("apps", apps).get_model("sites", "Site")
    except LookupError:  # migrated back before the sites table
        return
    domain = urlsplit(settings.SITE_URL).netloc or "pictureus.localhost"
    Site.objects.using(using).update_or_create(
        pk=settings.SITE_ID, defaults={"domain": domain, "name": "PictureUs"}
    )
    Site.objects.clear_cache()


class PictureUsConfig(AppConfig):
    name = "pictureus"
    verbose_name = _("PictureUs")

    def ready(self):
        from django.contrib.admin.templatetags import admin_list

        from . import seller  # noqa: F401 - registers the seller disclosure's system check
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
        # Every deploy runs migrate: the Site row follows the SITE_URL of the deploy.
        post_migrate.connect(
            site_follows_site_url, sender=apps.get_app_config("sites"), dispatch_uid="site:migrate"
        )
