import uuid
from datetime import date
from decimal import Decimal

import pghistory
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from patients.plans.generator import PlanMethod
from patients.plans.timeline import PlanFacts, StepFact
from taperapp import history
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


@pghistory.track(*history.trackers(), obj_field=pghistory.ObjForeignKey(related_name="history"))
class Patient(models.Model):
    """A person in treatment at one clinic.

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

    # Seizure-risk factors held on the patient (docs/clinical-basis.md#risk-factors; SA Health,
    # WikiTox). Age is
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


class HalfLifeClass(models.TextChoices):
    SHORT = "short", _("Short-acting")
    LONG = "long", _("Long-acting")


class Medication(models.Model):
    """A benzodiazepine of the catalogue, seeded from patients/clinical.py."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    half_life_class = models.CharField(
        _("half-life class"), max_length=5, choices=HalfLifeClass.choices
    )
    half_life_hours = models.CharField(_("half-life (hours)"), max_length=60, blank=True)
    onset_window_days = models.PositiveSmallIntegerField(
        _("onset window (days)"),
        help_text=_("Days after the last dose in which withdrawal usually begins."),
    )
    acute_window_days = models.PositiveSmallIntegerField(
        _("acute window (days)"), help_text=_("Days after the last dose counted as acute.")
    )
    protracted_window_days = models.PositiveSmallIntegerField(
        _("protracted window (days)"),
        help_text=_("Days after the last dose until the post-withdrawal phase."),
    )
    lowest_practical_dose_mg = models.DecimalField(
        _("lowest practical dose (mg)"),
        max_digits=7,
        decimal_places=4,
        help_text=_("The last dose before stopping, e.g. the smallest tablet or half-tablet."),
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(half_life_class__in=HalfLifeClass.values),
                name="medication_half_life_class_valid",
            ),
            models.CheckConstraint(
                condition=Q(lowest_practical_dose_mg__gt=0), name="medication_lowest_dose_positive"
            ),
            models.CheckConstraint(
                condition=Q(onset_window_days__gt=0)
                & Q(acute_window_days__gte=models.F("onset_window_days"))
                & Q(protracted_window_days__gt=models.F("acute_window_days")),
                name="medication_windows_ordered",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_short_acting(self) -> bool:
        return self.half_life_class == HalfLifeClass.SHORT

    def dose_units_mg(self) -> list:
        """The doses one tablet or half-tablet can give, from the prefetched strengths."""
        units = set()
        for strength in self.strengths.all():
            units.add(strength.strength_mg)
            if strength.splittable:
                units.add(strength.strength_mg / 2)
        return sorted(units)

    def diazepam_equivalents(self, dose_mg) -> list[tuple]:
        """[(diazepam mg, source label)] for a dose, one per source, from prefetched rows."""
        return [
            (equivalence.diazepam_mg_for(dose_mg), equivalence.get_source_display())
            for equivalence in self.equivalences.all()
        ]


class MedicationStrength(models.Model):
    class Form(models.TextChoices):
        TABLET = "tablet", _("tablet")
        ODT = "odt", _("orally disintegrating tablet")
        CAPSULE = "capsule", _("capsule")

    medication = models.ForeignKey(Medication, on_delete=models.CASCADE, related_name="strengths")
    strength_mg = models.DecimalField(_("strength (mg)"), max_digits=7, decimal_places=4)
    form = models.CharField(_("form"), max_length=10, choices=Form.choices, default=Form.TABLET)
    splittable = models.BooleanField(_("scored: may be halved"), default=False)

    class Meta:
        ordering = ["strength_mg", "form"]
        constraints = [
            models.UniqueConstraint(
                fields=["medication", "strength_mg", "form"], name="strength_unique_per_form"
            ),
            models.CheckConstraint(condition=Q(strength_mg__gt=0), name="strength_positive"),
        ]

    def __str__(self):
        return f"{self.strength_mg.normalize()} mg {self.get_form_display()}"


class DiazepamEquivalence(models.Model):
    """How much of a drug is taken as about diazepam 10 mg, according to one source."""

    class Source(models.TextChoices):
        ASHTON = "ashton", _("Ashton Manual")
        VA_DOD_2021 = "va_dod_2021", _("VA/DoD 2021")

    medication = models.ForeignKey(
        Medication, on_delete=models.CASCADE, related_name="equivalences"
    )
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    dose_equivalent_to_10mg_diazepam = models.DecimalField(
        _("dose ≈ diazepam 10 mg"), max_digits=7, decimal_places=4
    )

    class Meta:
        ordering = ["source"]
        constraints = [
            models.UniqueConstraint(
                fields=["medication", "source"], name="equivalence_unique_per_source"
            ),
            models.CheckConstraint(
                condition=Q(dose_equivalent_to_10mg_diazepam__gt=0),
                name="equivalence_positive",
            ),
        ]

    def __str__(self):
        return f"{self.medication}: {self.dose_equivalent_to_10mg_diazepam} mg ({self.source})"

    def diazepam_mg_for(self, dose_mg):

        value = Decimal(dose_mg) * 10 / self.dose_equivalent_to_10mg_diazepam
        return value.quantize(Decimal("0.1"))


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    ON_HOLD = "on_hold", _("On hold")
    COMPLETED = "completed", _("Completed")
    STOPPED = "stopped", _("Stopped")


RUNNING_STATUSES = [PlanStatus.ACTIVE, PlanStatus.ON_HOLD]


@pghistory.track(
    *history.trackers(),
    obj_field=pghistory.ObjForeignKey(related_name="history"),
    # Derived from the steps (refresh_dose_dates): no history of their own.
    exclude=["first_dose_on", "last_dose_on"],
)
class TaperPlan(models.Model):
    """A dose schedule for one patient and one medication.

    Its steps live on revisions: every change to the schedule makes a new revision and the old
    ones stay readable. Status changes go through patients/plan_services.py.
    """

    Status = PlanStatus

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="taper_plans")
    medication = models.ForeignKey(Medication, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("status"), max_length=10, choices=PlanStatus.choices, default=PlanStatus.DRAFT
    )
    current_revision = models.OneToOneField(
        "TaperPlanRevision", on_delete=models.PROTECT, null=True, related_name="+"
    )
    held_since = models.DateField(_("on hold since"), null=True, blank=True)
    hold_reason = models.TextField(_("reason for the hold"), blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    end_reason = models.TextField(_("reason it ended"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The first and last dose dates of the current schedule (PlanFacts.start_date and
    # last_dose_date), kept by refresh_dose_dates after every change through plan_services, so
    # lists of thousands of patients can place each on the timeline in SQL
    # (patients.selectors.annotate_timeline). patients/timeline.py stays the reference; a test
    # holds the two equal.
    first_dose_on = models.DateField(null=True, blank=True, editable=False)
    last_dose_on = models.DateField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["patient", "-first_dose_on"], name="plan_patient_first_dose"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=PlanStatus.values), name="taper_plan_status_valid"
            ),
            # A hold always says since when and why; nothing else carries hold data.
            models.CheckConstraint(
                condition=(
                    Q(status=PlanStatus.ON_HOLD, held_since__isnull=False) & ~Q(hold_reason="")
                )
                | (~Q(status=PlanStatus.ON_HOLD) & Q(held_since__isnull=True)),
                name="taper_plan_hold_consistent",
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=[PlanStatus.COMPLETED, PlanStatus.STOPPED], ended_on__isnull=False
                )
                | (
                    ~Q(status__in=[PlanStatus.COMPLETED, PlanStatus.STOPPED])
                    & Q(ended_on__isnull=True)
                ),
                name="taper_plan_end_consistent",
            ),
            models.CheckConstraint(
                condition=Q(status=PlanStatus.DRAFT)
                | Q(activated_at__isnull=False)
                | Q(status=PlanStatus.STOPPED),
                name="taper_plan_activation_recorded",
            ),
            # One running plan per patient: two schedules at once would make the dose ambiguous.
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(status__in=RUNNING_STATUSES),
                name="taper_plan_one_running_per_patient",
            ),
        ]

    def __str__(self):
        return f"{self.medication} plan for {self.patient}"

    def get_absolute_url(self):
        return reverse("plans:detail", kwargs={"pk": self.pk})

    @property
    def is_running(self) -> bool:
        return self.status in RUNNING_STATUSES

    def facts(self):
        """The timeline's view of this plan (needs current_revision with steps prefetched)."""
        steps = self.current_revision.steps.all() if self.current_revision else []
        if self.status in (PlanStatus.STOPPED, PlanStatus.COMPLETED) and (
            self.activated_at is None
            or (steps and self.ended_on and self.ended_on < steps[0].start_date)
        ):
            steps = []  # stopped before a first dose was taken: not part of the timeline
        return PlanFacts(
            plan_id=self.pk,
            status=self.status,
            steps=tuple(StepFact(s.start_date, s.end_date, s.daily_dose_mg) for s in steps),
            held_since=self.held_since,
            ended_on=self.ended_on,
            acute_window_days=self.medication.acute_window_days,
            protracted_window_days=self.medication.protracted_window_days,
        )

    def dose_on(self, on: date):
        return self.facts().dose_on(on)

    def dose_dates(self) -> tuple[date | None, date | None]:
        """(first dose, last dose) of the current schedule, as the timeline computes them."""
        facts = self.facts()
        if not facts.steps:
            return None, None
        return facts.start_date, facts.last_dose_date()

    def refresh_dose_dates(self) -> None:
        """Store dose_dates() when they changed (an UPDATE of these two columns only)."""
        first, last = self.dose_dates()
        if (self.first_dose_on, self.last_dose_on) != (first, last):
            TaperPlan.objects.filter(pk=self.pk).update(first_dose_on=first, last_dose_on=last)
            self.first_dose_on, self.last_dose_on = first, last

    def last_dose_date(self):
        return self.facts().last_dose_date()


@pghistory.track(*history.trackers(), obj_field=pghistory.ObjForeignKey(related_name="history"))
class TaperPlanRevision(models.Model):
    """One version of a plan's schedule: its parameters, steps, warnings and justification."""

    Method = PlanMethod

    plan = models.ForeignKey(TaperPlan, on_delete=models.PROTECT, related_name="revisions")
    number = models.PositiveIntegerField(_("revision"))
    method = models.CharField(_("method"), max_length=10, choices=PlanMethod.choices)
    start_date = models.DateField(_("start date"))
    start_dose_mg = models.DecimalField(
        _("starting daily dose (mg)"), max_digits=8, decimal_places=4
    )
    reduction_percent = models.DecimalField(
        _("reduction (% of the current dose)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
    )
    reduction_mg = models.DecimalField(
        _("reduction (mg per step)"), max_digits=8, decimal_places=4, null=True, blank=True
    )
    interval_days = models.PositiveSmallIntegerField(
        _("days between reductions"), null=True, blank=True
    )
    warnings = models.JSONField(_("guideline warnings"), default=list, blank=True)
    warning_count = models.PositiveSmallIntegerField(default=0)
    # Guideline deviations among the warnings (risk notes need no justification).
    deviation_count = models.PositiveSmallIntegerField(default=0)
    justification = models.TextField(_("clinician's justification"), blank=True)
    reason = models.TextField(_("why this revision"), blank=True)
    # A second clinician's agreement with a schedule that departs from the guideline (asked
    # for by the clinic's plans_need_cosign setting before activation).
    cosigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    cosigned_at = models.DateTimeField(null=True, blank=True)
    cosign_comment = models.TextField(_("co-signer's comment"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="revision_unique_number"),
            models.CheckConstraint(
                condition=Q(start_dose_mg__gt=0), name="revision_start_dose_positive"
            ),
            models.CheckConstraint(
                condition=(
                    Q(
                        method=PlanMethod.PERCENT,
                        reduction_percent__gt=0,
                        reduction_percent__lt=100,
                        interval_days__gte=1,
                    )
                    | Q(method=PlanMethod.FIXED, reduction_mg__gt=0, interval_days__gte=1)
                    | Q(method=PlanMethod.CUSTOM)
                ),
                name="revision_method_parameters",
            ),
            # A schedule that departs from the guideline is kept only with the clinician's
            # reasons; risk notes need none.
            models.CheckConstraint(
                condition=Q(deviation_count=0) | ~Q(justification=""),
                name="revision_deviations_justified",
            ),
            models.CheckConstraint(
                condition=Q(deviation_count__lte=F("warning_count")),
                name="revision_deviations_among_warnings",
            ),
            # A co-sign has its time, and is never the author's own.
            models.CheckConstraint(
                condition=Q(cosigned_by__isnull=True, cosigned_at__isnull=True)
                | (
                    Q(cosigned_by__isnull=False, cosigned_at__isnull=False)
                    & ~Q(cosigned_by=F("created_by"))
                ),
                name="revision_cosign_complete_and_by_another",
            ),
        ]

    def __str__(self):
        return f"{self.plan} r{self.number}"


@pghistory.track(*history.trackers(), obj_field=pghistory.ObjForeignKey(related_name="history"))
class TaperStep(models.Model):
    """One dose of a revision's schedule, from start_date to end_date inclusive.

    The last step has no end date (usually 0 mg: stopped). Steps of a revision never overlap:
    on PostgreSQL an exclusion constraint (migration 0003) enforces it even for raw SQL.
    """

    revision = models.ForeignKey(TaperPlanRevision, on_delete=models.PROTECT, related_name="steps")
    sequence = models.PositiveIntegerField(_("step"))
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("to"), null=True, blank=True)
    daily_dose_mg = models.DecimalField(_("daily dose (mg)"), max_digits=8, decimal_places=4)
    change_percent = models.DecimalField(
        _("change from the previous step (%)"), max_digits=6, decimal_places=1, null=True
    )

    class Meta:
        ordering = ["revision", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["revision", "sequence"], name="step_unique_sequence"),
            models.CheckConstraint(
                condition=Q(daily_dose_mg__gte=0), name="step_dose_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="step_dates_ordered",
            ),
        ]

    def __str__(self):
        return f"step {self.sequence}: {self.daily_dose_mg} mg from {self.start_date}"
