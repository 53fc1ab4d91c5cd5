import datetime
import hashlib
from pathlib import Path

from django.db import migrations

TEXTS = Path(__file__).resolve().parent.parent / "policy_texts"


def seed(apps, schema_editor):
    PolicyVersion = apps.get_model("privacy", "PolicyVersion")
    text = (TEXTS / "privacy-policy-v1.0.en.txt").read_bytes()
    day = datetime.date(2026, 4, 6)
    PolicyVersion.objects.get_or_create(
        kind="privacy",
        version="v1.0",
        defaults={
            "effective_date": day,
            "last_updated": day,
            "material_change": False,
            "text_sha256": hashlib.sha256(text).hexdigest(),
        },
    )
    PolicyVersion.objects.get_or_create(
        kind="terms",
        version="v1.0",
        defaults={"effective_date": day, "last_updated": day, "material_change": False},
    )


class Migration(migrations.Migration):
    dependencies = [("privacy", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
