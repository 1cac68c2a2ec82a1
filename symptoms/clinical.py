"""Clinical numbers of the symptom logs, with their sources (domain.md §4, §5).

Vital-sign limits come in two kinds. *Possible* limits refuse a value no living patient has
(a typing error such as pulse 0 or 400, temperature 20 °C): [site policy], chosen wide. *Usual*
limits only highlight a value for a second look: [site policy]. Alert thresholds (pulse > 120,
systolic >= 180 ...) belong to the alert rules, not here.
"""

from decimal import Decimal

# field: (possible min, possible max, usual min, usual max, unit)
VITAL_LIMITS = {
    "heart_rate": (20, 250, 50, 110, "beats/min"),
    "systolic_bp": (50, 300, 90, 160, "mmHg"),
    "diastolic_bp": (20, 200, 50, 100, "mmHg"),
    "temperature_c": (Decimal("30.0"), Decimal("45.0"), Decimal("35.5"), Decimal("37.9"), "°C"),
    "respiratory_rate": (4, 60, 10, 24, "breaths/min"),
}

# A log may be dated this far ahead of the server clock (devices and tablets drift).
CLOCK_SKEW_MINUTES = 5

# After a dose cut, symptoms can take up to a week to appear [confirmed: 2025 Joint Guideline
# patient guide; Maudsley 2024]: the per-reduction view compares the 7 days before a cut
# (baseline: median) with the 7 days after it (peak).
REDUCTION_WINDOW_DAYS = 7
# A rise of this much over the pre-cut baseline is highlighted (design §5 reduction_response
# default; editable per clinic with the alert thresholds).
REDUCTION_RESPONSE_RISE = 8

# A patient in the tapering or acute phase is "due" when not assessed today.
DUE_PHASES = ("tapering", "acute")
