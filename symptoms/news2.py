"""NEWS2, the National Early Warning Score 2 (Royal College of Physicians, 2017), from one
log's vital signs [confirmed: RCP chart; docs/clinical-basis.md#news2-bands].

Each parameter scores 0-3; the aggregate is 0-20. Clinical response: a single parameter
scoring 3 (a "red score") or an aggregate of 5-6 calls for an urgent review by a clinician;
7 or more for an emergency assessment. SpO2 is read on scale 1: scale 2 (target 88-92%) is only
for confirmed hypercapnic respiratory failure, a clinician's decision taperapp does not take.
A parameter not measured scores nothing and is listed as missing: the aggregate of a partial
set is a floor, never a reassurance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

# (upper bound inclusive, score) bands per parameter, lowest first; None: no upper bound.
RESPIRATORY_RATE = ((8, 3), (11, 1), (20, 0), (24, 2), (None, 3))
SPO2_SCALE_1 = ((91, 3), (93, 2), (95, 1), (None, 0))
SYSTOLIC_BP = ((90, 3), (100, 2), (110, 1), (219, 0), (None, 3))
PULSE = ((40, 3), (50, 1), (90, 0), (110, 1), (130, 2), (None, 3))
TEMPERATURE_C = (
    (Decimal("35.0"), 3),
    (Decimal("36.0"), 1),
    (Decimal("38.0"), 0),
    (Decimal("39.0"), 1),
    (None, 2),
)
SUPPLEMENTAL_OXYGEN_SCORE = 2
NEW_CONFUSION_OR_WORSE_SCORE = 3  # C, V, P or U of ACVPU

# Response thresholds of the RCP chart.
URGENT_AGGREGATE = 5  # 5-6: urgent response
EMERGENCY_AGGREGATE = 7  # 7 or more: emergency response
RED_SCORE = 3  # any single parameter scoring 3: urgent response

LABELS = {
    "respiratory_rate": "respiration rate",
    "spo2": "SpO2",
    "supplemental_oxygen": "supplemental oxygen",
    "systolic_bp": "systolic BP",
    "heart_rate": "pulse",
    "consciousness": "consciousness",
    "temperature_c": "temperature",
}
UNITS = {
    "respiratory_rate": "/min",
    "spo2": "%",
    "systolic_bp": " mmHg",
    "heart_rate": "/min",
    "temperature_c": " °C",
}


def _band(value, bands) -> int:
    for upper, score in bands:
        if upper is None or value <= upper:
            return score
    raise AssertionError("the last band has no upper bound")


@dataclass(frozen=True)
class Parameter:
    name: str
    value: object
    score: int

    @property
    def label(self) -> str:
        return LABELS[self.name]

    def __str__(self) -> str:
        if self.name == "supplemental_oxygen":
            return f"on supplemental oxygen ({self.score})"
        if self.name == "consciousness":
            return f"consciousness {str(self.value).replace('_', ' ')} ({self.score})"
        return f"{self.label} {self.value}{UNITS.get(self.name, '')} ({self.score})"


@dataclass(frozen=True)
class News2:
    parameters: tuple[Parameter, ...]
    missing: tuple[str, ...] = field(default=())

    @property
    def total(self) -> int:
        return sum(p.score for p in self.parameters)

    @property
    def red_parameters(self) -> list[Parameter]:
        return [p for p in self.parameters if p.score >= RED_SCORE]

    @property
    def response(self) -> str:
        """'emergency', 'urgent' or 'routine', as the RCP chart names the clinical response."""
        if self.total >= EMERGENCY_AGGREGATE:
            return "emergency"
        if self.total >= URGENT_AGGREGATE or self.red_parameters:
            return "urgent"
        return "routine"

    @property
    def scoring(self) -> list[Parameter]:
        return [p for p in self.parameters if p.score]


def news2_score(vitals) -> News2:
    """NEWS2 of an object with heart_rate, systolic_bp, temperature_c, respiratory_rate, spo2,
    supplemental_oxygen and consciousness (a log, a LogView); missing ones are listed."""
    parameters, missing = [], []

    def banded(name, bands):
        value = getattr(vitals, name, None)
        if value is None:
            missing.append(name)
        else:
            parameters.append(Parameter(name, value, _band(value, bands)))

    banded("respiratory_rate", RESPIRATORY_RATE)
    banded("spo2", SPO2_SCALE_1)
    if getattr(vitals, "supplemental_oxygen", False):
        parameters.append(Parameter("supplemental_oxygen", True, SUPPLEMENTAL_OXYGEN_SCORE))
    banded("systolic_bp", SYSTOLIC_BP)
    banded("heart_rate", PULSE)
    consciousness = getattr(vitals, "consciousness", "") or ""
    if consciousness:
        score = 0 if consciousness == "alert" else NEW_CONFUSION_OR_WORSE_SCORE
        parameters.append(Parameter("consciousness", consciousness, score))
    else:
        missing.append("consciousness")
    temperature = getattr(vitals, "temperature_c", None)
    if temperature is not None:
        temperature = Decimal(str(temperature))
    if temperature is None:
        missing.append("temperature_c")
    else:
        parameters.append(
            Parameter("temperature_c", temperature, _band(temperature, TEMPERATURE_C))
        )
    return News2(tuple(parameters), tuple(missing))
