"""Seed the medication catalogue (patients/catalogue.py). Admins edit it afterwards."""

from django.db import migrations


def seed(apps, schema_editor):
    from patients.catalogue import seed_medication_catalogue

    seed_medication_catalogue(
        apps.get_model("patients", "Medication"),
        apps.get_model("patients", "MedicationStrength"),
        apps.get_model("patients", "DiazepamEquivalence"),
    )


class Migration(migrations.Migration):
    dependencies = [("patients", "0002_medications_and_taper_plans")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
