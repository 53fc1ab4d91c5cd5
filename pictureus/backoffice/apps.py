from django.contrib.admin.apps import AdminConfig


class BackOfficeAdminConfig(AdminConfig):
    """Django's admin with the back office's site as the default one."""

    default_site = "pictureus.backoffice.site.BackOfficeSite"
