import uuid
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from taperapp.accounts.models import Clinic

# The earliest birth date accepted: guards against typing 0196 for 1996.
EARLIEST_BIRTH_DATE = date(1900, 1, 1)


class PatientStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    DISCHARGED = "discharged", _("Discharged")


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")
    UNKNOWN = "unknown", _("Unknown")


class Patient(models.Model):
    """A person in treatment at one clinic (design §4).

    Never deleted: a patient leaves by discharge, with a reason, and the record stays.
    """

    Status = PatientStatus
    Sex = Sex

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="patients")
    mrn = models.CharField(
        _("MRN"), max_length=40, help_text=_("Medical record number, unique within the clinic.")
    )
    given_name = models.CharField(_("given name"), max_length=100)
    family_name = models.CharField(_("family name"), max_length=100)
    birth_date = models.DateField(_("date of birth"))
    sex = models.CharField(_("sex"), max_length=10, choices=Sex, default=Sex.UNKNOWN)
    status = models.CharField(_("status"), max_length=12, choices=Status, default=Status.ACTIVE)
    primary_clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("primary clinician"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="primary_patients",
    )

    # Seizure-risk factors held on the patient (domain.md §5; SA Health, WikiTox). Age is
    # derived from the birth date, never stored.
    seizure_history = models.BooleanField(_("history of seizures or epilepsy"), default=False)
    alcohol_use = models.BooleanField(_("alcohol use"), default=False)
    opioid_use = models.BooleanField(_("opioid use"), default=False)
    other_sedative_use = models.BooleanField(
        _("other sedatives (e.g. gabapentinoids, Z-drugs)"), default=False
    )
    prior_complicated_withdrawal = models.BooleanField(
        _("previous complicated withdrawal"), default=False
    )

    discharged_at = models.DateTimeField(_("discharged at"), null=True, blank=True)
    discharge_reason = models.TextField(_("discharge reason"), blank=True)
    discharged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["family_name", "given_name"]
        permissions = [("discharge_patient", "Can discharge a patient")]
        indexes = [
            models.Index(fields=["clinic", "status", "family_name", "given_name"]),
        ]
        constraints = [
            # Case-insensitive: "riv-001" and "RIV-001" are the same record number.
            models.UniqueConstraint("clinic", Lower("mrn"), name="patient_unique_mrn_per_clinic"),
            models.CheckConstraint(condition=~Q(mrn=""), name="patient_mrn_not_blank"),
            models.CheckConstraint(
                condition=~Q(given_name=""), name="patient_given_name_not_blank"
            ),
            models.CheckConstraint(
                condition=~Q(family_name=""), name="patient_family_name_not_blank"
            ),
            models.CheckConstraint(
                condition=Q(birth_date__gte=EARLIEST_BIRTH_DATE),
                name="patient_birth_date_plausible",
            ),
            models.CheckConstraint(
                condition=Q(status__in=PatientStatus.values),
                name="patient_status_valid",
            ),
            models.CheckConstraint(condition=Q(sex__in=Sex.values), name="patient_sex_valid"),
            # A discharged patient always carries when and why; an active one carries neither.
            models.CheckConstraint(
                condition=(
                    Q(status="active", discharged_at__isnull=True, discharge_reason="")
                    | (
                        Q(status="discharged", discharged_at__isnull=False)
                        & ~Q(discharge_reason="")
                    )
                ),
                name="patient_discharge_consistent",
            ),
        ]

    def __str__(self):
        return f"{self.family_name}, {self.given_name} ({self.mrn})"

    def get_absolute_url(self):
        return reverse("patients:detail", kwargs={"pk": self.pk})

    def clean(self):
        errors = {}
        for field in ("mrn", "given_name", "family_name"):
            value = getattr(self, field)
            if isinstance(value, str):
                setattr(self, field, value.strip())
        if self.birth_date:
            zone = self.clinic.zone if self.clinic_id else None
            if self.birth_date > timezone.localdate(timezone=zone):
                errors["birth_date"] = _("The date of birth cannot be in the future.")
            elif self.birth_date < EARLIEST_BIRTH_DATE:
                errors["birth_date"] = _("Check the year: the date of birth is before 1900.")
        if self.mrn and self.clinic_id:
            duplicate = Patient.objects.filter(clinic_id=self.clinic_id, mrn__iexact=self.mrn)
            if duplicate.exclude(pk=self.pk).exists():
                errors["mrn"] = _("Another patient in this clinic already has this MRN.")
        if (
            self.primary_clinician_id
            and self.clinic_id
            and not self.primary_clinician.memberships.filter(clinic_id=self.clinic_id).exists()
        ):
            errors["primary_clinician"] = _(
                "The primary clinician must be a member of the patient's clinic."
            )
        if errors:
            raise ValidationError(errors)

    def validate_constraints(self, exclude=None):
        # clean() reports a duplicate MRN on the MRN field itself; skip the database
        # constraint's generic non-field message so the form shows the error once.
        super().validate_constraints(exclude={*(exclude or ()), "mrn"})

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def age_on(self, on: date) -> int:
        years = on.year - self.birth_date.year
        return years - ((on.month, on.day) < (self.birth_date.month, self.birth_date.day))

    @property
    def age(self) -> int:
        return self.age_on(timezone.localdate())

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def seizure_risk_factors(self) -> list[str]:
        """Labels of the risk factors present, for display and the seizure_risk rule."""
        names = [
            "seizure_history",
            "alcohol_use",
            "opioid_use",
            "other_sedative_use",
            "prior_complicated_withdrawal",
        ]
        return [
            str(self._meta.get_field(name).verbose_name) for name in names if getattr(self, name)
        ]
