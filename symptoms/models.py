import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from patients.models import Patient
from patients.timeline import Phase

from . import clinical, scales


class SeverityBands(models.Model):
    """The CIWA-B severity bands: one row, edited by admins (defaults: domain.md §4)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    mild_from = models.PositiveSmallIntegerField(default=scales.DEFAULT_BAND_STARTS["mild"])
    moderate_from = models.PositiveSmallIntegerField(default=scales.DEFAULT_BAND_STARTS["moderate"])
    severe_from = models.PositiveSmallIntegerField(default=scales.DEFAULT_BAND_STARTS["severe"])
    very_severe_from = models.PositiveSmallIntegerField(
        default=scales.DEFAULT_BAND_STARTS["very_severe"]
    )

    class Meta:
        verbose_name = _("CIWA-B severity bands")
        verbose_name_plural = _("CIWA-B severity bands")
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="severity_bands_single_row"),
            models.CheckConstraint(
                condition=Q(mild_from__gte=1)
                & Q(moderate_from__gt=F("mild_from"))
                & Q(severe_from__gt=F("moderate_from"))
                & Q(very_severe_from__gt=F("severe_from"))
                & Q(very_severe_from__lte=scales.MAX_TOTAL),
                name="severity_bands_ordered",
            ),
        ]

    def __str__(self):
        return (
            f"mild {self.mild_from}, moderate {self.moderate_from}, severe {self.severe_from}, "
            f"very severe {self.very_severe_from}"
        )

    @classmethod
    def current(cls) -> "SeverityBands":
        bands, _ = cls.objects.get_or_create(id=1)
        return bands

    def starts(self) -> dict[str, int]:
        return {
            "mild": self.mild_from,
            "moderate": self.moderate_from,
            "severe": self.severe_from,
            "very_severe": self.very_severe_from,
        }


def _item_field(number: int):
    item = scales.ITEMS[number - 1]
    return models.PositiveSmallIntegerField(f"{item.number}. {item.wording}")


def _vital_range(field: str) -> Q:
    low, high, *_ = clinical.VITAL_LIMITS[field]
    return Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gte": low, f"{field}__lte": high})


class LogStatus(models.TextChoices):
    CURRENT = "current", _("Current")
    SUPERSEDED = "superseded", _("Amended (earlier version)")
    VOIDED = "voided", _("Voided")


class Source(models.TextChoices):
    CLINICIAN = "clinician", _("Clinician")
    STAFF = "staff", _("Staff")
    PATIENT = "patient", _("Patient (self-report)")


class SymptomLog(models.Model):
    """One assessment: the 20 CIWA-B items, vital signs and alarm flags (design §4).

    Never deleted. A correction is a new row that supersedes this one (``supersedes``); a wrong
    entry is voided with a reason. Only ``current`` rows count in charts and scores.
    """

    Status = LogStatus
    Source = Source

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="symptom_logs")
    assessed_at = models.DateTimeField(_("assessed at"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    # Set by the form (a hidden field) or the API client; a repeat of the same key for the same
    # patient is the same submission: a double-click or a retry saves one log.
    submission_key = models.UUIDField(editable=False)

    irritable = _item_field(1)
    fatigued = _item_field(2)
    tense = _item_field(3)
    concentration = _item_field(4)
    appetite = _item_field(5)
    numbness = _item_field(6)
    heart_racing = _item_field(7)
    head_full = _item_field(8)
    muscle_aches = _item_field(9)
    anxious = _item_field(10)
    upset = _item_field(11)
    sleep_unrestful = _item_field(12)
    weak = _item_field(13)
    sleep_insufficient = _item_field(14)
    visual_disturbance = _item_field(15)
    fearful = _item_field(16)
    worrying = _item_field(17)
    obs_sweating_agitation = _item_field(18)
    obs_tremor = _item_field(19)
    obs_palms_sweating = _item_field(20)

    heart_rate = models.PositiveSmallIntegerField(_("pulse (beats/min)"), null=True, blank=True)
    systolic_bp = models.PositiveSmallIntegerField(_("systolic BP (mmHg)"), null=True, blank=True)
    diastolic_bp = models.PositiveSmallIntegerField(_("diastolic BP (mmHg)"), null=True, blank=True)
    temperature_c = models.DecimalField(
        _("temperature (°C)"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    respiratory_rate = models.PositiveSmallIntegerField(
        _("respiratory rate (breaths/min)"), null=True, blank=True
    )

    seizure = models.BooleanField(_("seizure"), default=False)
    hallucinations = models.BooleanField(_("hallucinations"), default=False)
    confusion = models.BooleanField(_("confusion or delirium"), default=False)
    suicidal_ideation = models.BooleanField(_("suicidal thoughts"), default=False)

    dose_taken_mg = models.DecimalField(
        _("dose taken today (mg)"), max_digits=8, decimal_places=4, null=True, blank=True
    )
    notes = models.TextField(_("notes"), blank=True)

    # Derived when recorded, kept so history shows what the clinician saw then.
    total = models.PositiveSmallIntegerField(_("CIWA-B total"))
    severity = models.CharField(_("severity"), max_length=12, choices=scales.Severity.CHOICES)
    phase = models.CharField(_("phase"), max_length=16, choices=Phase.CHOICES)
    day_in_phase = models.PositiveIntegerField(_("day in phase"), null=True, blank=True)

    status = models.CharField(max_length=10, choices=LogStatus.choices, default=LogStatus.CURRENT)
    supersedes = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_by",
        help_text=_("The earlier version this amendment corrects."),
    )
    amendment_reason = models.TextField(_("reason for the amendment"), blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    void_reason = models.TextField(_("reason for voiding"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-assessed_at"]
        indexes = [
            # The timeline page, the worklist's "last log" and the alert rules read a
            # patient's current logs newest first.
            models.Index(
                fields=["patient", "-assessed_at"],
                condition=Q(status="current"),
                name="log_current_by_patient_time",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "submission_key"], name="log_one_per_submission"
            ),
            *[
                models.CheckConstraint(
                    condition=Q(
                        **{f"{code}__gte": scales.MIN_SCORE, f"{code}__lte": scales.MAX_SCORE}
                    ),
                    name=f"log_{code}_0_to_4",
                )
                for code in scales.ITEM_CODES
            ],
            models.CheckConstraint(
                condition=Q(
                    total=sum((F(code) for code in scales.ITEM_CODES[1:]), F(scales.ITEM_CODES[0]))
                ),
                name="log_total_is_sum_of_items",
            ),
            models.CheckConstraint(
                condition=Q(severity__in=scales.Severity.ORDER), name="log_severity_valid"
            ),
            models.CheckConstraint(
                condition=Q(phase__in=[code for code, _label in Phase.CHOICES]),
                name="log_phase_valid",
            ),
            models.CheckConstraint(condition=Q(source__in=Source.values), name="log_source_valid"),
            models.CheckConstraint(
                condition=Q(status__in=LogStatus.values), name="log_status_valid"
            ),
            *[
                models.CheckConstraint(condition=_vital_range(field), name=f"log_{field}_possible")
                for field in clinical.VITAL_LIMITS
            ],
            models.CheckConstraint(
                condition=Q(systolic_bp__isnull=True)
                | Q(diastolic_bp__isnull=True)
                | Q(diastolic_bp__lt=F("systolic_bp")),
                name="log_diastolic_below_systolic",
            ),
            models.CheckConstraint(
                condition=Q(dose_taken_mg__isnull=True) | Q(dose_taken_mg__gte=0),
                name="log_dose_not_negative",
            ),
            models.CheckConstraint(
                condition=(
                    Q(status=LogStatus.VOIDED, voided_at__isnull=False, voided_by__isnull=False)
                    & ~Q(void_reason="")
                )
                | (~Q(status=LogStatus.VOIDED) & Q(voided_at__isnull=True)),
                name="log_void_consistent",
            ),
            models.CheckConstraint(
                condition=Q(supersedes__isnull=True) | ~Q(amendment_reason=""),
                name="log_amendment_has_reason",
            ),
        ]

    def __str__(self):
        return f"CIWA-B {self.total} for {self.patient} at {self.assessed_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self):
        return reverse("symptoms:log_detail", kwargs={"pk": self.pk})

    @property
    def items(self) -> dict[str, int]:
        return {code: getattr(self, code) for code in scales.ITEM_CODES}

    @property
    def is_current(self) -> bool:
        return self.status == LogStatus.CURRENT

    @property
    def flags(self) -> list[str]:
        return [
            str(self._meta.get_field(name).verbose_name)
            for name in ("seizure", "hallucinations", "confusion", "suicidal_ideation")
            if getattr(self, name)
        ]

    def unusual_vitals(self) -> dict[str, str]:
        """Possible but unusual values, to highlight: field -> 'high' or 'low'."""
        flagged = {}
        for field, (_low, _high, usual_low, usual_high, _unit) in clinical.VITAL_LIMITS.items():
            value = getattr(self, field)
            if value is None:
                continue
            if value < usual_low:
                flagged[field] = "low"
            elif value > usual_high:
                flagged[field] = "high"
        return flagged
