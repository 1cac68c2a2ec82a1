"""Seeding the medication catalogue from patients/clinical.py
(docs/clinical-basis.md#diazepam-equivalence).

Run by migration 0003 and again after every ``migrate`` or ``flush`` (post_migrate), so the
catalogue is never empty. Only missing medications are created: an admin's edits to existing
rows are never overwritten.
"""

from decimal import Decimal

from patients.models import DiazepamEquivalence, Medication, MedicationStrength
from patients.plans import clinical


def seed_medication_catalogue(medication_model, strength_model, equivalence_model) -> int:
    """Create the medications of clinical.MEDICATIONS that do not exist yet; returns how many."""

    existing = set(medication_model.objects.values_list("code", flat=True))
    created = 0
    for entry in clinical.MEDICATIONS:
        if entry["code"] in existing:
            continue
        units = set()
        for strength, _form, splittable in entry["strengths"]:
            units.add(Decimal(strength))
            if splittable:
                units.add(Decimal(strength) / 2)
        medication = medication_model.objects.create(
            code=entry["code"],
            name=entry["name"],
            half_life_class=entry["half_life_class"],
            half_life_hours=entry["half_life_hours"],
            onset_window_days=clinical.ONSET_WINDOW_DAYS[entry["half_life_class"]],
            acute_window_days=clinical.ACUTE_WINDOW_DAYS[entry["half_life_class"]],
            protracted_window_days=clinical.PROTRACTED_WINDOW_DAYS,
            lowest_practical_dose_mg=min(units),
        )
        strength_model.objects.bulk_create(
            strength_model(
                medication=medication,
                strength_mg=Decimal(strength),
                form=form,
                splittable=splittable,
            )
            for strength, form, splittable in entry["strengths"]
        )
        equivalence_model.objects.bulk_create(
            equivalence_model(
                medication=medication,
                source=source,
                dose_equivalent_to_10mg_diazepam=Decimal(dose),
            )
            for source, dose in entry["equivalents"].items()
        )
        created += 1
    return created


def seed_after_migrate(sender, **kwargs):

    seed_medication_catalogue(Medication, MedicationStrength, DiazepamEquivalence)
