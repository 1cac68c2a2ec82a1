"""The alert rules (docs/clinical-basis.md#alert-rules): small pure functions of a patient's recent
history.

Every rule judges **each log by its clinical time** (``assessed_at``) within its look-back, not
only the newest log and not only the last hours before now: a night-shift form typed in the
next morning, a batch uploaded by an integration, a log older than the newest one and an
amendment are judged like any other. A rule returns one finding per thing that fired it (a log,
a dose cut, a silence), with its evidence (the logs and values, when each log was assessed and
when it was entered), the rule's version, and a trigger key; the evaluation
(symptoms.alerts.evaluation.evaluate_patient) raises each trigger once.

Thresholds come from the clinic's AlertThresholds (defaults and sources: clinical.py); NEWS2
from news2.py (Royal College of Physicians 2017).
"""

from __future__ import annotations

import itertools
import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import TYPE_CHECKING

from symptoms import news2
from symptoms.clinical import DOSE_TOLERANCE_MG, STATE_LOOKBACK_DAYS

if TYPE_CHECKING:  # the rules only read its attributes: no model import at run time
    from symptoms.models import AlertThresholds

# Bump a rule's version when its logic changes; alerts keep the version that raised them.
RULE_VERSIONS = {
    "seizure": 2,  # 2: each log by assessed_at within the look-back; event-only logs
    "complicated_withdrawal": 2,  # 2: also consciousness other than alert (ACVPU)
    "suicidality": 2,
    "severe_score": 2,
    "vital_signs": 2,  # 2: NEWS2, low values
    "seizure_risk": 2,  # 2: drug factors, abrupt stops
    "rising_trend": 2,
    "reduction_response": 2,
    "missed_log": 1,
    "dose_deviation": 1,
    "taper_pace": 2,  # 2: only departures from the accepted plan
}
# A log entered this much after its assessment says so in the alert ("entered 30 h later").
LATE_ENTRY_MINUTES = 60


@dataclass(frozen=True)
class LogView:
    id: str
    assessed_at: datetime
    total: int | None  # None: an event-only log, the CIWA-B items were not assessed
    items: dict
    entered_at: datetime | None = None
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

    @property
    def scored(self) -> bool:
        return self.total is not None


@dataclass(frozen=True)
class Reduction:
    on: date
    from_mg: Decimal
    to_mg: Decimal
    # a stop or an early completion (docs/clinical-basis.md#abrupt-stop-and-early-completion)
    abrupt_stop: bool = False


@dataclass
class History:
    now: datetime
    zone: tzinfo
    logs: list[LogView]  # current logs assessed in the look-back, oldest first
    thresholds: AlertThresholds
    severe_from: int
    risk_factors: list[str] = field(default_factory=list)  # the patient's own factors
    drug_factors: dict = field(default_factory=dict)  # date -> drug factors on that date
    phase: str = "pre_taper"
    # When daily logs became expected: the start of the unbroken tapering-then-acute period.
    watched_since: datetime | None = None
    # Logs reporting a seizure, confusion or suicidal thoughts assessed before the look-back
    # but entered within it: only the report rules read them (a late report is still news; its
    # scores and vitals are history).
    late_reports: list[LogView] = field(default_factory=list)
    reductions: list[Reduction] = field(default_factory=list)  # cuts and abrupt stops up to now
    last_dose_date: date | None = None
    onset_window_days: int | None = None
    planned_doses: dict = field(default_factory=dict)  # date -> the plan's dose (None: no plan)
    # A schedule change made without a justification whose steps go faster than the pace:
    # (trigger key, from mg, to mg, percent, days).
    unjustified_fast_change: tuple | None = None

    def day_of(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    def in_state_window(self, log: LogView) -> bool:
        return log.assessed_at >= self.now - timedelta(days=STATE_LOOKBACK_DAYS)

    def scored_logs(self) -> list[LogView]:
        return [log for log in self.logs if log.scored]

    def risks_on(self, day: date) -> list[str]:
        return [*self.risk_factors, *self.drug_factors.get(day, [])]


@dataclass
class Finding:
    rule: str
    severity: str
    summary: str
    evidence: dict
    trigger_key: str
    data_at: datetime | None = None
    # What was found, without the values (e.g. {"confusion", "hallucinations"}, {"systolic",
    # "news2:urgent"}): a corrected log whose finding shows nothing its earlier version did not
    # is the same report; one that adds a sign is news.
    signature: frozenset = frozenset()

    @property
    def version(self) -> int:
        return RULE_VERSIONS[self.rule]


# --- Evidence --------------------------------------------------------------------------------


def _hours(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    if hours < 48:
        return f"{hours:.0f} h"
    return f"{hours / 24:.0f} days"


def _late_by(log: LogView) -> timedelta | None:
    if log.entered_at is None:
        return None
    late = log.entered_at - log.assessed_at
    return late if late >= timedelta(minutes=LATE_ENTRY_MINUTES) else None


def _when(history: History, log: LogView) -> str:
    """'assessed Fri 27 Nov 02:00 (entered 30 h later)'."""
    text = f"assessed {log.assessed_at.astimezone(history.zone):%a %d %b %H:%M}"
    late = _late_by(log)
    if late is not None:
        text += f" (entered {_hours(late)} later)"
    return text


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _log_evidence(log: LogView, **values) -> dict:
    late = _late_by(log)
    return {
        "log": log.id,
        "assessed_at": log.assessed_at.isoformat(),
        "entered_at": log.entered_at.isoformat() if log.entered_at else None,
        "entered_late_minutes": int(late.total_seconds() // 60) if late else 0,
        "total": log.total,
        **values,
    }


# --- Flags: seizure, complicated withdrawal, suicidality -------------------------------------


def _flag_findings(history: History, rule: str, what: str, fired_by) -> list[Finding]:
    findings = []
    for log in [*history.late_reports, *history.logs]:
        reasons = fired_by(log)
        if not reasons:
            continue
        findings.append(
            Finding(
                rule,
                "critical",
                f"{what} ({', '.join(reasons)}), {_when(history, log)}",
                {"logs": [_log_evidence(log, flags=reasons)]},
                trigger_key=log.id,
                data_at=log.assessed_at,
                # The kind of sign, not its level: "consciousness: voice" corrected from
                # "unresponsive" is the same sign, not a new one.
                signature=frozenset(reason.split(":")[0] for reason in reasons),
            )
        )
    return findings


def seizure(history: History) -> list[Finding]:
    return _flag_findings(
        history, "seizure", "Seizure reported", lambda log: ["seizure"] if log.seizure else []
    )


def _complicated_signs(log: LogView) -> list[str]:
    signs = [name for name in ("confusion", "hallucinations") if getattr(log, name)]
    if log.consciousness and log.consciousness != "alert":
        signs.append(f"consciousness: {log.consciousness.replace('_', ' ')}")
    return signs


def complicated_withdrawal(history: History) -> list[Finding]:
    return _flag_findings(
        history, "complicated_withdrawal", "Complicated withdrawal", _complicated_signs
    )


def suicidality(history: History) -> list[Finding]:
    return _flag_findings(
        history,
        "suicidality",
        "Suicidal thoughts reported",
        lambda log: ["suicidal ideation"] if log.suicidal_ideation else [],
    )


# --- Scores -------------------------------------------------------------------------------------


def severe_score(history: History) -> list[Finding]:
    """Each log whose total is in the severe band or above: high; when the assessment before
    it (by assessed_at) was severe too: critical (2 consecutive:
    docs/clinical-basis.md#severe-score-rule)."""
    findings = []
    previous: LogView | None = None
    for log in history.scored_logs():
        severe = _total(log) >= history.severe_from
        # The assessment before this one, when it was severe too.
        severe_before = (
            previous if previous is not None and _total(previous) >= history.severe_from else None
        )
        if severe and history.in_state_window(log):
            logs = [severe_before, log] if severe_before is not None else [log]
            findings.append(
                Finding(
                    "severe_score",
                    "critical" if severe_before is not None else "high",
                    f"CIWA-B {log.total}"
                    + (f" after {severe_before.total}" if severe_before is not None else "")
                    + f" (severe from {history.severe_from}), {_when(history, log)}",
                    {
                        "logs": [_log_evidence(entry) for entry in logs],
                        "severe_from": history.severe_from,
                    },
                    trigger_key=log.id,
                    data_at=log.assessed_at,
                )
            )
        previous = log
    return findings


def _baseline(history: History, before: datetime, value) -> float | None:
    """Median of ``value(log)`` over the scored logs of the baseline window before a moment."""
    start = before - timedelta(days=history.thresholds.baseline_days)
    values = [value(log) for log in history.scored_logs() if start <= log.assessed_at < before]
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def _total(entry: LogView) -> int:
    """The total of a scored log (the rules call it on ``scored_logs()`` only)."""
    if entry.total is None:
        raise ValueError(f"log {entry.id} has no CIWA-B total: it is not a scored log")
    return entry.total


def rising_trend(history: History) -> list[Finding]:
    """Total >= baseline + delta on 2 consecutive logs (baseline: median of the 7 days before
    each log)."""
    delta = history.thresholds.rising_trend_delta
    scored = history.scored_logs()
    findings = []
    for first, second in itertools.pairwise(scored):
        if not history.in_state_window(second):
            continue
        first_base = _baseline(history, first.assessed_at, _total)
        second_base = _baseline(history, second.assessed_at, _total)
        if first_base is None or second_base is None:
            continue
        baselines = [first_base, second_base]
        if not all(
            _total(log) >= base + delta
            for log, base in zip((first, second), baselines, strict=True)
        ):
            continue
        findings.append(
            Finding(
                "rising_trend",
                "medium",
                f"CIWA-B {first.total} then {second.total}, ≥ {delta} above the 7-day baseline "
                f"({baselines[1]:g}), {_when(history, second)}",
                {
                    "logs": [
                        _log_evidence(log, baseline=base)
                        for log, base in zip((first, second), baselines, strict=True)
                    ],
                    "delta": delta,
                },
                trigger_key=second.id,
                data_at=second.assessed_at,
            )
        )
    return findings


def _cut_start(history: History, cut: Reduction) -> datetime:
    return datetime.combine(cut.on, datetime.min.time(), tzinfo=history.zone)


def reduction_response(history: History) -> list[Finding]:
    """Within 7 days after a reduction the total rises >= 8 over the pre-step baseline:
    suggests holding (one finding per cut, whenever its logs were entered)."""
    t = history.thresholds
    window = timedelta(days=t.post_reduction_days)
    findings = []
    for cut in history.reductions:
        start = _cut_start(history, cut)
        if start + window < history.now - timedelta(days=STATE_LOOKBACK_DAYS):
            continue  # the week after this cut is history
        baseline = _baseline(history, start, _total)
        after = [log for log in history.scored_logs() if start <= log.assessed_at < start + window]
        if baseline is None or not after:
            continue
        peak = max(after, key=_total)
        if _total(peak) - baseline < t.reduction_response_rise:
            continue
        what = "the stop" if cut.abrupt_stop else f"the cut to {cut.to_mg.normalize():f} mg"
        findings.append(
            Finding(
                "reduction_response",
                "medium",
                f"CIWA-B up to {peak.total} since {what} on {cut.on:%d %b} (baseline "
                f"{baseline:g}): consider holding the taper",
                {
                    "reduction": {
                        "on": cut.on.isoformat(),
                        "from_mg": str(cut.from_mg),
                        "to_mg": str(cut.to_mg),
                    },
                    "baseline": baseline,
                    "logs": [_log_evidence(log) for log in after],
                    "rise": _total(peak) - baseline,
                },
                trigger_key=f"cut:{cut.on.isoformat()}",
                data_at=after[-1].assessed_at,
            )
        )
    return findings


# --- Vital signs ----------------------------------------------------------------------------------


def _withdrawal_signs(log: LogView, t) -> list[tuple[str, str]]:
    """Autonomic signs of withdrawal (DSM-5; site-policy limits, clinical.ALERT_DEFAULTS), as
    (kind, words) pairs."""
    reasons = []
    pulse = log.heart_rate
    # Observed sweating is scored on two CIWA-B items: 18 (sweating, restlessness, agitation)
    # and 20 (palms sweaty to the touch); either shows the autonomic sign.
    sweating = (
        max(log.items.get("obs_sweating_agitation", 0), log.items.get("obs_palms_sweating", 0))
        if log.scored
        else 0
    )
    tremor = log.items.get("obs_tremor", 0) if log.scored else 0
    if pulse is not None and pulse > t.pulse_alone_above:
        reasons.append(("pulse", f"pulse {pulse} > {t.pulse_alone_above}"))
    elif (
        pulse is not None
        and pulse > t.pulse_with_signs_above
        and sweating >= t.signs_min_score
        and tremor >= t.signs_min_score
    ):
        reasons.append(
            (
                "pulse_with_signs",
                f"pulse {pulse} > {t.pulse_with_signs_above} "
                f"with sweating {sweating} and tremor {tremor}",
            )
        )
    if log.systolic_bp is not None and log.systolic_bp >= t.systolic_at_least:
        reasons.append(("systolic", f"systolic {log.systolic_bp} ≥ {t.systolic_at_least}"))
    if log.diastolic_bp is not None and log.diastolic_bp >= t.diastolic_at_least:
        reasons.append(("diastolic", f"diastolic {log.diastolic_bp} ≥ {t.diastolic_at_least}"))
    if log.temperature_c is not None and log.temperature_c >= t.temperature_at_least:
        reasons.append(
            ("temperature", f"temperature {log.temperature_c} °C ≥ {t.temperature_at_least}")
        )
    if log.respiratory_rate is not None and log.respiratory_rate < t.respiratory_below:
        reasons.append(
            ("respiratory", f"respiratory rate {log.respiratory_rate} < {t.respiratory_below}")
        )
    return reasons


def vital_signs(history: History) -> list[Finding]:
    """Withdrawal autonomic signs (high), or NEWS2 from the log's vitals: aggregate >= 5 or a
    single parameter scoring 3 (high), aggregate >= 7 (critical). Low values count."""
    findings = []
    for log in history.logs:
        if not history.in_state_window(log):
            continue
        signs = _withdrawal_signs(log, history.thresholds)
        reasons = [words for _kind, words in signs]
        severity = "high" if reasons else None
        score = news2.news2_score(log)
        if score.response == "emergency":
            severity = "critical"
        elif score.response == "urgent":
            severity = severity or "high"
        if severity is None:
            continue
        parts = list(reasons)
        if score.response != "routine":
            parts.append(
                f"NEWS2 {score.total} ({', '.join(str(p) for p in score.scoring)}): "
                f"{score.response} response"
            )
        findings.append(
            Finding(
                "vital_signs",
                severity,
                _sentence(f"{'; '.join(parts)}, {_when(history, log)}"),
                {
                    "logs": [_log_evidence(log, reasons=reasons)],
                    "news2": {
                        "total": score.total,
                        "response": score.response,
                        "parameters": {p.name: p.score for p in score.parameters},
                        "missing": list(score.missing),
                    },
                },
                trigger_key=log.id,
                data_at=log.assessed_at,
                signature=frozenset(
                    [kind for kind, _words in signs]
                    + [f"news2:{p.name}" for p in score.red_parameters]
                    # An emergency response covers an urgent one.
                    + {
                        "routine": [],
                        "urgent": ["news2:urgent"],
                        "emergency": ["news2:urgent", "news2:emergency"],
                    }[score.response]
                ),
            )
        )
    return findings


# --- Seizure risk ---------------------------------------------------------------------------------


def _risk_window(history: History, day: date) -> str | None:
    """'after a dose reduction' / 'after the last dose' when ``day`` is within the week after a
    cut (or a stop) or in the onset window after the last dose; else None."""
    t = history.thresholds
    for cut in history.reductions:
        if 0 <= (day - cut.on).days <= t.post_reduction_days:
            return "after stopping" if cut.abrupt_stop else "after a dose reduction"
    if (
        history.last_dose_date is not None
        and history.onset_window_days is not None
        and 0 < (day - history.last_dose_date).days <= history.onset_window_days
    ):
        return "after the last dose"
    return None


def seizure_risk(history: History) -> list[Finding]:
    """Rising tremor, visual disturbance or pulse within 7 days of a cut or in the onset window
    after the last dose, in a patient at risk by patient or drug factors (patients/risk.py)."""
    t = history.thresholds
    findings = []
    for log in history.logs:
        if not history.in_state_window(log):
            continue
        day = history.day_of(log.assessed_at)
        when = _risk_window(history, day)
        risks = history.risks_on(day)
        if when is None or not risks:
            continue
        signs = []
        if log.scored:
            for code, label in (
                ("obs_tremor", "tremor"),
                ("visual_disturbance", "visual disturbance"),
            ):
                score = log.items.get(code, 0)
                base = _baseline(
                    history, log.assessed_at, lambda entry, c=code: entry.items.get(c, 0)
                )
                if score >= t.seizure_risk_sign_score and (base is None or score > base):
                    signs.append(f"{label} {score}")
        pulse_base = _baseline(history, log.assessed_at, lambda entry: entry.heart_rate)
        if (
            log.heart_rate is not None
            and log.heart_rate > t.seizure_risk_pulse_above
            and (pulse_base is None or log.heart_rate > pulse_base)
        ):
            signs.append(f"pulse {log.heart_rate}")
        if not signs:
            continue
        findings.append(
            Finding(
                "seizure_risk",
                "high",
                f"{', '.join(signs).capitalize()} {when} in a patient with "
                f"{', '.join(risks)}, {_when(history, log)}",
                {"logs": [_log_evidence(log, signs=signs)], "risk_factors": risks},
                trigger_key=log.id,
                data_at=log.assessed_at,
                signature=frozenset(sign.rsplit(" ", 1)[0] for sign in signs),
            )
        )
    return findings


# --- Assessments and doses ------------------------------------------------------------------------


def missed_log(history: History) -> list[Finding]:
    """No log for 36 h in the tapering or acute phase, counted from the last log, or from the
    taper's first day when there is no log since (the end of the taper does not restart the
    count: a silence across it is one silence)."""
    if history.phase not in ("tapering", "acute"):
        return []
    hours = history.thresholds.missed_log_hours
    last = max((log.assessed_at for log in history.logs), default=None)
    since = max(filter(None, [last, history.watched_since]), default=None)
    if since is None or history.now - since < timedelta(hours=hours):
        return []
    silent = history.now - since
    newest = max(history.logs, key=lambda log: log.assessed_at, default=None)
    return [
        Finding(
            "missed_log",
            "medium",
            f"No assessment for {int(silent.total_seconds() // 3600)} h during {history.phase}",
            {"last_log_at": last.isoformat() if last else None, "hours": hours},
            trigger_key=f"last:{newest.id}" if newest else "last:none",
            data_at=last,
        )
    ]


def _mg(value: Decimal) -> str:
    return f"{value.normalize():f}"


def dose_deviation(history: History) -> list[Finding]:
    """The dose taken departs from the plan's dose that day: more than planned (medium), less
    by more than the guideline pace (medium), nothing against a planned dose: an abrupt stop
    (high). [Pace: 2025 Joint Guideline, 25% per 2 weeks, confirmed]"""
    pace = Decimal(history.thresholds.taper_pace_percent)
    findings = []
    for log in history.logs:
        if log.dose_taken_mg is None or not history.in_state_window(log):
            continue
        day = history.day_of(log.assessed_at)
        planned = history.planned_doses.get(day)
        if planned is None:
            continue  # no plan governs that day: nothing to depart from
        taken = log.dose_taken_mg
        if taken > planned + DOSE_TOLERANCE_MG:
            severity, what = "medium", f"more than planned ({_mg(planned)} mg)"
        elif planned > 0 and taken <= DOSE_TOLERANCE_MG:
            severity, what = "high", f"nothing against a planned {_mg(planned)} mg: an abrupt stop"
        elif planned > 0 and (planned - taken) / planned * 100 > pace:
            cut = (planned - taken) / planned * 100
            severity = "medium"
            what = f"{cut:.0f}% less than planned ({_mg(planned)} mg), faster than the pace"
        else:
            continue
        findings.append(
            Finding(
                "dose_deviation",
                severity,
                f"Took {_mg(taken)} mg, {what}; {_when(history, log)}",
                {
                    "logs": [_log_evidence(log, dose_taken_mg=str(taken))],
                    "planned_mg": str(planned),
                },
                trigger_key=log.id,
                data_at=log.assessed_at,
            )
        )
    return findings


def taper_pace(history: History) -> list[Finding]:
    """Only departures from the accepted plan go faster than the guideline pace (more than
    25% within 14 days): the doses actually taken, beyond what the plan prescribed, or a
    schedule change made without a justification. The plan's own steps, accepted free of
    warnings or with the prescriber's justification (its final step to zero included), never
    alert again."""
    t = history.thresholds
    pace, days = Decimal(t.taper_pace_percent), t.taper_pace_days
    findings = []
    for log in history.logs:
        if log.dose_taken_mg is None or not history.in_state_window(log):
            continue
        day = history.day_of(log.assessed_at)
        planned_now = history.planned_doses.get(day)
        if planned_now is None or log.dose_taken_mg >= planned_now - DOSE_TOLERANCE_MG:
            continue  # taking what the plan says (or more) is never faster than the plan
        # The highest dose of the 14 days before: what was taken where it was reported, what
        # was planned where not.
        taken_on = {
            history.day_of(entry.assessed_at): entry.dose_taken_mg
            for entry in history.logs
            if entry.dose_taken_mg is not None and entry.assessed_at < log.assessed_at
        }
        earlier = []
        for back in range(1, days + 1):
            when = day - timedelta(days=back)
            dose = taken_on.get(when, history.planned_doses.get(when))
            if dose is not None:
                earlier.append(dose)
        high = max(earlier, default=None)
        if not high:
            continue
        fall = (high - log.dose_taken_mg) / high * 100
        if fall <= pace:
            continue
        findings.append(
            Finding(
                "taper_pace",
                "medium",
                f"Doses taken fell {fall:.0f}% within {days} days ({_mg(high)} → "
                f"{_mg(log.dose_taken_mg)} mg, plan {_mg(planned_now)} mg); the guideline pace "
                f"is at most {_mg(pace)}%",
                {
                    "logs": [_log_evidence(log, dose_taken_mg=str(log.dose_taken_mg))],
                    "from_mg": str(high),
                    "to_mg": str(log.dose_taken_mg),
                    "planned_mg": str(planned_now),
                    "percent": float(round(fall, 1)),
                },
                trigger_key=f"taken:{log.id}",
                data_at=log.assessed_at,
            )
        )
    if history.unjustified_fast_change is not None:
        key, high, low, fall, span = history.unjustified_fast_change
        findings.append(
            Finding(
                "taper_pace",
                "medium",
                f"Schedule changed without a justification: {_mg(high)} → {_mg(low)} mg within "
                f"{span} days ({fall:.0f}%); the guideline pace is at most {_mg(pace)}%",
                {"from_mg": str(high), "to_mg": str(low), "percent": float(round(fall, 1))},
                trigger_key=key,
            )
        )
    return findings


RULES = (
    seizure,
    complicated_withdrawal,
    suicidality,
    severe_score,
    vital_signs,
    seizure_risk,
    rising_trend,
    reduction_response,
    missed_log,
    dose_deviation,
    taper_pace,
)


def evaluate(history: History) -> list[Finding]:
    """Every rule's findings, each rule's in the order of its evidence (oldest first)."""
    findings = []
    for rule in RULES:
        findings.extend(rule(history))
    return findings
