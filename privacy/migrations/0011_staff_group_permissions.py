"""Staff roles by least privilege (P24): each group's permissions listed, none given wholesale.

0005 gave the Admin group every permission there was, so it could add, change and delete consent
rows, audit events and deletion receipts, delete customers outside the erasure workflow and open
customers' photos. Admin now runs the shop and reads the audit trail; only the privacy officer
may open a photo (audited). tests/privacy/test_roles.py holds the same matrix.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

# app label: {model: rights}; v view, a add, c change, d delete.
ROLES = {
    "Support": {
        "accounts": {"user": "v", "supportrequest": "vc"},
        "sessions_app": {
            "plan": "v",
            "planprice": "v",
            "stylepack": "v",
            "photosession": "v",
            "sessiontransition": "v",
            "order": "v",
            "refund": "v",
        },
        "generation": {"generationjob": "v"},
    },
    "Privacy officer": {
        "accounts": {"user": "v"},
        "sessions_app": {
            "photosession": "v",
            "sessiontransition": "v",
            "sourcephoto": "v",
            "order": "v",
            "refund": "v",
        },
        "generation": {"generationjob": "v", "portrait": "v"},
        "privacy": {
            "datasubjectrequest": "vc",
            "consentrecord": "v",
            "auditevent": "v",
            "deletionreceipt": "v",
            "legalhold": "vac",
            "retentionpolicy": "vc",
            "processor": "vac",
            "policyversion": "vac",
            "processingrestriction": "vc",
            "dataexport": "v",
        },
        "django_celery_beat": {"periodictask": "vc"},
    },
    "Admin": {
        "account": {"emailaddress": "vac"},
        "accounts": {"user": "vac", "supportrequest": "vc"},
        "auth": {"group": "v"},
        "sites": {"site": "vc"},
        "django_celery_beat": {
            "periodictask": "vc",
            "intervalschedule": "vac",
            "crontabschedule": "vac",
            "solarschedule": "vac",
            "clockedschedule": "vac",
        },
        "sessions_app": {
            "plan": "vac",
            "planprice": "vacd",
            "stylepack": "vac",
            "photosession": "vc",
            "sessiontransition": "v",
            "order": "v",
            "refund": "v",
            "webhookevent": "v",
        },
        "generation": {"generationjob": "vc", "trainingartifact": "v"},
        "privacy": {"auditevent": "v"},
    },
}
RIGHTS = {"v": "view", "a": "add", "c": "change", "d": "delete"}


def set_permissions(apps, schema_editor):
    # Permissions are normally created after migrate; create them now so groups can use them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, spec in ROLES.items():
        wanted = []
        for app_label, models in spec.items():
            for model, rights in models.items():
                for right in rights:
                    wanted.append(
                        Permission.objects.get(
                            content_type__app_label=app_label,
                            codename=f"{RIGHTS[right]}_{model}",
                        )
                    )
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(wanted)


class Migration(migrations.Migration):
    dependencies = [
        ("privacy", "0010_retention_for_every_session"),
        ("accounts", "0003_loginsession"),
        ("sessions_app", "0004_refund_retry_schedule"),
        ("generation", "0004_portrait_updated_at"),
        ("account", "0009_emailaddress_unique_primary_email"),
        ("sites", "0002_alter_domain_unique"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(set_permissions, migrations.RunPython.noop)]
