import uuid

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from patients.models import Patient
from patients.plans.timeline import Phase
from symptoms import clinical, scales
from symptoms.news2 import news2_score
from taperapp import history


class SeverityBands(models.Model):
    """The CIWA-B severity bands: one row, edited by admins (defaults:
    docs/clinical-basis.md#ciwa-b)."""

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
    # Null only on an event-only log (the patient could not be assessed): all 20 or none.
    return models.PositiveSmallIntegerField(f"{item.number}. {item.wording}", null=True)


def _vital_range(field: str) -> Q:
    low, high, *_ = clinical.VITAL_LIMITS[field]
    return Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gte": low, f"{field}__lte": high})


class LogStatus(models.TextChoices):
    CURRENT = "current", _("Current")
    SUPERSEDED = "superseded", _("Amended (earlier version)")
    VOIDED = "voided", _("Voided")


class Consciousness(models.TextChoices):
    """ACVPU, as NEWS2 scores it (Royal College of Physicians 2017)."""

    ALERT = "alert", _("Alert")
    NEW_CONFUSION = "new_confusion", _("New confusion")
    VOICE = "voice", _("Responds to voice")
    PAIN = "pain", _("Responds to pain")
    UNRESPONSIVE = "unresponsive", _("Unresponsive")


class Source(models.TextChoices):
    CLINICIAN = "clinician", _("Clinician")
    STAFF = "staff", _("Staff")
    PATIENT = "patient", _("Patient (self-report)")


# A log's free-text note: about four pages, far more than a shift note needs; a bound so a
# pasted document or a hostile body (a 2 MB note was accepted) is refused, not stored.
NOTES_MAX_CHARS = 10_000


@pghistory.track(*history.trackers(), obj_field=pghistory.ObjForeignKey(related_name="history"))
class SymptomLog(models.Model):
    """One assessment: the 20 CIWA-B items, vital signs and alarm flags.

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
    spo2 = models.PositiveSmallIntegerField(_("SpO2 (%)"), null=True, blank=True)
    supplemental_oxygen = models.BooleanField(_("on supplemental oxygen"), default=False)
    consciousness = models.CharField(
        _("consciousness (ACVPU)"), max_length=16, choices=Consciousness.choices, blank=True
    )

    seizure = models.BooleanField(_("seizure"), default=False)
    hallucinations = models.BooleanField(_("hallucinations"), default=False)
    confusion = models.BooleanField(_("confusion or delirium"), default=False)
    suicidal_ideation = models.BooleanField(_("suicidal thoughts"), default=False)

    dose_taken_mg = models.DecimalField(
        _("dose taken today (mg)"), max_digits=8, decimal_places=4, null=True, blank=True
    )
    notes = models.TextField(_("notes"), blank=True, max_length=NOTES_MAX_CHARS)
    # An event-only log: the CIWA-B items were not assessed (a post-ictal or confused patient
    # cannot answer), and this says why. Its total and severity stay empty, never 0.
    items_not_assessed_reason = models.TextField(_("why CIWA-B was not assessed"), blank=True)

    # Derived when recorded, kept so history shows what the clinician saw then.
    total = models.PositiveSmallIntegerField(_("CIWA-B total"), null=True, blank=True)
    # NULL, not "": an event-only log has no band at all, and the API says so with null.
    severity = models.CharField(  # noqa: DJ001
        _("severity"), max_length=12, choices=scales.SEVERITY_CHOICES, null=True, blank=True
    )
    phase = models.CharField(_("phase"), max_length=16, choices=Phase.choices)
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
            # The sweep's "newest data per patient" (any status: a void or an amendment is
            # news too): one index probe per patient instead of reading a year of logs each
            # (docs/benchmarks.md, B3).
            models.Index(fields=["patient", "-created_at"], name="log_by_patient_created"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "submission_key"], name="log_one_per_submission"
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("notes"), NOTES_MAX_CHARS),
                name="log_notes_bounded",
            ),
            *[
                models.CheckConstraint(
                    condition=Q(**{f"{code}__isnull": True})
                    | Q(**{f"{code}__gte": scales.MIN_SCORE, f"{code}__lte": scales.MAX_SCORE}),
                    name=f"log_{code}_0_to_4",
                )
                for code in scales.ITEM_CODES
            ],
            # Either all 20 items scored, the total their sum and a severity band; or none
            # scored (event-only), no total, no band, and the reason why.
            models.CheckConstraint(
                condition=(
                    Q(**{f"{code}__isnull": False for code in scales.ITEM_CODES})
                    & Q(
                        total=sum(
                            (F(code) for code in scales.ITEM_CODES[1:]), F(scales.ITEM_CODES[0])
                        )
                    )
                    & Q(severity__in=[band.value for band in scales.Severity])
                    & Q(items_not_assessed_reason="")
                )
                | (
                    Q(**{f"{code}__isnull": True for code in scales.ITEM_CODES})
                    & Q(total__isnull=True, severity__isnull=True)
                    & ~Q(items_not_assessed_reason="")
                ),
                name="log_items_scored_or_not_assessed",
            ),
            models.CheckConstraint(
                condition=Q(consciousness__in=["", *Consciousness.values]),
                name="log_consciousness_valid",
            ),
            models.CheckConstraint(
                condition=Q(phase__in=Phase.values),
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
        score = "not assessed" if self.total is None else self.total
        return f"CIWA-B {score} for {self.patient} at {self.assessed_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self):
        return reverse("symptoms:log_detail", kwargs={"pk": self.pk})

    @property
    def items(self) -> dict[str, int] | None:
        """The 20 scores, or None on an event-only log (not assessed)."""
        if self.items_assessed:
            return {code: getattr(self, code) for code in scales.ITEM_CODES}
        return None

    @property
    def items_assessed(self) -> bool:
        return self.total is not None

    @property
    def news2(self):

        return news2_score(self)

    @property
    def is_current(self) -> bool:
        return self.status == LogStatus.CURRENT

    @property
    def flags(self) -> list[str]:
        flags = [
            str(self._meta.get_field(name).verbose_name)
            for name in ("seizure", "hallucinations", "confusion", "suicidal_ideation")
            if getattr(self, name)
        ]
        if self.consciousness and self.consciousness != Consciousness.ALERT:
            flags.append(str(_("consciousness: %s")) % self.get_consciousness_display().lower())
        return flags

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


def _default(name):
    return clinical.ALERT_DEFAULTS[name]


class AlertThresholds(models.Model):
    """Per-clinic thresholds of the alert rules, edited by admins (defaults: clinical.py)."""

    clinic = models.OneToOneField(
        "accounts.Clinic", on_delete=models.CASCADE, primary_key=True, related_name="thresholds"
    )
    pulse_alone_above = models.PositiveSmallIntegerField(default=_default("pulse_alone_above"))
    pulse_with_signs_above = models.PositiveSmallIntegerField(
        default=_default("pulse_with_signs_above")
    )
    signs_min_score = models.PositiveSmallIntegerField(default=_default("signs_min_score"))
    systolic_at_least = models.PositiveSmallIntegerField(default=_default("systolic_at_least"))
    diastolic_at_least = models.PositiveSmallIntegerField(default=_default("diastolic_at_least"))
    temperature_at_least = models.DecimalField(
        max_digits=4, decimal_places=1, default=_default("temperature_at_least")
    )
    respiratory_below = models.PositiveSmallIntegerField(default=_default("respiratory_below"))
    rising_trend_delta = models.PositiveSmallIntegerField(default=_default("rising_trend_delta"))
    baseline_days = models.PositiveSmallIntegerField(default=_default("baseline_days"))
    reduction_response_rise = models.PositiveSmallIntegerField(
        default=_default("reduction_response_rise")
    )
    post_reduction_days = models.PositiveSmallIntegerField(default=_default("post_reduction_days"))
    missed_log_hours = models.PositiveSmallIntegerField(default=_default("missed_log_hours"))
    taper_pace_percent = models.DecimalField(
        max_digits=5, decimal_places=2, default=_default("taper_pace_percent")
    )
    taper_pace_days = models.PositiveSmallIntegerField(default=_default("taper_pace_days"))
    seizure_risk_sign_score = models.PositiveSmallIntegerField(
        default=_default("seizure_risk_sign_score")
    )
    seizure_risk_pulse_above = models.PositiveSmallIntegerField(
        default=_default("seizure_risk_pulse_above")
    )
    escalate_after_minutes = models.PositiveSmallIntegerField(
        default=_default("escalate_after_minutes")
    )

    class Meta:
        verbose_name = _("alert thresholds")
        verbose_name_plural = _("alert thresholds")
        constraints = [
            models.CheckConstraint(
                condition=Q(signs_min_score__lte=4) & Q(seizure_risk_sign_score__lte=4),
                name="thresholds_scores_on_the_scale",
            ),
            models.CheckConstraint(
                condition=Q(baseline_days__gte=1)
                & Q(post_reduction_days__gte=1)
                & Q(missed_log_hours__gte=1)
                & Q(taper_pace_days__gte=1)
                & Q(escalate_after_minutes__gte=1),
                name="thresholds_windows_positive",
            ),
        ]

    def __str__(self):
        return f"Alert thresholds of {self.clinic}"

    @classmethod
    def for_clinic(cls, clinic) -> "AlertThresholds":
        """The clinic's thresholds, or the defaults (unsaved) until an admin sets them: reading
        them never writes."""
        return cls.objects.filter(clinic=clinic).first() or cls(clinic=clinic)


class AlertSeverity(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


SEVERITY_RANK = {"low": 1, "medium": 2, "high": 3, "critical": 4}


class AlertStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    SNOOZED = "snoozed", _("Snoozed")
    RESOLVED = "resolved", _("Resolved")
    DISMISSED = "dismissed", _("Dismissed")


UNRESOLVED = [AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED, AlertStatus.SNOOZED]


class Rule(models.TextChoices):
    SEIZURE = "seizure", _("Seizure reported")
    COMPLICATED_WITHDRAWAL = "complicated_withdrawal", _("Confusion or hallucinations")
    SUICIDALITY = "suicidality", _("Suicidal thoughts")
    SEVERE_SCORE = "severe_score", _("Severe CIWA-B score")
    VITAL_SIGNS = "vital_signs", _("Abnormal vital signs")
    SEIZURE_RISK = "seizure_risk", _("Seizure risk")
    RISING_TREND = "rising_trend", _("Rising scores")
    REDUCTION_RESPONSE = "reduction_response", _("Not tolerating the last reduction")
    MISSED_LOG = "missed_log", _("Missed assessment")
    DOSE_DEVIATION = "dose_deviation", _("Dose taken differs from the plan")
    TAPER_PACE = "taper_pace", _("Taper faster than guideline")


@pghistory.track(
    *history.trackers(),
    model_name="AlertHistory",  # "AlertEvent" is the staff-facing event log
    obj_field=pghistory.ObjForeignKey(related_name="history"),
)
class Alert(models.Model):
    """One escalation for a patient and a rule. At most one unresolved alert per
    (patient, rule): a new trigger updates it (count, evidence, severity only upwards)."""

    Status = AlertStatus
    Severity = AlertSeverity

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="alerts")
    rule = models.CharField(max_length=32, choices=Rule.choices)
    rule_version = models.PositiveSmallIntegerField(default=1)
    severity = models.CharField(max_length=10, choices=AlertSeverity.choices)
    status = models.CharField(max_length=12, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    summary = models.CharField(max_length=300)
    evidence = models.JSONField(default=dict)
    # What triggered the latest finding (e.g. the newest log that fired it): a closed alert
    # is not reopened by the same trigger on a later evaluation.
    trigger_key = models.CharField(max_length=80)
    trigger_count = models.PositiveIntegerField(default=1)
    opened_at = models.DateTimeField()
    last_triggered_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    snoozed_until = models.DateTimeField(null=True, blank=True)
    snooze_reason = models.TextField(blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolution_note = models.TextField(blank=True)
    escalation_level = models.PositiveSmallIntegerField(default=0)
    last_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at"]
        indexes = [
            # The dashboard and the escalation job read unresolved alerts by clinic patient.
            models.Index(
                fields=["status", "severity", "opened_at"],
                condition=Q(status__in=["open", "acknowledged", "snoozed"]),
                name="alert_unresolved",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "rule"],
                condition=Q(status__in=["open", "acknowledged", "snoozed"]),
                name="alert_one_unresolved_per_patient_rule",
            ),
            models.CheckConstraint(condition=Q(rule__in=Rule.values), name="alert_rule_valid"),
            models.CheckConstraint(
                condition=Q(severity__in=AlertSeverity.values), name="alert_severity_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=AlertStatus.values), name="alert_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=AlertStatus.SNOOZED)
                | (Q(snoozed_until__isnull=False) & ~Q(snooze_reason="")),
                name="alert_snooze_has_end_and_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=[AlertStatus.RESOLVED, AlertStatus.DISMISSED])
                | Q(resolved_at__isnull=False),
                name="alert_closed_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status=AlertStatus.DISMISSED) | ~Q(resolution_note=""),
                name="alert_dismissal_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status=AlertStatus.ACKNOWLEDGED) | Q(acknowledged_at__isnull=False),
                name="alert_acknowledgement_recorded",
            ),
        ]

    def __str__(self):
        return f"{self.get_rule_display()} ({self.severity}) for {self.patient}"

    def get_absolute_url(self):
        return reverse("alerts:detail", kwargs={"pk": self.pk})

    @property
    def is_unresolved(self) -> bool:
        return self.status in UNRESOLVED

    @property
    def severity_rank(self) -> int:
        return SEVERITY_RANK[self.severity]


class EventKind(models.TextChoices):
    OPENED = "opened", _("opened")
    RETRIGGERED = "retriggered", _("triggered again")
    SEVERITY_RAISED = "severity_raised", _("severity raised")
    ACKNOWLEDGED = "acknowledged", _("acknowledged")
    ASSIGNED = "assigned", _("assigned")
    SNOOZED = "snoozed", _("snoozed")
    SNOOZE_ENDED = "snooze_ended", _("snooze ended")
    RESOLVED = "resolved", _("resolved")
    AUTO_RESOLVED = "auto_resolved", _("resolved by the system")
    DISMISSED = "dismissed", _("dismissed")
    ESCALATED = "escalated", _("escalated")
    NOTIFIED = "notified", _("notified")


class AlertEvent(models.Model):
    """Every transition of an alert: who (None: the system), when, what, and a note."""

    Kind = EventKind

    alert = models.ForeignKey(Alert, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField()
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=EventKind.values), name="alert_event_kind_valid"
            ),
        ]

    def __str__(self):
        return f"{self.alert_id} {self.kind} at {self.at}"


class AlertTrigger(models.Model):
    """What has raised an alert already, per (patient, rule, trigger) and at what severity:
    a log, a dose cut, a silence. Evaluation skips a finding whose trigger was raised at that
    severity or higher, whether the alert is still open or staff closed it, so re-reading the
    same data is idempotent, a closed alert is not reopened by the same log, and a late or
    older log is a trigger of its own (docs/clinical-basis.md#alert-rules)."""

    alert = models.ForeignKey(Alert, on_delete=models.PROTECT, related_name="triggers")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    rule = models.CharField(max_length=32, choices=Rule.choices)
    key = models.CharField(max_length=80)
    severity = models.CharField(max_length=10, choices=AlertSeverity.choices)
    # What was found (rules.Finding.signature, comma-separated): a correction of this log is
    # the same report only while it shows nothing more.
    signature = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "rule", "key"], name="alert_trigger_once_per_rule"
            ),
        ]
        indexes = [models.Index(fields=["patient", "-at"], name="alert_trigger_by_patient")]

    def __str__(self):
        return f"{self.rule} {self.key} ({self.severity})"


class PatientEvaluation(models.Model):
    """When the rules last read a patient, so the sweep re-evaluates only what is newer."""

    patient = models.OneToOneField(
        Patient, on_delete=models.CASCADE, primary_key=True, related_name="evaluation"
    )
    evaluated_at = models.DateTimeField()
    # The newest data (log or plan change) the evaluation saw.
    data_seen_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.patient_id} evaluated {self.evaluated_at}"


class AlertNotification(models.Model):
    """A notification an alert owes (an outbox row): written in the transaction that opens,
    reopens or escalates the alert, so it survives a broker that is down at commit. The
    notify task marks it handled; the sweep queues again any left unhandled
    (docs/clinical-basis.md#alert-rules)."""

    alert = models.ForeignKey(Alert, on_delete=models.PROTECT, related_name="notifications")
    reason = models.CharField(max_length=100)
    requested_at = models.DateTimeField()
    # When the task sent it, or found nothing left to send (the alert closed meanwhile).
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["alert", "reason"], name="alert_notification_once_per_reason"
            ),
        ]
        indexes = [
            models.Index(
                fields=["requested_at"],
                condition=Q(handled_at__isnull=True),
                name="alert_notification_unhandled",
            )
        ]

    def __str__(self):
        return f"{self.alert_id} {self.reason}"
