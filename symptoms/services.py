"""Writes of symptom logs: record, amend, void. Never an update of a score in place."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from patients.models import Patient
from patients.plans.generator import dose_problem
from patients.plans.selectors import patient_timeline
from symptoms import clinical, scales
from symptoms.models import NOTES_MAX_CHARS, Consciousness, LogStatus, SeverityBands, SymptomLog
from symptoms.signals import log_changed
from taperapp.accounts.models import User
from taperapp.errors import Conflict

VITAL_FIELDS = tuple(clinical.VITAL_LIMITS)
FLAG_FIELDS = ("seizure", "hallucinations", "confusion", "suicidal_ideation")
# Observations that are not a measured range: NEWS2 scores them with the vitals.
OBSERVATION_FIELDS = ("supplemental_oxygen", "consciousness")
VITAL_NAMES = {
    "spo2": "SpO2",
    "heart_rate": "Pulse",
    "systolic_bp": "Systolic blood pressure",
    "diastolic_bp": "Diastolic blood pressure",
    "temperature_c": "Temperature",
    "respiratory_rate": "Respiratory rate",
}


@dataclass
class LogEntry:
    """One assessment as typed, before validation. ``items`` is None for an event-only log
    (the CIWA-B could not be assessed), which then needs ``items_not_assessed_reason``."""

    assessed_at: datetime | None
    items: dict | None
    source: str = SymptomLog.Source.CLINICIAN
    heart_rate: int | None = None
    systolic_bp: int | None = None
    diastolic_bp: int | None = None
    temperature_c: Decimal | None = None
    respiratory_rate: int | None = None
    spo2: int | None = None
    supplemental_oxygen: bool = False
    consciousness: str = ""
    seizure: bool = False
    hallucinations: bool = False
    confusion: bool = False
    suicidal_ideation: bool = False
    dose_taken_mg: Decimal | None = None
    notes: str = ""
    items_not_assessed_reason: str = ""
    extra: dict = field(default_factory=dict)

    def digest(self) -> str:
        """A hash of the report as it is stored (normalised): the same instant whatever its
        offset, 37 and 37.0 alike, notes without surrounding spaces. Two bodies with one
        digest are one report; a submission id reused with another digest is a conflict."""

        def plain(value):
            if isinstance(value, Decimal | float | int) and not isinstance(value, bool):
                return format(Decimal(str(value)).normalize(), "f")
            return value

        scored = self.items is not None
        data = {
            "assessed_at": (
                self.assessed_at.astimezone(UTC).isoformat() if self.assessed_at else None
            ),
            "items": {code: int(self.items[code]) for code in scales.ITEM_CODES}
            if self.items is not None
            else None,
            "source": self.source,
            **{name: plain(getattr(self, name)) for name in VITAL_FIELDS},
            "supplemental_oxygen": bool(self.supplemental_oxygen),
            "consciousness": self.consciousness or "",
            **{name: bool(getattr(self, name)) for name in FLAG_FIELDS},
            "dose_taken_mg": plain(self.dose_taken_mg),
            "notes": (self.notes or "").strip(),
            "items_not_assessed_reason": ""
            if scored
            else (self.items_not_assessed_reason or "").strip(),
        }
        canonical = json.dumps(data, sort_keys=True, default=str)
        return hashlib.sha256(canonical.encode()).hexdigest()

    def content_key(self, patient: Patient) -> uuid.UUID:
        """A key derived from the content, for clients that send none: the same body for the
        same patient is the same submission."""
        digest = hashlib.sha256(f"{patient.pk}:{self.digest()}".encode()).hexdigest()
        return uuid.UUID(digest[:32])

    @classmethod
    def of(cls, log: SymptomLog) -> LogEntry:
        """The entry a stored log was made from (to compare a retried submission with it)."""
        scored = log.total is not None
        return cls(
            assessed_at=log.assessed_at,
            items={code: getattr(log, code) for code in scales.ITEM_CODES} if scored else None,
            source=log.source,
            **{name: getattr(log, name) for name in VITAL_FIELDS + FLAG_FIELDS},
            supplemental_oxygen=log.supplemental_oxygen,
            consciousness=log.consciousness,
            dose_taken_mg=log.dose_taken_mg,
            notes=log.notes,
            items_not_assessed_reason=log.items_not_assessed_reason,
        )


def _same_submission(existing: SymptomLog, entry: LogEntry) -> SymptomLog:
    """``existing`` if ``entry`` is the report it holds (a retry, a double-click); a Conflict
    if the submission id was used for something else: answering the old log would silently
    drop the new report (a seizure, say) while the client believes it was saved."""
    if LogEntry.of(existing).digest() != entry.digest():
        raise Conflict(
            {
                "submission_id": _(
                    "This submission id was already used for a different log (assessed "
                    "%(at)s): nothing was saved. Send this report with a new submission id, "
                    "or correct the saved log with amend."
                )
                % {"at": existing.assessed_at.isoformat()}
            },
            code="conflict",
        )
    return existing


def _born_after(patient: Patient, at: datetime) -> bool:
    """Whether ``at`` falls before the patient's date of birth (in the clinic's calendar)."""
    try:
        return timezone.localtime(at, patient.clinic.zone).date() < patient.birth_date
    except OverflowError:  # year 1 or 9999 shifted into the clinic's zone
        return at.year < patient.birth_date.year


def validate_entry(entry: LogEntry, patient: Patient) -> dict[str, str]:
    """Field errors of an entry for this patient: the same rules for the form and the API."""
    errors: dict[str, str] = {}
    now = timezone.now()
    if entry.assessed_at is None:
        errors["assessed_at"] = _("Give the date and time of the assessment.")
    elif timezone.is_naive(entry.assessed_at):
        errors["assessed_at"] = _("Give the time with its time zone.")
    elif entry.assessed_at > now + timedelta(minutes=clinical.CLOCK_SKEW_MINUTES):
        errors["assessed_at"] = _("The assessment time is in the future: check the date and time.")
    elif _born_after(patient, entry.assessed_at):
        # An assessment lies between the patient's birth and now (plus the clock-skew
        # allowance); year 1 raised OverflowError in the rules before.
        errors["assessed_at"] = _(
            "The assessment time is before the patient's date of birth (%(born)s): check the year."
        ) % {"born": patient.birth_date.isoformat()}
    if len(entry.notes or "") > NOTES_MAX_CHARS:
        errors["notes"] = _("Keep the notes under %(n)s characters.") % {"n": NOTES_MAX_CHARS}
    reason = (entry.items_not_assessed_reason or "").strip()
    if entry.items is None:
        if not reason:
            errors["items"] = _(
                "Score the 20 CIWA-B items, or say why they could not be assessed "
                "(e.g. the patient is post-ictal and cannot answer)."
            )
    else:
        errors.update(scales.validate_items(entry.items))
        if reason:
            errors["items_not_assessed_reason"] = _(
                "The CIWA-B items were scored: leave the reason for not assessing them empty."
            )
    if entry.consciousness and entry.consciousness not in Consciousness.values:
        errors["consciousness"] = _(
            "Choose the level of consciousness: alert, new confusion, voice, pain or unresponsive."
        )
    for name in VITAL_FIELDS:
        value = getattr(entry, name)
        if value is None:
            continue
        low, high, _usual_low, _usual_high, unit = clinical.VITAL_LIMITS[name]
        if not low <= value <= high:
            errors[name] = _(
                "%(what)s %(value)s %(unit)s is not possible: check the reading "
                "(accepted: %(low)s–%(high)s)."
            ) % {"what": VITAL_NAMES[name], "value": value, "unit": unit, "low": low, "high": high}
    if (
        entry.systolic_bp is not None
        and entry.diastolic_bp is not None
        and "systolic_bp" not in errors
        and "diastolic_bp" not in errors
        and entry.diastolic_bp >= entry.systolic_bp
    ):
        errors["diastolic_bp"] = _("The diastolic pressure must be lower than the systolic.")
    if entry.dose_taken_mg is not None and entry.dose_taken_mg < 0:
        errors["dose_taken_mg"] = _("The dose taken cannot be negative.")
    elif entry.dose_taken_mg is not None and (problem := dose_problem(entry.dose_taken_mg)):
        errors["dose_taken_mg"] = problem
    if entry.source not in SymptomLog.Source.values:
        errors["source"] = _("Choose who reported: clinician, staff or patient.")
    return errors


def _build(patient: Patient, entry: LogEntry, recorded_by: User, key: uuid.UUID) -> SymptomLog:
    """The log of a valid entry: every caller runs validate_entry first."""
    if entry.assessed_at is None:  # validate_entry refuses an entry without a time
        raise ValueError("A log needs the time of its assessment: validate the entry first.")
    items: dict[str, int | None]
    if entry.items is None:
        items = {code: None for code in scales.ITEM_CODES}
        total = severity = None
    else:
        scores = {code: int(entry.items[code]) for code in scales.ITEM_CODES}
        items = dict(scores)
        total = scales.total(scores)
        severity = scales.severity_for(total, SeverityBands.current().starts())
    assessed_day = timezone.localtime(entry.assessed_at, patient.clinic.zone).date()
    point = patient_timeline(patient, assessed_day)
    return SymptomLog(
        patient=patient,
        assessed_at=entry.assessed_at,
        recorded_by=recorded_by,
        source=entry.source,
        submission_key=key,
        **items,
        **{name: getattr(entry, name) for name in VITAL_FIELDS + FLAG_FIELDS},
        supplemental_oxygen=bool(entry.supplemental_oxygen),
        consciousness=entry.consciousness or "",
        dose_taken_mg=entry.dose_taken_mg,
        notes=(entry.notes or "").strip(),
        items_not_assessed_reason=(
            (entry.items_not_assessed_reason or "").strip() if entry.items is None else ""
        ),
        total=total,
        severity=severity,
        phase=point.phase,
        day_in_phase=point.day_in_phase,
    )


def _insert_once(log: SymptomLog, entry: LogEntry) -> tuple[SymptomLog, bool]:
    """Insert, or return the row of the same submission saved first (a retry, a double-click,
    or a concurrent request that won the race); a Conflict if that row holds another report."""
    existing = SymptomLog.objects.filter(
        patient=log.patient, submission_key=log.submission_key
    ).first()
    if existing is not None:
        return _same_submission(existing, entry), False
    try:
        with transaction.atomic():  # a savepoint: the loser of a race keeps its transaction
            log.save(force_insert=True)
    except IntegrityError as error:
        if "log_one_per_submission" not in str(error) and "submission_key" not in str(error):
            raise
        winner = SymptomLog.objects.get(patient=log.patient, submission_key=log.submission_key)
        return _same_submission(winner, entry), False
    return log, True


@transaction.atomic
def symptom_log_record(
    *, patient: Patient, entry: LogEntry, recorded_by: User, submission_key: uuid.UUID | None = None
) -> tuple[SymptomLog, bool]:
    """Record an assessment. Returns (log, created); a repeated submission returns the first."""
    if not patient.is_active:
        raise ValidationError(_("This patient has been discharged: logs cannot be added."))
    errors = validate_entry(entry, patient)
    if errors:
        raise ValidationError(errors)
    key = submission_key or entry.content_key(patient)
    log, created = _insert_once(_build(patient, entry, recorded_by, key), entry)
    if created:
        _reevaluate(patient)
    return log, created


def _reevaluate(patient: Patient) -> None:
    """Announce the change: the alerts evaluate this patient once the transaction commits."""
    log_changed.send(sender=SymptomLog, patient_id=patient.pk)


def _lock_current(log: SymptomLog) -> SymptomLog:
    locked = (
        SymptomLog.objects.select_for_update(of=("self",))
        .select_related("patient__clinic")
        .get(pk=log.pk)
    )
    if locked.status != LogStatus.CURRENT:
        raise ValidationError(
            _("This log was already %(what)s: work on its latest version.")
            % {"what": locked.get_status_display().lower()}
        )
    return locked


@transaction.atomic
def symptom_log_amend(
    *,
    log: SymptomLog,
    entry: LogEntry,
    amended_by: User,
    reason: str,
    submission_key: uuid.UUID | None = None,
) -> SymptomLog:
    """A corrected version that supersedes ``log``; the original stays, marked superseded."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for the correction.")})
    key = submission_key or uuid.uuid4()
    done = SymptomLog.objects.filter(patient_id=log.patient_id, submission_key=key).first()
    if done is not None:  # the same correction sent twice, or the id reused for another
        if done.supersedes_id != log.pk or done.amendment_reason != reason:
            raise Conflict(
                {
                    "submission_id": _(
                        "This submission id was already used for a different log: nothing "
                        "was saved. Send this correction with a new submission id."
                    )
                },
                code="conflict",
            )
        return _same_submission(done, entry)
    original = _lock_current(log)
    if not original.patient.is_active:
        # A discharged patient's record raises no alert, so a correction (a seizure added to
        # an old log) would be saved in silence: refused, as a new log is.
        raise ValidationError(
            _("This patient has been discharged: logs cannot be added or corrected.")
        )
    errors = validate_entry(entry, original.patient)
    if errors:
        raise ValidationError(errors)
    amended = _build(original.patient, entry, amended_by, key)
    amended.supersedes = original
    amended.amendment_reason = reason
    original.status = LogStatus.SUPERSEDED
    original.save(update_fields=["status"])
    amended.save(force_insert=True)
    _reevaluate(original.patient)
    return amended


@transaction.atomic
def symptom_log_void(*, log: SymptomLog, voided_by: User, reason: str) -> SymptomLog:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for voiding this log.")})
    log = _lock_current(log)
    log.status = LogStatus.VOIDED
    log.voided_at = timezone.now()
    log.voided_by = voided_by
    log.void_reason = reason
    log.save(update_fields=["status", "voided_at", "voided_by", "void_reason"])
    _reevaluate(log.patient)
    return log
