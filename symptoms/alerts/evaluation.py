"""Evaluation: read a patient's logs and plans, run every rule, and open or update alerts.

Idempotent: evaluating the same data again changes nothing (``AlertTrigger`` remembers what each
log and plan revision already raised). Evaluations of one patient are serialised by a row lock
on ``PatientEvaluation``; one unresolved alert per (patient, rule) is a partial unique
constraint.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import DateTimeField, Exists, F, Max, Min, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from patients.models import Medication, Patient, PlanStatus, TaperPlan
from patients.plans import risk
from patients.plans.timeline import Phase, PlanFacts, timeline_on
from symptoms import clinical
from symptoms.alerts import rules
from symptoms.alerts.events import record_event
from symptoms.alerts.notifications import NOTIFY_SEVERITIES, queue_notification
from symptoms.models import (
    SEVERITY_RANK,
    UNRESOLVED,
    Alert,
    AlertSeverity,
    AlertStatus,
    AlertThresholds,
    AlertTrigger,
    EventKind,
    LogStatus,
    PatientEvaluation,
    Rule,
    SeverityBands,
    SymptomLog,
)

logger = logging.getLogger(__name__)

# After a plan ended (completed or stopped) the sweep looks for a silence through the longest
# acute window any medication has (admins may lengthen one), plus this margin for the days
# between the last dose and the end of the acute window in the clinic's zone
# (docs/clinical-basis.md#missed-log-rule).
ENDED_PLAN_MARGIN_DAYS = 2

# A log reporting an event that always reaches a clinician (the report rules' flags).
REPORTED_EVENT = (
    Q(seizure=True)
    | Q(confusion=True)
    | Q(hallucinations=True)
    | Q(suicidal_ideation=True)
    | (~Q(consciousness="") & ~Q(consciousness="alert"))
)

# "Never", for comparisons with timestamps that may be missing.
NEVER = datetime(2000, 1, 1, tzinfo=UTC)

# Rules about a reported event, always critical: each new report is news (see _update).
REPORT_RULES = {Rule.SEIZURE, Rule.COMPLICATED_WITHDRAWAL, Rule.SUICIDALITY}


# --- Reading a patient's history -------------------------------------------------------------


def _log_view(log: SymptomLog) -> rules.LogView:
    return rules.LogView(
        id=str(log.pk),
        assessed_at=log.assessed_at,
        entered_at=log.created_at,
        total=log.total,
        items=log.items or {},
        heart_rate=log.heart_rate,
        systolic_bp=log.systolic_bp,
        diastolic_bp=log.diastolic_bp,
        temperature_c=log.temperature_c,
        respiratory_rate=log.respiratory_rate,
        spo2=log.spo2,
        supplemental_oxygen=log.supplemental_oxygen,
        consciousness=log.consciousness,
        seizure=log.seizure,
        hallucinations=log.hallucinations,
        confusion=log.confusion,
        suicidal_ideation=log.suicidal_ideation,
        dose_taken_mg=log.dose_taken_mg,
    )


def _reductions(
    plans: list[TaperPlan], facts: dict[uuid.UUID, PlanFacts], today: date
) -> list[rules.Reduction]:
    """Every dose cut the plans made up to today, a plan's end included; the end of a stop or
    an early completion above the lowest practical dose is marked as an abrupt stop."""
    cuts: list[rules.Reduction] = []
    for plan in plans:
        plan_facts = facts[plan.pk]
        abrupt = risk.abrupt_stop_from(risk.drug_context(plan)) is not None
        stopped_on = plan_facts.ended_on + timedelta(days=1) if plan_facts.ended_on else None
        cuts.extend(
            rules.Reduction(on, before, after, abrupt_stop=abrupt and on == stopped_on)
            for on, before, after in plan_facts.reductions_until(today)
        )
    return sorted(cuts, key=lambda cut: cut.on)


def _unjustified_fast_change(governing, today, thresholds) -> tuple | None:
    """The current schedule's fastest fall within the pace window up to today, when that
    schedule was saved without a justification and goes faster than the pace. The final step
    to zero from the lowest practical dose is how every taper ends, not a departure."""
    if governing is None or governing.current_revision.justification.strip():
        return None
    steps = [s for s in governing.current_revision.steps.all() if s.start_date <= today]
    lowest = governing.medication.lowest_practical_dose_mg
    pace, days = Decimal(thresholds.taper_pace_percent), thresholds.taper_pace_days
    worst = None
    for index, step in enumerate(steps):
        if step.daily_dose_mg == 0 and index and steps[index - 1].daily_dose_mg <= lowest:
            continue
        window_start = step.start_date - timedelta(days=days)
        earlier = [
            s.daily_dose_mg
            for s in steps[:index]
            if s.end_date is None or s.end_date >= window_start
        ]
        high = max(earlier, default=None)
        if not high:
            continue
        fall = (high - step.daily_dose_mg) / high * 100
        if fall > pace and (worst is None or fall > worst[3]):
            worst = (f"revision:{governing.current_revision.pk}", high, step.daily_dose_mg, fall)
    return None if worst is None else (*worst, days)


WATCHED_PHASES = (Phase.TAPERING, Phase.ACUTE)


def _watched_since(all_facts, phase, today, zone, thresholds) -> datetime | None:
    """Midnight of the first day of the unbroken tapering-then-acute period that holds today:
    logs are expected daily from a taper's first day through the acute phase, and neither the
    end of a taper nor a new plan begun during acute withdrawal restarts the count (a silence
    across either counts whole). Looked for only as far back as a silence could matter."""
    if phase not in WATCHED_PHASES:
        return None
    day = today
    for _step in range(thresholds.missed_log_hours // 24 + 2):
        before = day - timedelta(days=1)
        if timeline_on(all_facts, before).phase not in WATCHED_PHASES:
            break
        day = before
    return datetime.combine(day, datetime.min.time(), tzinfo=zone)


def build_history(patient: Patient, now: datetime) -> rules.History:
    """Everything the rules read, in a fixed handful of queries."""
    zone = patient.clinic.zone
    today = timezone.localtime(now, zone).date()
    plans = list(
        patient.taper_plans.exclude(status=PlanStatus.DRAFT)
        .select_related("medication", "current_revision")
        .prefetch_related("current_revision__steps", "medication__strengths")
    )
    facts = {plan.pk: plan.facts() for plan in plans}
    point = timeline_on(list(facts.values()), today)
    governing = next((plan for plan in plans if plan.pk == point.plan_id), None)
    since = now - timedelta(days=clinical.LOOKBACK_DAYS)
    read = [
        _log_view(log)
        for log in patient.symptom_logs.filter(
            # The look-back by clinical time, and any report of a seizure, confusion or
            # suicidal thoughts entered within it however long ago it happened: every such
            # report must reach a clinician (docs/clinical-basis.md#look-back-windows).
            Q(assessed_at__gte=since) | (Q(created_at__gte=since) & REPORTED_EVENT),
            status=LogStatus.CURRENT,
            # A device may date a log a few minutes ahead of the server (CLOCK_SKEW_MINUTES):
            # such a log is judged now, not missed until it is "due".
            assessed_at__lte=now + timedelta(minutes=clinical.CLOCK_SKEW_MINUTES),
        ).order_by("assessed_at", "created_at")
    ]
    logs = [log for log in read if log.assessed_at >= since]
    late_reports = [log for log in read if log.assessed_at < since]
    thresholds = AlertThresholds.for_clinic(patient.clinic)
    all_facts = list(facts.values())
    watched_since = _watched_since(all_facts, point.phase, today, zone, thresholds)
    first_day = today - timedelta(days=clinical.LOOKBACK_DAYS + thresholds.taper_pace_days)
    planned_doses = {}
    day = first_day
    while day <= today + timedelta(days=1):
        planned_doses[day] = timeline_on(all_facts, day).daily_dose_mg
        day += timedelta(days=1)
    drug = risk.drug_context(governing)
    state_days = {
        timezone.localtime(log.assessed_at, zone).date()
        for log in logs
        if log.assessed_at >= now - timedelta(days=clinical.STATE_LOOKBACK_DAYS)
    }
    return rules.History(
        now=now,
        zone=zone,
        logs=logs,
        thresholds=thresholds,
        severe_from=SeverityBands.current().severe_from,
        risk_factors=risk.patient_factors(patient, today),
        drug_factors={day: risk.drug_factors(drug, day) for day in state_days},
        phase=point.phase,
        watched_since=watched_since,
        late_reports=late_reports,
        reductions=_reductions(plans, facts, today),
        last_dose_date=point.last_dose_date,
        onset_window_days=governing.medication.onset_window_days if governing else None,
        planned_doses=planned_doses,
        unjustified_fast_change=_unjustified_fast_change(governing, today, thresholds),
    )


# --- Evaluation --------------------------------------------------------------------------------


MAX_EVIDENCE_LOGS = 20


def _merged_evidence(old: dict, finding: rules.Finding) -> dict:
    """The finding's evidence, keeping the logs the alert already cited (newest 20, by
    assessed_at), so an alert raised by several logs shows each of them."""
    evidence = finding.evidence | {"rule_version": finding.version}
    if "logs" in finding.evidence and old.get("logs"):
        cited = {entry["log"]: entry for entry in old["logs"] if isinstance(entry, dict)}
        cited.update({entry["log"]: entry for entry in finding.evidence["logs"]})
        ordered = sorted(cited.values(), key=lambda entry: entry.get("assessed_at") or "")
        evidence["logs"] = ordered[-MAX_EVIDENCE_LOGS:]
    return evidence


def _update(alert: Alert, finding: rules.Finding, now: datetime, new_trigger: bool) -> str | None:
    """Apply a finding to an unresolved alert; returns the event kind, or None when it adds
    nothing the alert does not already show.

    An acknowledgement or a snooze was given for what the alert showed then. A new report of
    an event (a second seizure, new suicidal thoughts, new confusion) or a rise in severity is
    news that must reach someone again: the alert returns to open, is notified, and escalates
    again if nobody acknowledges it; so does a new critical reading during a snooze. A further
    reading of a state already acknowledged (one more severe score, one more high pulse) is
    counted, not re-announced (alarm fatigue)."""
    raised = SEVERITY_RANK[finding.severity] > SEVERITY_RANK[alert.severity]
    if not new_trigger and not raised:
        return None
    if new_trigger:
        alert.trigger_count += 1
        alert.trigger_key = finding.trigger_key
        alert.last_triggered_at = now
    if raised:
        alert.severity = finding.severity  # only ever upwards
    reopened = alert.status != AlertStatus.OPEN and (
        raised
        or (new_trigger and alert.rule in REPORT_RULES)
        # A snooze only defers: a new critical reading during it is not for later.
        or (
            new_trigger
            and alert.status == AlertStatus.SNOOZED
            and finding.severity == AlertSeverity.CRITICAL
        )
    )
    if reopened:
        alert.status = AlertStatus.OPEN
        alert.snoozed_until = None
        alert.acknowledged_at = alert.acknowledged_by = None  # kept in the alert's events
        alert.last_notified_at = now  # the escalation delay counts from this news
    alert.evidence = _merged_evidence(alert.evidence, finding)
    alert.summary = finding.summary[:300]
    alert.rule_version = finding.version
    alert.save()
    kind = EventKind.SEVERITY_RAISED if raised else EventKind.RETRIGGERED
    record_event(
        alert,
        kind,
        now,
        note=(_("Back to open, to be acknowledged again: ") if reopened else "") + finding.summary,
        trigger_count=alert.trigger_count,
        trigger=finding.trigger_key,
        reopened=reopened,
    )
    if alert.severity in NOTIFY_SEVERITIES and (raised or reopened):
        # One notification per reason: a rise once per level, a reopening once per report.
        reason = f"reopened:{finding.trigger_key}" if reopened else f"raised:{alert.severity}"
        queue_notification(alert.pk, reason)
    return kind


@dataclass(frozen=True)
class Touched:
    """An alert an evaluation opened or updated, and what fired it."""

    alert: Alert
    kind: str
    trigger_key: str


def _raised_triggers(patient: Patient, now: datetime, earlier: dict[str, list[str]]) -> dict:
    """(rule, trigger key) -> the highest severity already raised for it. Triggers are logs,
    cuts and silences of the look-back, and an alert is raised after what fired it, so the
    triggers recorded since then are read; and, however old, those of the earlier versions of
    the logs corrected within it (a correction today of a report raised long ago is the same
    report, not news)."""
    since = now - timedelta(days=clinical.LOOKBACK_DAYS + 1)
    versions = {log_id for chain in earlier.values() for log_id in chain}
    keys = [*versions, *(f"taken:{log_id}" for log_id in versions)]
    return {
        (rule, key): (severity, frozenset(filter(None, signature.split(","))))
        for rule, key, severity, signature in AlertTrigger.objects.filter(patient=patient)
        .filter(Q(at__gte=since) | Q(key__in=keys))
        .values_list("rule", "key", "severity", "signature")
    }


def _earlier_versions(patient: Patient, now: datetime) -> dict[str, list[str]]:
    """Log id -> the ids of the versions it corrects (an amendment's chain), for the logs of
    the look-back: a correction that still shows what its earlier version showed is the same
    report, not a new one."""
    since = now - timedelta(days=clinical.LOOKBACK_DAYS + 1)
    parents = dict(
        patient.symptom_logs.filter(supersedes__isnull=False, created_at__gte=since)
        .values_list("pk", "supersedes_id")
        .iterator()
    )
    chains = {}
    for log_id in parents:
        chain, current = [], log_id
        while current in parents:
            current = parents[current]
            chain.append(str(current))
        chains[str(log_id)] = chain
    return chains


def _prior_severity(finding: rules.Finding, raised: dict, earlier: dict) -> str | None:
    """The highest severity already raised for this finding's trigger or, when the trigger is
    a corrected log ("<log>" or "taken:<log>"), for a version it corrects that already showed
    everything this finding shows (a correction that adds a sign is a new report)."""
    found = []
    if (finding.rule, finding.trigger_key) in raised:
        found.append(raised[(finding.rule, finding.trigger_key)][0])
    prefix, colon, log_id = finding.trigger_key.rpartition(":")
    for older in earlier.get(log_id, []):
        severity, signature = raised.get((finding.rule, f"{prefix}{colon}{older}"), (None, None))
        if severity is not None and finding.signature <= signature:
            found.append(severity)
    return max(found, key=SEVERITY_RANK.__getitem__, default=None)


def alert_upsert(
    patient: Patient,
    finding: rules.Finding,
    now: datetime,
    raised: dict | None = None,
    earlier: dict | None = None,
) -> Touched | None:
    """Raise one finding: skipped when its trigger (or the log version it corrects) was
    already raised at this severity or higher (the alert may be open, or closed by staff: the
    same report never reopens it); otherwise it updates the unresolved alert of its rule or
    opens one."""
    if earlier is None:
        earlier = _earlier_versions(patient, now)
    if raised is None:
        raised = _raised_triggers(patient, now, earlier)
    prior = _prior_severity(finding, raised, earlier)
    if prior is not None and SEVERITY_RANK[prior] >= SEVERITY_RANK[finding.severity]:
        return None
    existing = (
        Alert.objects.select_for_update()
        .filter(patient=patient, rule=finding.rule, status__in=UNRESOLVED)
        .first()
    )
    if existing is not None:
        kind = _update(existing, finding, now, new_trigger=prior is None)
        alert = existing
    else:
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
            alert = Alert.objects.select_for_update().get(
                patient=patient, rule=finding.rule, status__in=UNRESOLVED
            )
            kind = _update(alert, finding, now, new_trigger=prior is None)
        else:
            kind = EventKind.OPENED
            age = (now - finding.data_at).total_seconds() if finding.data_at else None
            record_event(
                alert,
                EventKind.OPENED,
                now,
                note=finding.summary,
                data_age_seconds=age,
                trigger=finding.trigger_key,
            )
            if alert.severity in NOTIFY_SEVERITIES:
                queue_notification(alert.pk, "opened")
    AlertTrigger.objects.update_or_create(
        patient=patient,
        rule=finding.rule,
        key=finding.trigger_key,
        defaults={
            "alert": alert,
            "severity": finding.severity,
            "signature": ",".join(sorted(finding.signature)),
            "at": now,
        },
    )
    raised[(finding.rule, finding.trigger_key)] = (finding.severity, finding.signature)
    return None if kind is None else Touched(alert, kind, finding.trigger_key)


def _newest_data_at(patient: Patient):
    newest_log = patient.symptom_logs.aggregate(at=Max("created_at"))["at"]
    newest_plan = patient.taper_plans.aggregate(at=Max("updated_at"))["at"]
    return max(filter(None, [newest_log, newest_plan]), default=None)


@transaction.atomic
def evaluate_patient(patient_id, *, now: datetime | None = None) -> list[Touched]:
    """Run every rule for one patient and raise what is new. Idempotent: evaluating the same
    data again changes nothing. Returns the alerts opened or updated."""
    now = now or timezone.now()
    patient = Patient.objects.select_related("clinic").get(pk=patient_id)
    # Serialise evaluations of this patient (two workers, a retry after a crash): the row is
    # read FOR UPDATE, or created (get_or_create settles a creation race in a savepoint).
    state, _created = PatientEvaluation.objects.select_for_update().get_or_create(
        patient=patient, defaults={"evaluated_at": NEVER}
    )
    data_at = _newest_data_at(patient)
    touched = []
    findings = rules.evaluate(build_history(patient, now)) if patient.is_active else []
    earlier = _earlier_versions(patient, now) if findings else {}
    raised = _raised_triggers(patient, now, earlier) if findings else {}
    for finding in findings:
        result = alert_upsert(patient, finding, now, raised, earlier)
        if result is not None:
            touched.append(result)
    fired = {finding.rule for finding in findings}
    if Rule.MISSED_LOG not in fired:
        _clear_missed_log(patient, now)
    state.evaluated_at = now
    state.data_seen_at = data_at
    state.save(update_fields=["evaluated_at", "data_seen_at"])
    return touched


def alerts_for_entry(log: SymptomLog) -> list[Alert]:
    """The alerts a newly saved log opened or updated, for the clinician's confirmation and the
    API response: the log is evaluated at once, in the request (the queued evaluation stays the
    safety net: if this fails, the worker or the next sweep raises the same alerts), and the
    alerts it fired are read back, whichever of the two evaluations raised them."""
    touched = []
    try:
        touched = [item.alert.pk for item in evaluate_patient(log.patient_id)]
    except Exception:  # the save stands; the queued evaluation and the sweep catch up
        logger.exception("immediate evaluation of patient %s failed", log.patient_id)
    keys = [str(log.pk), f"taken:{log.pk}"]
    fired_by_log = AlertTrigger.objects.filter(patient_id=log.patient_id, key__in=keys).values(
        "alert_id"
    )
    alerts = Alert.objects.filter(Q(pk__in=touched) | Q(pk__in=fired_by_log)).filter(
        status__in=UNRESOLVED
    )
    return sorted(alerts, key=lambda alert: (-alert.severity_rank, alert.rule))


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
        record_event(
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


# --- Finding who is due -------------------------------------------------------------------------


def patients_due_for_evaluation(now: datetime) -> list:
    """Set-based: patients whose newest data is newer than their last evaluation, and patients
    in a plan whose last log is older than the smallest missed-log threshold (the rule decides
    per clinic). Two queries, whatever the number of patients."""
    epoch = Value(NEVER, output_field=DateTimeField())
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
    hours = min(filter(None, [hours, clinical.MISSED_LOG_HOURS]))
    last_assessed = (
        SymptomLog.objects.filter(patient=OuterRef("pk"), status=LogStatus.CURRENT)
        .order_by("-assessed_at")
        .values("assessed_at")[:1]
    )
    # A plan that ended (completed, or stopped: an abrupt stop) leaves the patient in the
    # acute phase, when a silence matters most; the rule decides per patient, this only has to
    # include everyone it could fire for.
    longest_acute = Medication.objects.aggregate(days=Max("acute_window_days"))["days"] or 0
    ended_recently = now.date() - timedelta(days=longest_acute + ENDED_PLAN_MARGIN_DAYS)
    silent = (
        Patient.objects.filter(status=Patient.Status.ACTIVE)
        .filter(
            Q(taper_plans__status__in=[PlanStatus.ACTIVE, PlanStatus.ON_HOLD])
            | Q(
                taper_plans__status__in=[PlanStatus.COMPLETED, PlanStatus.STOPPED],
                taper_plans__ended_on__gte=ended_recently,
            )
        )
        .annotate(last_assessed=Coalesce(Subquery(last_assessed), epoch))
        .filter(last_assessed__lt=now - timedelta(hours=hours))
        # One subquery: the rule and the status of the same alert (an exclude across the
        # relation tested them on different alerts, so an old resolved missed_log beside any
        # other open alert hid a silent patient from the sweep).
        .exclude(
            Exists(
                Alert.objects.filter(
                    patient=OuterRef("pk"), rule=Rule.MISSED_LOG, status__in=UNRESOLVED
                )
            )
        )
        .values_list("pk", flat=True)
        .distinct()
    )
    return list(set(stale) | set(silent))


# Rules about an event (a seizure, suicidal thoughts, a dose taken): the event stays true until
# a person resolves the alert. The other rules describe a state, which holds only while the
# newest assessment still shows it.
EVENT_RULES = {
    Rule.SEIZURE,
    Rule.COMPLICATED_WITHDRAWAL,
    Rule.SUICIDALITY,
    Rule.DOSE_DEVIATION,
}


def cause_still_holds(alert: Alert, now: datetime) -> bool:
    if not alert.patient.is_active:
        return False
    history = build_history(alert.patient, now)
    newest = max((log.assessed_at for log in history.logs), default=None)
    return any(
        finding.rule == alert.rule
        and (
            finding.rule in EVENT_RULES
            or finding.data_at is None
            or newest is None
            or finding.data_at >= newest
        )
        for finding in rules.evaluate(history)
    )
