"""Clinical numbers of the symptom logs, with their sources (docs/clinical-basis.md: CIWA-B, NEWS2
and vital-sign limits, alert rules).

Vital-sign limits come in two kinds. *Possible* limits refuse a value no living patient has
(a typing error such as pulse 0 or 400, temperature 20 °C): [site policy], chosen wide. *Usual*
limits only highlight a value for a second look: [site policy]. Alert thresholds (pulse > 120,
systolic >= 180 ...) belong to the alert rules, not here.
"""

from decimal import Decimal

from patients.plans.clinical import (
    MAX_REDUCTION_PERCENT_PER_WINDOW,
    PACE_WINDOW_DAYS,
    POST_REDUCTION_WINDOW_DAYS,
)

# field: (possible min, possible max, usual min, usual max, unit)
VITAL_LIMITS = {
    "heart_rate": (20, 250, 50, 110, "beats/min"),
    "systolic_bp": (50, 300, 90, 160, "mmHg"),
    "diastolic_bp": (20, 200, 50, 100, "mmHg"),
    "temperature_c": (Decimal("30.0"), Decimal("45.0"), Decimal("35.5"), Decimal("37.9"), "°C"),
    "respiratory_rate": (4, 60, 10, 24, "breaths/min"),
    "spo2": (50, 100, 94, 100, "%"),
}

# Doses taken are compared to the plan to this precision (mg), so rounding is not a deviation
# (the dose-deviation rule and the entry form's live warning).
DOSE_TOLERANCE_MG = Decimal("0.001")

# A log may be dated this far ahead of the server clock (devices and tablets drift).
CLOCK_SKEW_MINUTES = 5

# --- Alert look-back windows: how far back the alert rules read logs.
# Rules read logs assessed this far back: the longest window (the baseline before a cut plus
# the week after it), with room. Flag rules (seizure, confusion, suicidality) also read every
# flagged log *entered* within it, however long before it happened: a seizure must reach a
# clinician even when it is typed in a month later. Each raises its alert once.
LOOKBACK_DAYS = 21
# Rules about the patient's state (scores, vital signs, signs of seizure risk, doses taken)
# raise on logs assessed within this many days: a late entry of the past week is still news
# for the team; an older one is history, shown on the timeline but not alerted [site policy].
STATE_LOOKBACK_DAYS = 7

# A patient in the tapering or acute phase is "due" when not assessed today.
DUE_PHASES = ("tapering", "acute")

# The missed-log default: no log for 36 h in the tapering or acute phase [site policy].
MISSED_LOG_HOURS = 36

# --- Alert rules (docs/clinical-basis.md#alert-rules). Defaults of each clinic's AlertThresholds
# row; admins edit them
# per clinic.
ALERT_DEFAULTS = {
    # Pulse > 100 is a DSM-5 sign of autonomic hyperactivity [confirmed]; > 120 alone, and the
    # blood pressure, temperature and respiratory limits, are [site policy] (no published
    # benzodiazepine-withdrawal thresholds were found). Respiratory rate < 12 comes from the
    # alcohol CIWA-Ar order set pattern [secondary].
    "pulse_alone_above": 120,
    "pulse_with_signs_above": 100,
    "signs_min_score": 2,  # observed sweating and tremor each >= 2 alongside pulse > 100
    "systolic_at_least": 180,
    "diastolic_at_least": 110,
    "temperature_at_least": Decimal("38.0"),
    "respiratory_below": 12,
    # Rising trend: total >= baseline + 10 (baseline: median of the previous 7 days) on 2
    # consecutive logs [site policy, after the CIWA-Ar "2 consecutive assessments" pattern].
    "rising_trend_delta": 10,
    "baseline_days": 7,
    # Within 7 days after a reduction the total rises >= 8 over the pre-step baseline: suggests
    # holding [site policy; 7 days: 2025 Joint Guideline patient guide, confirmed].
    "reduction_response_rise": 8,
    "post_reduction_days": POST_REDUCTION_WINDOW_DAYS,
    "missed_log_hours": MISSED_LOG_HOURS,
    # A plan cutting more than 25% within 14 days [confirmed: 2025 Joint Guideline pace].
    "taper_pace_percent": MAX_REDUCTION_PERCENT_PER_WINDOW,
    "taper_pace_days": PACE_WINDOW_DAYS,
    # Seizure risk: rising autonomic or perceptual signs in a patient with risk factors
    # (docs/clinical-basis.md#seizure-risk-rule; SA Health, WikiTox [confirmed]): tremor or visual
    # disturbance scored at
    # least this much and above the patient's own baseline, or pulse above this [site policy].
    "seizure_risk_sign_score": 2,
    "seizure_risk_pulse_above": 100,
    # Escalation of unacknowledged critical alerts [site policy].
    "escalate_after_minutes": 15,
}
