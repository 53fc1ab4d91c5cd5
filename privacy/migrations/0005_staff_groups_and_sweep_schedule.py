"""Staff roles as groups (least privilege, P24) and the retention sweep's beat schedule."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

SUPPORT = {
    # Sessions and orders, but no photo content: no permission on source photos or portraits.
    "accounts": ["view_user", "view_supportrequest", "change_supportrequest"],
    "sessions_app": [
        "view_plan",
        "view_planprice",
        "view_stylepack",
        "view_photosession",
        "view_sessiontransition",
        "view_order",
        "view_refund",
    ],
    "generation": ["view_generationjob"],
}
PRIVACY_OFFICER = {
    "accounts": ["view_user"],
    "sessions_app": [
        "view_photosession",
        "view_sessiontransition",
        "view_sourcephoto",
        "view_order",
        "view_refund",
    ],
    "generation": ["view_generationjob", "view_portrait"],
    "privacy": [
        "view_datasubjectrequest",
        "change_datasubjectrequest",
        "view_consentrecord",
        "view_auditevent",
        "view_deletionreceipt",
        "view_legalhold",
        "add_legalhold",
        "change_legalhold",
        "view_retentionpolicy",
        "change_retentionpolicy",
        "view_processor",
        "add_processor",
        "change_processor",
        "view_policyversion",
        "add_policyversion",
        "change_policyversion",
        "view_processingrestriction",
        "change_processingrestriction",
        "view_dataexport",
    ],
    "django_celery_beat": ["view_periodictask", "change_periodictask"],
}


def _perms(Permission, spec):
    perms = []
    for app_label, codenames in spec.items():
        perms += list(
            Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
        )
    return perms


def seed(apps, schema_editor):
    # Permissions are normally created after migrate; create them now so groups can use them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    support, _ = Group.objects.get_or_create(name="Support")
    support.permissions.set(_perms(Permission, SUPPORT))
    officer, _ = Group.objects.get_or_create(name="Privacy officer")
    officer.permissions.set(_perms(Permission, PRIVACY_OFFICER))
    admin, _ = Group.objects.get_or_create(name="Admin")
    admin.permissions.set(Permission.objects.all())

    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_hour, _ = IntervalSchedule.objects.get_or_create(every=1, period="hours")
    PeriodicTask.objects.get_or_create(
        name="Retention sweep",
        defaults={
            "task": "privacy.tasks.retention_sweep",
            "interval": every_hour,
            "queue": "default",
            "description": "Deletes what is due under the retention policies (P08, P09).",
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("privacy", "0004_seed_retention_processors_triggers"),
        ("accounts", "0001_initial"),
        ("sessions_app", "0002_webhookevent_order_refund"),
        ("generation", "0002_stale_job_check_schedule"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
