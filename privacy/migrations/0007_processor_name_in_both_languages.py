from django.db import migrations, models

KOREAN = {"Email delivery provider": "이메일 발송 업체"}


def fill_korean(apps, schema_editor):
    Processor = apps.get_model("privacy", "Processor")
    for processor in Processor.objects.filter(name_ko="", name_en__in=KOREAN):
        processor.name_ko = KOREAN[processor.name_en]
        processor.save(update_fields=["name_ko"])


class Migration(migrations.Migration):
    dependencies = [("privacy", "0006_processor_location_in_both_languages")]

    operations = [
        migrations.RenameField("processor", "name", "name_en"),
        migrations.AddField(
            model_name="processor",
            name="name_ko",
            field=models.CharField(blank=True, max_length=120, verbose_name="name (Korean)"),
        ),
        migrations.AlterModelOptions(
            name="processor",
            options={
                "ordering": ["order", "name_en"],
                "verbose_name": "processor",
                "verbose_name_plural": "processors",
            },
        ),
        migrations.RunPython(fill_korean, migrations.RunPython.noop),
    ]
