"""Clinical edges of the pure alert rules and NEWS2, from the alert contract
(docs/clinical-basis.md#alert-rules).

Every expectation here comes from the clinical facts of the contract (RCP NEWS2 2017 bands, the
withdrawal thresholds, per-log judgement, event-only logs, dose deviation, seizure risk and
taper pace), not from how symptoms/rules.py computes them.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest

from symptoms import news2
from symptoms.alerts import rules
from symptoms.scales import items_for_total
from tests.rule_histories import NOW, history, log

TODAY = NOW.date()
RANK = {"low": 0, "medium": 1, "high": 2, "critical": 3}


def event_only(hours_ago=1, n=[0], **fields):  # noqa: B006 (a counter)
    """A log of an event only: the CIWA-B was not assessed (no total, no items)."""
    n[0] += 1
    return rules.LogView(
        id=f"event{n[0]}",
        assessed_at=NOW - timedelta(hours=hours_ago),
        total=None,
        items={},
        **fields,
    )


def worst(findings):
    """The highest severity among the findings, None when nothing fired."""
    return max((f.severity for f in findings), key=RANK.__getitem__, default=None)


def _daily(totals_by_day_ago, items=None, **fields):
    return [
        log(hours_ago=24 * days, total=total, items=items, **fields)
        for days, total in totals_by_day_ago
    ]


# --- NEWS2 bands (RCP 2017), every edge on both sides -------------------------------------


class Vitals:
    """Only the vital signs NEWS2 reads; unset ones are missing."""

    def __init__(self, **values):
        self.heart_rate = None
        self.systolic_bp = None
        self.temperature_c = None
        self.respiratory_rate = None
        self.spo2 = None
        self.supplemental_oxygen = False
        self.consciousness = ""
        for name, value in values.items():
            setattr(self, name, value)


def _score_of(name, value):
    result = news2.news2_score(Vitals(**{name: value}))
    scores = {p.name: p.score for p in result.parameters}
    return scores[name], result.total


@pytest.mark.parametrize(
    ("value", "score"),
    [(8, 3), (9, 1), (11, 1), (12, 0), (20, 0), (21, 2), (24, 2), (25, 3)],
)
def test_news2_respiration_rate_bands(value, score):
    assert _score_of("respiratory_rate", value) == (score, score)


@pytest.mark.parametrize(("value", "score"), [(91, 3), (92, 2), (93, 2), (94, 1), (95, 1), (96, 0)])
def test_news2_spo2_scale_1_bands(value, score):
    assert _score_of("spo2", value) == (score, score)


def test_news2_supplemental_oxygen_scores_2_and_air_scores_0():
    assert news2.news2_score(Vitals(supplemental_oxygen=True)).total == 2
    assert news2.news2_score(Vitals(supplemental_oxygen=False)).total == 0


@pytest.mark.parametrize(
    ("value", "score"),
    [(90, 3), (91, 2), (100, 2), (101, 1), (110, 1), (111, 0), (219, 0), (220, 3)],
)
def test_news2_systolic_bp_bands(value, score):
    assert _score_of("systolic_bp", value) == (score, score)


@pytest.mark.parametrize(
    ("value", "score"),
    [(40, 3), (41, 1), (50, 1), (51, 0), (90, 0), (91, 1), (110, 1), (111, 2), (130, 2), (131, 3)],
)
def test_news2_pulse_bands(value, score):
    assert _score_of("heart_rate", value) == (score, score)


@pytest.mark.parametrize(
    ("value", "score"),
    [("alert", 0), ("new_confusion", 3), ("voice", 3), ("pain", 3), ("unresponsive", 3)],
)
def test_news2_consciousness_acvpu(value, score):
    assert _score_of("consciousness", value) == (score, score)


@pytest.mark.parametrize(
    ("value", "score"),
    [
        ("35.0", 3),
        ("35.1", 1),
        ("36.0", 1),
        ("36.1", 0),
        ("38.0", 0),
        ("38.1", 1),
        ("39.0", 1),
        ("39.1", 2),
    ],
)
def test_news2_temperature_bands(value, score):
    assert _score_of("temperature_c", D(value)) == (score, score)


def test_news2_aggregate_adds_the_parameters():
    """Pulse 44 (1) + systolic 82 (3) + temperature 34.8 (3) = 7."""
    vitals = Vitals(heart_rate=44, systolic_bp=82, temperature_c=D("34.8"))
    assert news2.news2_score(vitals).total == 7


# --- vital_signs: withdrawal thresholds and NEWS2 ------------------------------------------


def _vital_severity(**fields):
    return worst(rules.vital_signs(history([log(total=8, **fields)])))


@pytest.mark.parametrize(
    "fields",
    [
        {"systolic_bp": 82},
        {"systolic_bp": 90},
        {"spo2": 91},
        {"heart_rate": 40},
        {"respiratory_rate": 8},
        {"respiratory_rate": 25},
        {"temperature_c": D("35.0")},
        {"temperature_c": D("34.8")},
        {"consciousness": "voice"},
    ],
)
def test_vital_signs_a_single_news2_red_score_alone_is_high(fields):
    """Any single NEWS2 parameter scoring 3, low values included, fires high."""
    assert _vital_severity(**fields) == "high"


def test_vital_signs_low_pulse_bp_and_temperature_aggregate_7_is_critical():
    """Pulse 44 + systolic 82 + temperature 34.8: NEWS2 7 -> critical."""
    assert _vital_severity(heart_rate=44, systolic_bp=82, temperature_c=D("34.8")) == "critical"


def test_vital_signs_news2_4_without_a_red_score_is_nothing():
    """Pulse 115 (2) + respiration 22 (2), temperature 37: NEWS2 4, no other sign."""
    assert _vital_severity(heart_rate=115, respiratory_rate=22, temperature_c=D("37.0")) is None


@pytest.mark.parametrize(
    "fields",
    [
        {"respiratory_rate": 24},
        {"spo2": 92},
        {"systolic_bp": 91},
        {"heart_rate": 41},
        {"heart_rate": 111},
        {"temperature_c": D("35.1")},
        {"supplemental_oxygen": True},
        {"respiratory_rate": 22, "supplemental_oxygen": True},  # 2 + 2 = 4
    ],
)
def test_vital_signs_news2_below_5_without_a_red_score_is_nothing(fields):
    assert _vital_severity(**fields) is None


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"heart_rate": 115, "respiratory_rate": 22, "spo2": 95}, "high"),  # 2 + 2 + 1 = 5
        ({"heart_rate": 115, "respiratory_rate": 22, "spo2": 93}, "high"),  # 2 + 2 + 2 = 6
        (
            {"heart_rate": 115, "respiratory_rate": 22, "spo2": 93, "systolic_bp": 105},
            "critical",
        ),  # 2 + 2 + 2 + 1 = 7, no single 3
    ],
)
def test_vital_signs_news2_aggregate_5_is_high_and_7_critical(fields, expected):
    assert _vital_severity(**fields) == expected


def test_vital_signs_news2_aggregate_7_is_critical_even_with_a_withdrawal_sign():
    """Pulse 125 (> 120 and NEWS2 2) + respiration 22 (2) + SpO2 93 (2) + systolic 105 (1)."""
    fields = {"heart_rate": 125, "respiratory_rate": 22, "spo2": 93, "systolic_bp": 105}
    assert _vital_severity(**fields) == "critical"


@pytest.mark.parametrize(
    "fields",
    [
        {"heart_rate": 121},
        {"systolic_bp": 180},
        {"diastolic_bp": 110},
        {"temperature_c": D("38.0")},
    ],
)
def test_vital_signs_withdrawal_thresholds_alone_are_high(fields):
    assert _vital_severity(**fields) == "high"


def test_vital_signs_pulse_over_100_with_sweating_and_tremor_is_high():
    signs = {"obs_sweating_agitation": 2, "obs_tremor": 2}
    assert _vital_severity(heart_rate=101, items=signs) == "high"


# --- complicated_withdrawal ---------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {"confusion": True},
        {"hallucinations": True},
        {"consciousness": "new_confusion"},
        {"consciousness": "voice"},
        {"consciousness": "pain"},
        {"consciousness": "unresponsive"},
    ],
)
def test_complicated_withdrawal_is_critical_on_confusion_hallucinations_or_not_alert(fields):
    assert worst(rules.complicated_withdrawal(history([log(**fields)]))) == "critical"


@pytest.mark.parametrize("consciousness", ["alert", ""])
def test_complicated_withdrawal_not_on_alert_or_not_recorded(consciousness):
    assert rules.complicated_withdrawal(history([log(consciousness=consciousness)])) == []


# --- Every log judged by its assessed_at, not only the newest ------------------------------


def test_seizure_30_h_ago_then_a_newer_log_without_seizure_still_fires():
    hist = history([log(30, seizure=True), log(1)])
    assert worst(rules.seizure(hist)) == "critical"


def test_suicidal_ideation_on_a_log_older_than_the_newest_fires():
    hist = history([log(50, suicidal_ideation=True), log(1)])
    assert worst(rules.suicidality(hist)) == "critical"


def test_severe_total_on_a_non_newest_log_within_7_days_fires():
    hist = history([log(24 * 3, 45), log(1, 10)])
    assert rules.severe_score(hist)


def test_abnormal_vitals_on_a_non_newest_log_within_7_days_fire():
    hist = history([log(24 * 3, systolic_bp=185), log(1, systolic_bp=120, heart_rate=70)])
    assert worst(rules.vital_signs(hist)) == "high"


@pytest.mark.parametrize(
    ("rule", "fields"),
    [(rules.severe_score, {"total": 45}), (rules.vital_signs, {"systolic_bp": 82})],
    ids=["severe_score", "vital_signs"],
)
def test_a_log_6_days_20_h_old_is_still_within_the_7_days(rule, fields):
    fields = {"total": 8, **fields}
    assert rule(history([log(24 * 6 + 20, **fields), log(1, 8, heart_rate=70)]))


def test_news2_red_score_on_a_non_newest_log_within_7_days_fires():
    hist = history([log(24 * 2, spo2=91), log(1, spo2=98)])
    assert worst(rules.vital_signs(hist)) == "high"


def test_complicated_withdrawal_on_a_non_newest_log_fires():
    hist = history([log(24 * 2, hallucinations=True), log(1)])
    assert worst(rules.complicated_withdrawal(hist)) == "critical"


LATE = [
    (rules.seizure, {"seizure": True}),
    (rules.suicidality, {"suicidal_ideation": True}),
    (rules.complicated_withdrawal, {"confusion": True}),
    (rules.vital_signs, {"systolic_bp": 82}),
    (rules.severe_score, {"total": 45}),
]


@pytest.mark.parametrize(("rule", "fields"), LATE, ids=[r.__name__ for r, _ in LATE])
def test_a_late_entry_says_when_it_was_entered(rule, fields):
    """Assessed 31 h ago, entered 30 h later: the summary says so, the evidence in minutes."""
    fields = {"total": 8, **fields}
    late = log(31, entered_at=NOW - timedelta(hours=1), **fields)
    findings = rule(history([late, log(0.5)]))
    assert findings, "the late log must fire"
    finding = findings[0]
    assert "entered" in finding.summary
    assert "30 h" in finding.summary
    entries = finding.evidence["logs"]
    assert any(entry.get("entered_late_minutes") == 1800 for entry in entries), entries


def test_two_seizure_logs_give_two_findings_with_different_trigger_keys():
    hist = history([log(40, seizure=True), log(10, seizure=True)])
    findings = rules.seizure(hist)
    assert len(findings) == 2
    assert len({f.trigger_key for f in findings}) == 2


def test_two_severe_logs_give_findings_with_different_trigger_keys():
    first, second = log(48, 45), log(2, 45)
    keys = [f.trigger_key for f in rules.severe_score(history([first, second]))]
    assert len(keys) == 2
    assert len(set(keys)) == 2


# --- Event-only logs ----------------------------------------------------------------------


def test_event_only_seizure_log_fires_seizure_critical():
    assert worst(rules.seizure(history([event_only(seizure=True)]))) == "critical"


def test_event_only_log_is_no_score_for_severe_score():
    """Severe, event-only, severe: the second severe is still two consecutive severe."""
    first, event, second = log(48, 45), event_only(24, seizure=True), log(2, 45)
    findings = rules.severe_score(history([first, event, second]))
    assert {f.trigger_key: f.severity for f in findings}.get(second.id) == "critical"
    assert event.id not in {f.trigger_key for f in findings}


def test_event_only_log_alone_fires_no_score_rule():
    hist = history([event_only(2, seizure=True)])
    assert rules.severe_score(hist) == []
    assert rules.rising_trend(hist) == []
    assert rules.vital_signs(hist) == []


def test_event_only_log_does_not_break_two_consecutive_rising_totals():
    """Baseline 10; 20, an event-only log, 20: still two consecutive rising totals."""
    logs = _daily([(d, 10) for d in range(9, 1, -1)]) + _daily([(1, 20), (0, 20)])
    logs.append(event_only(12, seizure=True))
    assert rules.rising_trend(history(logs))


def test_event_only_logs_do_not_lower_the_rising_trend_baseline():
    """Baseline 10 with event-only logs in it; 19, 19 stays below baseline + 10."""
    logs = _daily([(d, 10) for d in range(9, 1, -1)]) + _daily([(1, 19), (0, 19)])
    logs += [event_only(24 * d + 6, seizure=True) for d in range(2, 9)]
    assert rules.rising_trend(history(logs)) == []


# --- dose_deviation -----------------------------------------------------------------------


def _dose(taken, planned, **kwargs):
    hist = history([log(1, dose_taken_mg=taken)], planned_doses=planned, **kwargs)
    return [f.severity for f in rules.dose_deviation(hist)]


@pytest.mark.parametrize(
    ("taken", "expected"),
    [
        ("1.25", ["medium"]),  # more than planned
        ("1", []),
        ("0.75", []),  # 25% less: nothing
        ("0.74", ["medium"]),  # 26% less
        ("0.5", ["medium"]),
        ("0", ["high"]),  # nothing taken against a planned dose
    ],
)
def test_dose_deviation_against_a_planned_1_mg(taken, expected):
    assert _dose(D(taken), {TODAY: D("1")}) == expected


def test_dose_deviation_taken_against_a_planned_zero_is_more_than_planned():
    assert _dose(D("0.5"), {TODAY: D("0")}) == ["medium"]


@pytest.mark.parametrize("planned", [{}, {TODAY: None}, {TODAY - timedelta(days=1): D("1")}])
def test_dose_deviation_nothing_on_a_day_without_a_planned_dose(planned):
    assert _dose(D("0"), planned) == []
    assert _dose(D("3"), planned) == []


def test_dose_deviation_reads_the_plan_on_the_day_in_the_patients_zone():
    """13:00 UTC on 14 June is 01:00 on 15 June in Auckland: the 15 June dose applies."""
    zone = ZoneInfo("Pacific/Auckland")
    entry = rules.LogView(
        id="auckland",
        assessed_at=datetime(2026, 6, 14, 13, 0, tzinfo=UTC),
        total=6,
        items=items_for_total(6),
        dose_taken_mg=D("1"),
    )
    planned = {TODAY - timedelta(days=1): D("0.5"), TODAY: D("1")}
    hist = history([entry], planned_doses=planned, zone=zone)
    assert rules.dose_deviation(hist) == []
    entry_low = rules.LogView(**{**entry.__dict__, "id": "auckland2", "dose_taken_mg": D("0.5")})
    hist = history([entry_low], planned_doses=planned, zone=zone)
    assert [f.severity for f in rules.dose_deviation(hist)] == ["medium"]


# --- seizure_risk -------------------------------------------------------------------------


def _seizure_risk(newest, baseline_items=None, baseline_pulse=76, **kwargs):
    cut = rules.Reduction(on=TODAY - timedelta(days=3), from_mg=D("2"), to_mg=D("1.8"))
    logs = [
        *_daily([(d, 6) for d in range(6, 0, -1)], baseline_items, heart_rate=baseline_pulse),
        newest,
    ]
    kwargs.setdefault("reductions", [cut])
    return rules.seizure_risk(history(logs, **kwargs))


def test_seizure_risk_from_a_drug_factor_on_that_logs_day_without_patient_factors():
    newest = log(0.5, 10, {"obs_tremor": 2}, heart_rate=80)
    drug = {TODAY: ["short half-life"]}
    assert worst(_seizure_risk(newest, drug_factors=drug)) == "high"


def test_seizure_risk_nothing_without_any_patient_or_drug_factor():
    newest = log(0.5, 10, {"obs_tremor": 3}, heart_rate=110)
    assert _seizure_risk(newest) == []


def test_seizure_risk_from_a_patient_factor_is_high():
    newest = log(0.5, 10, {"visual_disturbance": 2}, heart_rate=80)
    assert worst(_seizure_risk(newest, risk_factors=["history of seizures"])) == "high"


@pytest.mark.parametrize(("tremor", "fires"), [(2, False), (3, True)])
def test_seizure_risk_tremor_must_rise_above_the_patients_own_baseline(tremor, fires):
    """Tremor 2 every day for a week: 2 again is not rising, 3 is."""
    newest = log(0.5, 10, {"obs_tremor": tremor}, heart_rate=80)
    found = _seizure_risk(newest, {"obs_tremor": 2}, risk_factors=["alcohol use"])
    assert bool(found) is fires


@pytest.mark.parametrize(("pulse", "fires"), [(105, False), (106, True)])
def test_seizure_risk_pulse_must_rise_above_the_patients_own_baseline(pulse, fires):
    """Pulse 105 every day for a week: 105 again is not rising, 106 is (both > 100)."""
    newest = log(0.5, 6, heart_rate=pulse)
    found = _seizure_risk(newest, baseline_pulse=105, risk_factors=["alcohol use"])
    assert bool(found) is fires


def test_seizure_risk_judges_a_log_older_than_the_newest():
    """Tremor 2 two days after a cut, then a calm log: the earlier log still fires."""
    cut = rules.Reduction(on=TODAY - timedelta(days=4), from_mg=D("2"), to_mg=D("1.8"))
    logs = [
        *_daily([(d, 6) for d in range(10, 4, -1)], heart_rate=76),
        log(24 * 2, 10, {"obs_tremor": 2}, heart_rate=80),
        log(1, 6, heart_rate=76),
    ]
    hist = history(logs, risk_factors=["alcohol use"], reductions=[cut])
    assert worst(rules.seizure_risk(hist)) == "high"


# --- taper_pace ---------------------------------------------------------------------------


def _plan(steps):
    """steps: (days ago the step starts, mg), oldest first; the plan runs to tomorrow."""
    planned = {}
    for (start, mg), (end, _) in zip(steps, [*steps[1:], (-2, None)], strict=True):
        for back in range(start, end, -1):
            planned[TODAY - timedelta(days=back)] = D(mg)
    return planned


PLAN_TO_ZERO = _plan([(28, "1"), (14, "0.5"), (7, "0.25"), (2, "0")])


def test_taper_pace_never_fires_when_every_dose_of_a_plan_to_zero_is_taken():
    """1 -> 0.5 -> 0.25 -> 0 mg, each a > 25% step: taken exactly, no departure."""
    logs = [
        log(24 * back + 2, dose_taken_mg=PLAN_TO_ZERO[TODAY - timedelta(days=back)])
        for back in range(20, -1, -1)
    ]
    hist = history(logs, planned_doses=PLAN_TO_ZERO)
    assert rules.taper_pace(hist) == []
    assert rules.dose_deviation(hist) == []


def test_taper_pace_fires_on_taking_half_while_the_plan_holds_1_mg():
    planned = _plan([(30, "1")])
    logs = [log(24 * 7, dose_taken_mg=D("1")), log(1, dose_taken_mg=D("0.5"))]
    assert rules.taper_pace(history(logs, planned_doses=planned))


def test_taper_pace_fires_on_stopping_when_the_plan_prescribes_half():
    """Plan 1 -> 0.5 mg; the patient goes from 1 to 0: a departure beyond the plan."""
    planned = _plan([(30, "1"), (3, "0.5")])
    logs = [log(24 * 7, dose_taken_mg=D("1")), log(1, dose_taken_mg=D("0"))]
    assert rules.taper_pace(history(logs, planned_doses=planned))
