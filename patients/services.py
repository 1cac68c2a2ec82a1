"""Writes of patient data: validated in full, atomic, and never a delete."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from patients.models import Patient
from taperapp.accounts.models import Clinic, User
from taperapp.accounts.selectors import clinics_for_user

# Fields a create or edit may set. Status and discharge fields change only through discharge.
EDITABLE_FIELDS = (
    "mrn",
    "given_name",
    "family_name",
    "birth_date",
    "sex",
    "primary_clinician",
    "seizure_history",
    "alcohol_use",
    "opioid_use",
    "other_sedative_use",
    "prior_complicated_withdrawal",
)


def _save(patient: Patient) -> Patient:
    patient.full_clean()
    try:
        # A savepoint, so a lost race on the MRN leaves the outer transaction usable.
        with transaction.atomic():
            patient.save()
    except IntegrityError as error:
        # Both PostgreSQL and SQLite name the (expression) constraint in the message.
        if "patient_unique_mrn_per_clinic" in str(error):
            raise ValidationError(
                {"mrn": _("Another patient in this clinic already has this MRN.")}
            ) from error
        raise
    return patient


def _check_clinic(user: User, clinic: Clinic | None) -> None:
    # One message for "no such clinic" and "not yours": clinics are not enumerable.
    if clinic is None or not clinics_for_user(user).filter(pk=clinic.pk).exists():
        raise ValidationError({"clinic": _("Choose one of your clinics.")})


@transaction.atomic
def patient_create(*, created_by: User, clinic: Clinic | None, **fields) -> Patient:
    _check_clinic(created_by, clinic)
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"Not editable: {sorted(unknown)}")
    patient = Patient(clinic=clinic, created_by=created_by, **fields)
    return _save(patient)


@transaction.atomic
def patient_update(*, patient: Patient, updated_by: User, **fields) -> Patient:
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"Not editable: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(patient, name, value)
    return _save(patient)


@transaction.atomic
def patient_discharge(*, patient: Patient, discharged_by: User, reason: str) -> Patient:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for discharge.")})
    # Lock the row: two people discharging at once must not both write.
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    if not patient.is_active:
        raise ValidationError(_("This patient has already been discharged."))
    patient.status = Patient.Status.DISCHARGED
    patient.discharged_at = timezone.now()
    patient.discharged_by = discharged_by
    patient.discharge_reason = reason
    patient.full_clean()
    patient.save()
    return patient
