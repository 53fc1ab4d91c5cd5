"""Publish privacy policy v1.1: the finished text of v1.0, not a material change (P20)."""

import datetime
import hashlib
from pathlib import Path

from django.db import migrations

TEXTS = Path(__file__).resolve().parent.parent / "policy_texts"
VERSION = "v1.1"


def publish(apps, schema_editor):
    PolicyVersion = apps.get_model("privacy", "PolicyVersion")
    text = (TEXTS / "privacy-policy-v1.1.en.txt").read_bytes()
    day = datetime.date(2026, 11, 28)
    PolicyVersion.objects.get_or_create(
        kind="privacy",
        version=VERSION,
        defaults={
            "effective_date": day,
            "last_updated": day,
            # The same commitments, finished: consents given under v1.0 stay current.
            "material_change": False,
            "text_sha256": hashlib.sha256(text).hexdigest(),
        },
    )


def unpublish(apps, schema_editor):
    PolicyVersion = apps.get_model("privacy", "PolicyVersion")
    ConsentRecord = apps.get_model("privacy", "ConsentRecord")
    version = PolicyVersion.objects.filter(kind="privacy", version=VERSION).first()
    # Consents recorded under v1.1 keep it: the ledger is append-only.
    if version and not ConsentRecord.objects.filter(policy_version=version).exists():
        version.delete()


class Migration(migrations.Migration):
    dependencies = [("privacy", "0008_request_language_choices")]

    operations = [migrations.RunPython(publish, unpublish)]
