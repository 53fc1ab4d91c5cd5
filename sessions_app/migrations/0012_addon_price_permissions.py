"""Extra-style prices are set like plan prices: Admin edits them, Support reads them
(tests/privacy/test_roles.py)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

RIGHTS = {"Admin": ("view", "add", "change", "delete"), "Support": ("view",)}


def grant(apps, schema_editor):
    # Permissions are normally created after migrate; create them now so the groups can use them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, rights in RIGHTS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="sessions_app",
                codename__in=[f"{right}_addonprice" for right in rights],
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("sessions_app", "0011_addon_prices_and_orders"),
        ("privacy", "0011_staff_group_permissions"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
