from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("privacy", "0008_request_language_choices")]

    operations = []
