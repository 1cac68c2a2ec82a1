"""Invariants hold in the database itself, not only in forms (docs/architecture.md: invariants are
database constraints)."""

from datetime import date

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from patients.models import Patient
from tests.factories import ClinicFactory, MembershipFactory, PatientFactory


@pytest.mark.parametrize(
    ("fields", "constraint"),
    [
        ({"mrn": ""}, "patient_mrn_not_blank"),
        ({"given_name": ""}, "patient_given_name_not_blank"),
        ({"family_name": ""}, "patient_family_name_not_blank"),
        ({"birth_date": date(1850, 1, 1)}, "patient_birth_date_plausible"),
        # "deleted" also breaks the discharge rule; PostgreSQL may report either first.
        ({"status": "deleted"}, "patient_status_valid|patient_discharge_consistent"),
        ({"sex": "x"}, "patient_sex_valid"),
        ({"status": "discharged"}, "patient_discharge_consistent"),
        ({"status": "discharged", "discharged_at": timezone.now()}, "patient_discharge_consistent"),
        ({"discharge_reason": "left"}, "patient_discharge_consistent"),
    ],
)
def test_patient_check_constraints(fields, constraint, riverside):
    patient = PatientFactory.build(clinic=riverside, **fields)
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        patient.save()


def test_mrn_is_unique_per_clinic_whatever_its_case(patient):
    duplicate = PatientFactory.build(clinic=patient.clinic, mrn=patient.mrn.lower())
    with pytest.raises(IntegrityError, match="patient_unique_mrn_per_clinic"), transaction.atomic():
        duplicate.save()


def test_a_clinic_with_patients_cannot_be_deleted(patient):
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        patient.clinic.delete()
    assert Patient.objects.filter(pk=patient.pk).exists()


def test_membership_is_unique_per_user_and_clinic(clinician, riverside):
    with pytest.raises(IntegrityError), transaction.atomic():
        MembershipFactory(user=clinician, clinic=riverside)


def test_clinic_name_cannot_be_blank(db):
    with pytest.raises(IntegrityError, match="clinic_name_not_blank"), transaction.atomic():
        ClinicFactory(name="", slug="blank")
