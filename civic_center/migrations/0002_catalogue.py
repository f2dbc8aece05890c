"""The starting catalogue of services named by the programme (editable afterwards)."""

from django.db import migrations

from civic_center.catalogue import catalogue_ensure


def add(apps, schema_editor):
    catalogue_ensure(apps.get_model("civic_center", "ServiceCategory"))


class Migration(migrations.Migration):
    dependencies = [("civic_center", "0001_initial")]

    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
