"""Seed the medication catalogue from patients/clinical.py (domain.md §3). Admins edit it after.

Existing rows are left alone, so re-running never overwrites an admin's edits.
"""

from decimal import Decimal

from django.db import migrations


def seed(apps, schema_editor):
    from patients import clinical

    Medication = apps.get_model("patients", "Medication")
    Strength = apps.get_model("patients", "MedicationStrength")
    Equivalence = apps.get_model("patients", "DiazepamEquivalence")
    for entry in clinical.MEDICATIONS:
        if Medication.objects.filter(code=entry["code"]).exists():
            continue
        units = set()
        for strength, _form, splittable in entry["strengths"]:
            units.add(Decimal(strength))
            if splittable:
                units.add(Decimal(strength) / 2)
        medication = Medication.objects.create(
            code=entry["code"],
            name=entry["name"],
            half_life_class=entry["half_life_class"],
            half_life_hours=entry["half_life_hours"],
            onset_window_days=clinical.ONSET_WINDOW_DAYS[entry["half_life_class"]],
            acute_window_days=clinical.ACUTE_WINDOW_DAYS,
            protracted_window_days=clinical.PROTRACTED_WINDOW_DAYS,
            lowest_practical_dose_mg=min(units),
        )
        for strength, form, splittable in entry["strengths"]:
            Strength.objects.create(
                medication=medication,
                strength_mg=Decimal(strength),
                form=form,
                splittable=splittable,
            )
        for source, dose in entry["equivalents"].items():
            Equivalence.objects.create(
                medication=medication, source=source, dose_equivalent_to_10mg_diazepam=Decimal(dose)
            )


class Migration(migrations.Migration):
    dependencies = [("patients", "0002_medications_and_taper_plans")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
