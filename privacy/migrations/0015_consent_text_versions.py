"""Consent texts by version, and the version each ledger row was given on; append-only."""

import django.db.models.deletion
from django.db import migrations, models


def trigger(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # privacy_append_only() comes from migration 0004.
    schema_editor.execute(
        "CREATE TRIGGER privacy_consenttext_append_only BEFORE UPDATE OR DELETE ON "
        "privacy_consenttext FOR EACH ROW EXECUTE FUNCTION privacy_append_only()"
    )


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "DROP TRIGGER IF EXISTS privacy_consenttext_append_only ON privacy_consenttext"
    )


class Migration(migrations.Migration):

    dependencies = [
        ('privacy', '0014_pending_file_deletion'),
    ]

    operations = [
        migrations.CreateModel(
            name='ConsentText',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('version', models.CharField(max_length=64, unique=True, verbose_name='version')),
                ('purpose', models.CharField(max_length=32, verbose_name='purpose')),
                ('language', models.CharField(max_length=8, verbose_name='language')),
                ('text', models.TextField(verbose_name='text')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='first shown at')),
            ],
            options={
                'verbose_name': 'consent text',
                'verbose_name_plural': 'consent texts',
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.AddField(
            model_name='consentrecord',
            name='consent_text',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='privacy.consenttext', verbose_name='consent text seen'),
        ),
        migrations.RunPython(trigger, drop_trigger),
    ]
