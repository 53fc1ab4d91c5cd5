"""The privacy officer reads the consent texts beside the ledger (tests/privacy/test_roles.py)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant(apps, schema_editor):
    # Permissions are normally created after migrate; create them now so the group can use them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Privacy officer")
    group.permissions.add(
        Permission.objects.get(content_type__app_label="privacy", codename="view_consenttext")
    )


class Migration(migrations.Migration):
    dependencies = [("privacy", "0015_consent_text_versions")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
