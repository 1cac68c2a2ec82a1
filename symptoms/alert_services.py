"""Alert writes: evaluation (rules -> alert upserts), staff actions, sweep, escalation.

Concurrency: evaluations of one patient are serialised by a row lock on PatientEvaluation;
one unresolved alert per (patient, rule) is a partial unique constraint; staff actions and
escalations claim an alert with a compare-and-set UPDATE and go on only if they changed it
(healthchecks' sendalerts pattern), so two workers or two people never both win.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import DateTimeField, F, Max, Min, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from patients.models import Patient, PlanStatus, TaperPlan
from patients.plan_services import patient_risk_labels
from patients.timeline import Phase, timeline_on
from taperapp.accounts.models import User

from . import clinical, rules
from .models import (
    SEVERITY_RANK,
    UNRESOLVED,
    Alert,
    AlertEvent,
    AlertStatus,
    AlertThresholds,
    EventKind,
    LogStatus,
    PatientEvaluation,
    Rule,
    SeverityBands,
    SymptomLog,
)

logger = logging.getLogger(__name__)
NOTIFY_SEVERITIES = ("high", "critical")


def _epoch():
    # "Never" for comparisons with timestamps that may be missing.
    return datetime(2000, 1, 1, tzinfo=UTC)


def thresholds_for(clinic) -> AlertThresholds:
    """The clinic's thresholds, or the defaults (unsaved) until an admin sets them: reading
    them never writes."""
    return AlertThresholds.objects.filter(clinic=clinic).first() or AlertThresholds(clinic=clinic)


# --- Reading a patient's history -------------------------------------------------------------


def _log_view(log: SymptomLog) -> rules.LogView:
    return rules.LogView(
        id=str(log.pk),
        assessed_at=log.assessed_at,
        total=log.total,
        items=log.items,
        heart_rate=log.heart_rate,
        systolic_bp=log.systolic_bp,
        diastolic_bp=log.diastolic_bp,
        temperature_c=log.temperature_c,
        respiratory_rate=log.respiratory_rate,
        seizure=log.seizure,
        hallucinations=log.hallucinations,
        confusion=log.confusion,
        suicidal_ideation=log.suicidal_ideation,
    )


def build_history(patient: Patient, now: datetime) -> rules.History:
    """Everything the rules read, in a fixed handful of queries."""
    zone = patient.clinic.zone
    today = timezone.localtime(now, zone).date()
    plans = list(
        patient.taper_plans.exclude(status=PlanStatus.DRAFT)
        .select_related("medication", "current_revision")
        .prefetch_related("current_revision__steps")
    )
    facts = {plan.pk: plan.facts() for plan in plans}
    point = timeline_on(list(facts.values()), today)
    governing = next((plan for plan in plans if plan.pk == point.plan_id), None)
    logs = patient.symptom_logs.filter(
        status=LogStatus.CURRENT,
        assessed_at__gte=now - timedelta(days=rules.LOOKBACK_DAYS),
        assessed_at__lte=now,
    ).order_by("assessed_at")
    reductions = []
    for plan in plans:
        plan_facts = facts[plan.pk]
        previous = None
        for step in plan_facts.steps:
            if step.start_date > today:
                break
            if plan.status == PlanStatus.ON_HOLD and step.start_date > plan.held_since:
                break
            if previous is not None and step.daily_dose_mg < previous:
                reductions.append(rules.Reduction(step.start_date, previous, step.daily_dose_mg))
            previous = step.daily_dose_mg
    reductions.sort(key=lambda cut: cut.on)
    phase_started = None
    if point.phase == Phase.TAPERING and governing is not None:
        phase_started = datetime.combine(
            facts[governing.pk].start_date, datetime.min.time(), tzinfo=zone
        )
    elif point.phase == Phase.ACUTE and point.last_dose_date:
        phase_started = datetime.combine(
            point.last_dose_date + timedelta(days=1), datetime.min.time(), tzinfo=zone
        )
    thresholds = thresholds_for(patient.clinic)
    window_doses = []
    if governing is not None:
        governing_facts = facts[governing.pk]
        for back in range(1, thresholds.taper_pace_days + 1):
            dose = governing_facts.dose_on(today - timedelta(days=back))
            if dose is not None:
                window_doses.append(dose)
    return rules.History(
        now=now,
        zone=zone,
        logs=[_log_view(log) for log in logs],
        thresholds=thresholds,
        severe_from=SeverityBands.current().severe_from,
        risk_factors=patient_risk_labels(patient, today),
        phase=point.phase,
        phase_started=phase_started,
        reductions=reductions,
        last_dose_date=point.last_dose_date,
        onset_window_days=governing.medication.onset_window_days if governing else None,
        dose_today=point.daily_dose_mg,
        highest_dose_in_pace_window=max(window_doses) if window_doses else None,
    )


# --- Evaluation --------------------------------------------------------------------------------


def _event(alert: Alert, kind: str, at: datetime, actor: User | None = None, note="", **data):
    return AlertEvent.objects.create(
        alert=alert, kind=kind, actor=actor, at=at, note=note, data=data
    )


def _queue_notification(alert_id, reason: str):
    """Notify after commit (enqueue waits for it); a dead broker is logged, not raised."""
    from .tasks import enqueue, notify_alert

    enqueue(notify_alert, str(alert_id), reason)


def _update(alert: Alert, finding: rules.Finding, now: datetime) -> str | None:
    """Apply a repeat finding to an unresolved alert; returns the event kind, or None when the
    finding is what the alert already shows (re-evaluation of the same data)."""
    new_trigger = finding.trigger_key != alert.trigger_key
    raised = SEVERITY_RANK[finding.severity] > SEVERITY_RANK[alert.severity]
    if not new_trigger and not raised:
        return None
    if new_trigger:
        alert.trigger_count += 1
        alert.trigger_key = finding.trigger_key
        alert.last_triggered_at = now
    if raised:
        alert.severity = finding.severity  # only ever upwards
    alert.evidence = finding.evidence | {"rule_version": finding.version}
    alert.summary = finding.summary[:300]
    alert.rule_version = finding.version
    alert.save()
    kind = EventKind.SEVERITY_RAISED if raised else EventKind.RETRIGGERED
    _event(alert, kind, now, note=finding.summary, trigger_count=alert.trigger_count)
    if raised and alert.severity in NOTIFY_SEVERITIES:
        _queue_notification(alert.pk, f"raised:{alert.severity}")
    return kind


def alert_upsert(patient: Patient, finding: rules.Finding, now: datetime) -> Alert | None:
    existing = (
        Alert.objects.select_for_update()
        .filter(patient=patient, rule=finding.rule, status__in=UNRESOLVED)
        .first()
    )
    if existing is not None:
        _update(existing, finding, now)
        return existing
    if Alert.objects.filter(
        patient=patient, rule=finding.rule, trigger_key=finding.trigger_key
    ).exists():
        return None  # already raised and closed for this very trigger: staff have handled it
    alert = Alert(
        patient=patient,
        rule=finding.rule,
        rule_version=finding.version,
        severity=finding.severity,
        summary=finding.summary[:300],
        evidence=finding.evidence | {"rule_version": finding.version},
        trigger_key=finding.trigger_key,
        opened_at=now,
        last_triggered_at=now,
    )
    try:
        with transaction.atomic():
            alert.save(force_insert=True)
    except IntegrityError:
        # Another evaluation opened it a moment ago: update that one instead.
        existing = Alert.objects.select_for_update().get(
            patient=patient, rule=finding.rule, status__in=UNRESOLVED
        )
        _update(existing, finding, now)
        return existing
    age = (now - finding.data_at).total_seconds() if finding.data_at else None
    _event(alert, EventKind.OPENED, now, note=finding.summary, data_age_seconds=age)
    if alert.severity in NOTIFY_SEVERITIES:
        _queue_notification(alert.pk, "opened")
    return alert


def _newest_data_at(patient: Patient):
    newest_log = patient.symptom_logs.aggregate(at=Max("created_at"))["at"]
    newest_plan = patient.taper_plans.aggregate(at=Max("updated_at"))["at"]
    return max(filter(None, [newest_log, newest_plan]), default=None)


@transaction.atomic
def evaluate_patient(patient_id, *, now: datetime | None = None) -> list[Alert]:
    """Run every rule for one patient and upsert the alerts. Idempotent: evaluating the same
    data again changes nothing."""
    now = now or timezone.now()
    patient = Patient.objects.select_related("clinic").get(pk=patient_id)
    # Serialise evaluations of this patient (two workers, a retry after a crash): the row is
    # read FOR UPDATE, or created (get_or_create settles a creation race in a savepoint).
    state, _created = PatientEvaluation.objects.select_for_update().get_or_create(
        patient=patient, defaults={"evaluated_at": _epoch()}
    )
    data_at = _newest_data_at(patient)
    touched = []
    findings = rules.evaluate(build_history(patient, now)) if patient.is_active else []
    for finding in findings:
        alert = alert_upsert(patient, finding, now)
        if alert is not None:
            touched.append(alert)
    fired = {finding.rule for finding in findings}
    if Rule.MISSED_LOG not in fired:
        _clear_missed_log(patient, now)
    state.evaluated_at = now
    state.data_seen_at = data_at
    state.save(update_fields=["evaluated_at", "data_seen_at"])
    return touched


def _clear_missed_log(patient: Patient, now: datetime):
    for alert in Alert.objects.select_for_update().filter(
        patient=patient, rule=Rule.MISSED_LOG, status__in=UNRESOLVED
    ):
        arrived = (
            patient.symptom_logs.filter(status=LogStatus.CURRENT, created_at__gte=alert.opened_at)
            .order_by("created_at")
            .first()
        )
        if arrived is None:
            continue
        alert.status = AlertStatus.RESOLVED
        alert.resolved_at = now
        alert.resolution_note = _("A log arrived.")
        alert.save(update_fields=["status", "resolved_at", "resolution_note"])
        _event(
            alert,
            EventKind.AUTO_RESOLVED,
            now,
            note=_("A log arrived at %(when)s.")
            % {
                "when": timezone.localtime(arrived.assessed_at, patient.clinic.zone).strftime(
                    "%d %b %H:%M"
                )
            },
            log=str(arrived.pk),
        )


# --- The periodic jobs ---------------------------------------------------------------------------


def patients_due_for_evaluation(now: datetime) -> list:
    """Set-based: patients whose newest data is newer than their last evaluation, and patients
    in a plan whose last log is older than the smallest missed-log threshold (the rule decides
    per clinic). Two queries, whatever the number of patients."""
    epoch = Value(_epoch(), output_field=DateTimeField())
    newest_log = (
        SymptomLog.objects.filter(patient=OuterRef("pk"))
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    newest_plan = (
        TaperPlan.objects.filter(patient=OuterRef("pk"))
        .order_by("-updated_at")
        .values("updated_at")[:1]
    )
    stale = (
        Patient.objects.filter(status=Patient.Status.ACTIVE)
        .annotate(
            data_at=Greatest(
                Coalesce(Subquery(newest_log), epoch), Coalesce(Subquery(newest_plan), epoch)
            ),
            seen_at=Coalesce(F("evaluation__data_seen_at"), epoch),
        )
        .filter(data_at__gt=F("seen_at"))
        .values_list("pk", flat=True)
    )
    hours = AlertThresholds.objects.aggregate(hours=Min("missed_log_hours"))["hours"]
    hours = min(filter(None, [hours, clinical.ALERT_DEFAULTS["missed_log_hours"]]))
    last_assessed = (
        SymptomLog.objects.filter(patient=OuterRef("pk"), status=LogStatus.CURRENT)
        .order_by("-assessed_at")
        .values("assessed_at")[:1]
    )
    acute_recent = now.date() - timedelta(
        days=clinical.ALERT_DEFAULTS["missed_log_hours"] // 24 + 60
    )
    silent = (
        Patient.objects.filter(status=Patient.Status.ACTIVE)
        .filter(
            Q(taper_plans__status__in=[PlanStatus.ACTIVE, PlanStatus.ON_HOLD])
            | Q(taper_plans__status=PlanStatus.COMPLETED, taper_plans__ended_on__gte=acute_recent)
        )
        .annotate(last_assessed=Coalesce(Subquery(last_assessed), epoch))
        .filter(last_assessed__lt=now - timedelta(hours=hours))
        .exclude(alerts__rule=Rule.MISSED_LOG, alerts__status__in=UNRESOLVED)
        .values_list("pk", flat=True)
        .distinct()
    )
    return list(set(stale) | set(silent))


def escalate_due(now: datetime) -> list:
    """Critical alerts still open (not acknowledged) after the clinic's delay: raise the
    escalation level and notify again, every delay, until acknowledged."""
    default = clinical.ALERT_DEFAULTS["escalate_after_minutes"]
    candidates = (
        Alert.objects.filter(status=AlertStatus.OPEN, severity="critical")
        .annotate(delay=Coalesce(F("patient__clinic__thresholds__escalate_after_minutes"), default))
        .values_list("pk", "escalation_level", "opened_at", "last_notified_at", "delay")
    )
    escalated = []
    for pk, level, opened_at, notified_at, delay in candidates:
        since = max(filter(None, [opened_at, notified_at]))
        if now - since < timedelta(minutes=delay):
            continue
        # Compare-and-set: only one worker moves the level on.
        claimed = Alert.objects.filter(
            pk=pk, status=AlertStatus.OPEN, escalation_level=level
        ).update(escalation_level=level + 1, last_notified_at=now)
        if claimed != 1:
            continue
        alert = Alert.objects.get(pk=pk)
        _event(
            alert,
            EventKind.ESCALATED,
            now,
            note=_("Not acknowledged: escalation level %(n)s.") % {"n": level + 1},
            level=level + 1,
        )
        _queue_notification(pk, f"escalated:{level + 1}")
        escalated.append(pk)
    return escalated


@transaction.atomic
def expire_snoozes(now: datetime) -> list:
    """Snoozes that have ended: the alert returns if its cause still holds, else it resolves."""
    returned = []
    for alert in Alert.objects.select_related("patient__clinic").filter(
        status=AlertStatus.SNOOZED, snoozed_until__lte=now
    ):
        claimed = Alert.objects.filter(pk=alert.pk, status=AlertStatus.SNOOZED).update(
            status=AlertStatus.OPEN, snoozed_until=None
        )
        if claimed != 1:
            continue
        alert.refresh_from_db()
        findings = (
            rules.evaluate(build_history(alert.patient, now)) if alert.patient.is_active else []
        )
        if any(finding.rule == alert.rule for finding in findings):
            _event(
                alert, EventKind.SNOOZE_ENDED, now, note=_("Snooze ended; the cause still holds.")
            )
            returned.append(alert.pk)
        else:
            Alert.objects.filter(pk=alert.pk).update(
                status=AlertStatus.RESOLVED,
                resolved_at=now,
                resolution_note=_("Snooze ended; the cause no longer holds."),
            )
            _event(
                alert,
                EventKind.AUTO_RESOLVED,
                now,
                note=_("Snooze ended; the cause no longer holds."),
            )
    return returned


# --- Staff actions ------------------------------------------------------------------------------


def _claim(alert: Alert, from_statuses, message: str, **changes) -> Alert:
    claimed = Alert.objects.filter(pk=alert.pk, status__in=from_statuses).update(**changes)
    current = Alert.objects.select_related("acknowledged_by", "resolved_by", "patient__clinic").get(
        pk=alert.pk
    )
    if claimed != 1:
        who = current.resolved_by or current.acknowledged_by
        when = current.resolved_at or current.acknowledged_at or current.last_triggered_at
        raise ValidationError(
            message
            % {
                "status": current.get_status_display().lower(),
                "who": who or _("someone else"),
                "when": timezone.localtime(when, current.patient.clinic.zone).strftime("%H:%M"),
            }
        )
    return current


@transaction.atomic
def alert_acknowledge(*, alert: Alert, by: User, now: datetime | None = None) -> Alert:
    now = now or timezone.now()
    alert = _claim(
        alert,
        [AlertStatus.OPEN, AlertStatus.SNOOZED],
        _("This alert is already %(status)s (by %(who)s at %(when)s)."),
        status=AlertStatus.ACKNOWLEDGED,
        acknowledged_at=now,
        acknowledged_by=by,
        snoozed_until=None,
    )
    _event(alert, EventKind.ACKNOWLEDGED, now, actor=by)
    return alert


@transaction.atomic
def alert_assign(*, alert: Alert, by: User, assignee: User, now: datetime | None = None) -> Alert:
    from taperapp.accounts.roles import Role

    now = now or timezone.now()
    eligible = User.objects.filter(
        pk=assignee.pk,
        is_active=True,
        memberships__clinic_id=alert.patient.clinic_id,
        groups__name__in=[Role.CLINICIAN, Role.STAFF],
    ).exists()
    if not eligible:
        raise ValidationError(
            {"user": _("Choose a clinician or staff member of this patient's clinic.")}
        )
    alert = _claim(
        alert,
        UNRESOLVED,
        _("This alert is already %(status)s (by %(who)s at %(when)s)."),
        assigned_to=assignee,
    )
    _event(alert, EventKind.ASSIGNED, now, actor=by, note=str(assignee), user=str(assignee.pk))
    return alert


@transaction.atomic
def alert_snooze(
    *, alert: Alert, by: User, minutes: int, reason: str, now: datetime | None = None
) -> Alert:
    now = now or timezone.now()
    reason = (reason or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = _("Give the reason for snoozing.")
    if not minutes or minutes < 5 or minutes > 24 * 60:
        errors["minutes"] = _("Snooze for 5 minutes to 24 hours.")
    if errors:
        raise ValidationError(errors)
    until = now + timedelta(minutes=minutes)
    alert = _claim(
        alert,
        [AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED],
        _("This alert is already %(status)s (by %(who)s at %(when)s)."),
        status=AlertStatus.SNOOZED,
        snoozed_until=until,
        snooze_reason=reason,
    )
    _event(alert, EventKind.SNOOZED, now, actor=by, note=reason, until=until.isoformat())
    return alert


@transaction.atomic
def alert_resolve(*, alert: Alert, by: User, note: str, now: datetime | None = None) -> Alert:
    now = now or timezone.now()
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Write what was done, to resolve the alert.")})
    alert = _claim(
        alert,
        UNRESOLVED,
        _("This alert is already %(status)s (by %(who)s at %(when)s)."),
        status=AlertStatus.RESOLVED,
        resolved_at=now,
        resolved_by=by,
        resolution_note=note,
        snoozed_until=None,
    )
    _event(alert, EventKind.RESOLVED, now, actor=by, note=note)
    return alert


@transaction.atomic
def alert_dismiss(*, alert: Alert, by: User, reason: str, now: datetime | None = None) -> Alert:
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for dismissing the alert.")})
    alert = _claim(
        alert,
        UNRESOLVED,
        _("This alert is already %(status)s (by %(who)s at %(when)s)."),
        status=AlertStatus.DISMISSED,
        resolved_at=now,
        resolved_by=by,
        resolution_note=reason,
        snoozed_until=None,
    )
    _event(alert, EventKind.DISMISSED, now, actor=by, note=reason)
    return alert
