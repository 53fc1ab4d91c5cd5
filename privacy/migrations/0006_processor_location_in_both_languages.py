from django.db import migrations, models

KOREAN = {
    "United States": "미국",
    "United States, Republic of Korea": "미국, 대한민국",
    "European Union": "유럽연합",
}


def fill_korean(apps, schema_editor):
    Processor = apps.get_model("privacy", "Processor")
    for processor in Processor.objects.filter(location_ko=""):
        if processor.location_en in KOREAN:
            processor.location_ko = KOREAN[processor.location_en]
            processor.save(update_fields=["location_ko"])


class Migration(migrations.Migration):
    dependencies = [("privacy", "0005_staff_groups_and_sweep_schedule")]

    operations = [
        migrations.RenameField("processor", "location", "location_en"),
        migrations.AlterField(
            model_name="processor",
            name="location_en",
            field=models.CharField(max_length=120, verbose_name="location (English)"),
        ),
        migrations.AddField(
            model_name="processor",
            name="location_ko",
            field=models.CharField(blank=True, max_length=120, verbose_name="location (Korean)"),
        ),
        migrations.RunPython(fill_korean, migrations.RunPython.noop),
    ]
