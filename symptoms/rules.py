"""The alert rules of design §5: small pure functions of a patient's recent history.

Each returns findings with their evidence (the logs and values that fired it), the rule's
version, and a trigger key (what fired it, so a closed alert is not reopened by the same log).
Thresholds come from the clinic's AlertThresholds (defaults and sources: clinical.py).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

# Bump a rule's version when its logic changes; alerts keep the version that raised them.
RULE_VERSIONS = {
    "seizure": 1,
    "complicated_withdrawal": 1,
    "suicidality": 1,
    "severe_score": 1,
    "vital_signs": 1,
    "seizure_risk": 1,
    "rising_trend": 1,
    "reduction_response": 1,
    "missed_log": 1,
    "taper_pace": 1,
}
# Rules read at most this far back (the longest window: baseline before a cut plus the week
# after it, with room).
LOOKBACK_DAYS = 21
# Flag rules (seizure, confusion...) consider logs this recent.
FLAG_WINDOW_HOURS = 24


@dataclass(frozen=True)
class LogView:
    id: str
    assessed_at: datetime
    total: int
    items: dict
    heart_rate: int | None = None
    systolic_bp: int | None = None
    diastolic_bp: int | None = None
    temperature_c: Decimal | None = None
    respiratory_rate: int | None = None
    seizure: bool = False
    hallucinations: bool = False
    confusion: bool = False
    suicidal_ideation: bool = False


@dataclass(frozen=True)
class Reduction:
    on: date
    from_mg: Decimal
    to_mg: Decimal


@dataclass
class History:
    now: datetime
    zone: object
    logs: list[LogView]  # current logs up to now, oldest first
    thresholds: object
    severe_from: int
    risk_factors: list[str] = field(default_factory=list)
    phase: str = "pre_taper"
    phase_started: datetime | None = None  # when the tapering or acute phase began
    reductions: list[Reduction] = field(default_factory=list)  # dose cuts up to now
    last_dose_date: date | None = None
    onset_window_days: int | None = None
    dose_today: Decimal | None = None
    highest_dose_in_pace_window: Decimal | None = None


@dataclass
class Finding:
    rule: str
    severity: str
    summary: str
    evidence: dict
    trigger_key: str
    data_at: datetime | None = None

    @property
    def version(self) -> int:
        return RULE_VERSIONS[self.rule]


def _log_evidence(log: LogView, **values) -> dict:
    return {"log": log.id, "assessed_at": log.assessed_at.isoformat(), "total": log.total, **values}


def _flag_rule(history: History, rule: str, flags: tuple[str, ...], what: str) -> list[Finding]:
    since = history.now - timedelta(hours=FLAG_WINDOW_HOURS)
    hits = [
        log
        for log in history.logs
        if log.assessed_at >= since and any(getattr(log, f) for f in flags)
    ]
    if not hits:
        return []
    newest = hits[-1]
    return [
        Finding(
            rule,
            "critical",
            f"{what} reported at {newest.assessed_at.astimezone(history.zone):%a %d %b %H:%M}",
            {
                "logs": [
                    _log_evidence(log, flags=[f for f in flags if getattr(log, f)]) for log in hits
                ]
            },
            trigger_key=newest.id,
            data_at=newest.assessed_at,
        )
    ]


def seizure(history: History) -> list[Finding]:
    return _flag_rule(history, "seizure", ("seizure",), "Seizure")


def complicated_withdrawal(history: History) -> list[Finding]:
    return _flag_rule(
        history,
        "complicated_withdrawal",
        ("confusion", "hallucinations"),
        "Confusion or hallucinations",
    )


def suicidality(history: History) -> list[Finding]:
    return _flag_rule(history, "suicidality", ("suicidal_ideation",), "Suicidal thoughts")


def severe_score(history: History) -> list[Finding]:
    """Total in the severe band or above: high; on 2 consecutive logs: critical."""
    if not history.logs or history.logs[-1].total < history.severe_from:
        return []
    newest = history.logs[-1]
    previous = history.logs[-2] if len(history.logs) > 1 else None
    twice = previous is not None and previous.total >= history.severe_from
    logs = [previous, newest] if twice else [newest]
    return [
        Finding(
            "severe_score",
            "critical" if twice else "high",
            f"CIWA-B {newest.total}"
            + (f" after {previous.total}" if twice else "")
            + f" (severe from {history.severe_from})",
            {"logs": [_log_evidence(log) for log in logs], "severe_from": history.severe_from},
            trigger_key=newest.id,
            data_at=newest.assessed_at,
        )
    ]


def vital_signs(history: History) -> list[Finding]:
    if not history.logs:
        return []
    log, t = history.logs[-1], history.thresholds
    reasons = []
    pulse = log.heart_rate
    sweating, tremor = log.items.get("obs_sweating_agitation", 0), log.items.get("obs_tremor", 0)
    if pulse is not None and pulse > t.pulse_alone_above:
        reasons.append(f"pulse {pulse} > {t.pulse_alone_above}")
    elif (
        pulse is not None
        and pulse > t.pulse_with_signs_above
        and sweating >= t.signs_min_score
        and tremor >= t.signs_min_score
    ):
        reasons.append(
            f"pulse {pulse} > {t.pulse_with_signs_above} "
            f"with sweating {sweating} and tremor {tremor}"
        )
    if log.systolic_bp is not None and log.systolic_bp >= t.systolic_at_least:
        reasons.append(f"systolic {log.systolic_bp} ≥ {t.systolic_at_least}")
    if log.diastolic_bp is not None and log.diastolic_bp >= t.diastolic_at_least:
        reasons.append(f"diastolic {log.diastolic_bp} ≥ {t.diastolic_at_least}")
    if log.temperature_c is not None and log.temperature_c >= t.temperature_at_least:
        reasons.append(f"temperature {log.temperature_c} °C ≥ {t.temperature_at_least}")
    if log.respiratory_rate is not None and log.respiratory_rate < t.respiratory_below:
        reasons.append(f"respiratory rate {log.respiratory_rate} < {t.respiratory_below}")
    if not reasons:
        return []
    return [
        Finding(
            "vital_signs",
            "high",
            "; ".join(reasons).capitalize(),
            {"logs": [_log_evidence(log, reasons=reasons)]},
            trigger_key=log.id,
            data_at=log.assessed_at,
        )
    ]


def _baseline(history: History, before: datetime, value) -> float | None:
    """Median of ``value(log)`` over the logs of the baseline window before a moment."""
    start = before - timedelta(days=history.thresholds.baseline_days)
    values = [value(log) for log in history.logs if start <= log.assessed_at < before]
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def rising_trend(history: History) -> list[Finding]:
    """Total >= baseline + delta on 2 consecutive logs (baseline: median of the 7 days
    before each log)."""
    if len(history.logs) < 2:
        return []
    delta = history.thresholds.rising_trend_delta
    pair = history.logs[-2:]
    baselines = [_baseline(history, log.assessed_at, lambda entry: entry.total) for log in pair]
    if any(b is None for b in baselines):
        return []
    if not all(log.total >= base + delta for log, base in zip(pair, baselines, strict=True)):
        return []
    return [
        Finding(
            "rising_trend",
            "medium",
            f"CIWA-B {pair[0].total} then {pair[1].total}, ≥ {delta} above the 7-day baseline "
            f"({baselines[1]:g})",
            {
                "logs": [
                    _log_evidence(log, baseline=base)
                    for log, base in zip(pair, baselines, strict=True)
                ],
                "delta": delta,
            },
            trigger_key=pair[1].id,
            data_at=pair[1].assessed_at,
        )
    ]


def _cut_start(history: History, cut: Reduction) -> datetime:
    return datetime.combine(cut.on, datetime.min.time(), tzinfo=history.zone)


def reduction_response(history: History) -> list[Finding]:
    """Within 7 days after a reduction the total rises >= 8 over the pre-step baseline."""
    t = history.thresholds
    window = timedelta(days=t.post_reduction_days)
    for cut in reversed(history.reductions):
        start = _cut_start(history, cut)
        if not start <= history.now < start + window + timedelta(days=1):
            continue
        baseline = _baseline(history, start, lambda entry: entry.total)
        after = [log for log in history.logs if start <= log.assessed_at < start + window]
        if baseline is None or not after:
            return []
        peak = max(after, key=lambda log: log.total)
        if peak.total - baseline < t.reduction_response_rise:
            return []
        return [
            Finding(
                "reduction_response",
                "medium",
                f"CIWA-B up to {peak.total} since the cut to {cut.to_mg.normalize():f} mg on "
                f"{cut.on:%d %b} (baseline {baseline:g}): consider holding the taper",
                {
                    "reduction": {
                        "on": cut.on.isoformat(),
                        "from_mg": str(cut.from_mg),
                        "to_mg": str(cut.to_mg),
                    },
                    "baseline": baseline,
                    "logs": [_log_evidence(log) for log in after],
                    "rise": peak.total - baseline,
                },
                trigger_key=f"cut:{cut.on.isoformat()}",
                data_at=after[-1].assessed_at,
            )
        ]
    return []


def seizure_risk(history: History) -> list[Finding]:
    """Risk factors plus rising tremor, visual disturbance or pulse, within 7 days of a cut or
    in the onset window after the last dose."""
    if not history.risk_factors or not history.logs:
        return []
    t = history.thresholds
    today = history.now.astimezone(history.zone).date()
    near_cut = any(
        0 <= (today - cut.on).days <= t.post_reduction_days for cut in history.reductions
    )
    in_onset = (
        history.last_dose_date is not None
        and history.onset_window_days is not None
        and 0 < (today - history.last_dose_date).days <= history.onset_window_days
    )
    if not (near_cut or in_onset):
        return []
    log = history.logs[-1]
    signs = []
    for code, label in (("obs_tremor", "tremor"), ("visual_disturbance", "visual disturbance")):
        score = log.items.get(code, 0)
        base = _baseline(history, log.assessed_at, lambda entry, c=code: entry.items.get(c, 0))
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
        return []
    when = "after a dose reduction" if near_cut else "after the last dose"
    return [
        Finding(
            "seizure_risk",
            "high",
            f"{', '.join(signs).capitalize()} {when} in a patient with "
            f"{', '.join(history.risk_factors)}",
            {"logs": [_log_evidence(log, signs=signs)], "risk_factors": history.risk_factors},
            trigger_key=log.id,
            data_at=log.assessed_at,
        )
    ]


def missed_log(history: History) -> list[Finding]:
    """No log for 36 h in the tapering or acute phase (counted from the phase start when
    there is no log since)."""
    if history.phase not in ("tapering", "acute"):
        return []
    hours = history.thresholds.missed_log_hours
    last = history.logs[-1].assessed_at if history.logs else None
    since = max(filter(None, [last, history.phase_started]), default=None)
    if since is None or history.now - since < timedelta(hours=hours):
        return []
    silent = history.now - since
    return [
        Finding(
            "missed_log",
            "medium",
            f"No assessment for {int(silent.total_seconds() // 3600)} h during {history.phase}",
            {"last_log_at": last.isoformat() if last else None, "hours": hours},
            trigger_key=f"last:{history.logs[-1].id}" if history.logs else "last:none",
            data_at=last,
        )
    ]


def taper_pace(history: History) -> list[Finding]:
    """Today's dose is more than 25% below the highest dose of the previous 14 days."""
    t = history.thresholds
    high, dose = history.highest_dose_in_pace_window, history.dose_today
    if high is None or dose is None or high == 0 or dose >= high:
        return []
    cut = (high - dose) / high * 100
    if cut <= t.taper_pace_percent:
        return []
    recent = history.reductions[-1] if history.reductions else None
    return [
        Finding(
            "taper_pace",
            "medium",
            f"Dose fell {cut:.0f}% within {t.taper_pace_days} days ({high.normalize():f} → "
            f"{dose.normalize():f} mg); the guideline pace is at most "
            f"{Decimal(t.taper_pace_percent).normalize():f}%",
            {"from_mg": str(high), "to_mg": str(dose), "percent": float(round(cut, 1))},
            trigger_key=f"cut:{recent.on.isoformat()}" if recent else "cut:none",
        )
    ]


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
    taper_pace,
)


def evaluate(history: History) -> list[Finding]:
    findings = []
    for rule in RULES:
        findings.extend(rule(history))
    return findings
