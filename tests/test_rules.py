"""Each rule at its threshold edge: fires at the edge, not one below
(docs/clinical-basis.md#alert-rules)."""

from datetime import timedelta
from decimal import Decimal as D

import pytest

from symptoms.alerts import rules
from tests.rule_histories import NOW, history, log


def fired(rule, hist):
    return [(f.rule, f.severity) for f in rule(hist)]


@pytest.mark.parametrize("flag", ["seizure", "confusion", "hallucinations", "suicidal_ideation"])
def test_flag_rules_fire_critical_on_the_flag(flag):
    rule = {"seizure": rules.seizure, "suicidal_ideation": rules.suicidality}.get(
        flag, rules.complicated_withdrawal
    )
    assert fired(rule, history([log(**{flag: True})]))[0][1] == "critical"
    assert fired(rule, history([log()])) == []
    # Judged by assessed_at within the look-back, not "the last 24 h": a form typed in late
    # and a log older than the newest one still fire.
    assert fired(rule, history([log(hours_ago=30, **{flag: True}), log(hours_ago=1)]))


@pytest.mark.parametrize(
    ("previous", "newest", "expected"),
    [(10, 41, "high"), (10, 40, None), (41, 41, "critical"), (40, 44, "high")],
)
def test_severe_score_edges(previous, newest, expected):
    older, newer = log(5, previous), log(1, newest)
    result = [
        (f.rule, f.severity)
        for f in rules.severe_score(history([older, newer]))
        if f.trigger_key == newer.id
    ]
    assert result == ([("severe_score", expected)] if expected else [])


@pytest.mark.parametrize(
    ("fields", "items", "fires"),
    [
        ({"heart_rate": 121}, {}, True),
        ({"heart_rate": 120}, {}, False),
        ({"heart_rate": 101}, {"obs_sweating_agitation": 2, "obs_tremor": 2}, True),
        ({"heart_rate": 100}, {"obs_sweating_agitation": 2, "obs_tremor": 2}, False),
        ({"heart_rate": 101}, {"obs_sweating_agitation": 1, "obs_tremor": 2}, False),
        ({"heart_rate": 101}, {"obs_palms_sweating": 2, "obs_tremor": 2}, True),
        ({"heart_rate": 101}, {"obs_palms_sweating": 1, "obs_tremor": 2}, False),
        ({"systolic_bp": 180}, {}, True),
        ({"systolic_bp": 179}, {}, False),
        ({"diastolic_bp": 110}, {}, True),
        ({"diastolic_bp": 109}, {}, False),
        ({"temperature_c": D("38.0")}, {}, True),
        ({"temperature_c": D("37.9")}, {}, False),
        ({"respiratory_rate": 11}, {}, True),
        ({"respiratory_rate": 12}, {}, False),
    ],
)
def test_vital_signs_edges(fields, items, fires):
    assert bool(fired(rules.vital_signs, history([log(total=8, items=items, **fields)]))) is fires


def _daily(totals_by_day_ago, **fields):
    return [log(hours_ago=24 * days, total=total, **fields) for days, total in totals_by_day_ago]


@pytest.mark.parametrize(
    ("pair", "fires"), [((20, 20), True), ((19, 20), False), ((20, 19), False)]
)
def test_rising_trend_edges(pair, fires):
    logs = _daily([(d, 10) for d in range(9, 1, -1)]) + _daily([(1, pair[0]), (0, pair[1])])
    assert bool(fired(rules.rising_trend, history(logs))) is fires


@pytest.mark.parametrize(("peak", "fires"), [(18, True), (17, False)])
def test_reduction_response_edges(peak, fires):
    cut = rules.Reduction(on=(NOW - timedelta(days=3)).date(), from_mg=D("2"), to_mg=D("1.875"))
    logs = _daily([(d, 10) for d in range(10, 3, -1)]) + _daily([(2, 12), (1, peak)])
    assert bool(fired(rules.reduction_response, history(logs, reductions=[cut]))) is fires


def test_reduction_response_looks_only_a_week_after_the_cut():
    cut = rules.Reduction(on=(NOW - timedelta(days=12)).date(), from_mg=D("2"), to_mg=D("1.875"))
    logs = _daily([(d, 10) for d in range(20, 12, -1)]) + _daily([(1, 30)])
    assert fired(rules.reduction_response, history(logs, reductions=[cut])) == []


@pytest.mark.parametrize(("hours", "fires"), [(36, True), (35.9, False)])
def test_missed_log_edges(hours, fires):
    hist = history([log(hours_ago=hours)], phase="tapering", watched_since=NOW - timedelta(days=30))
    assert bool(fired(rules.missed_log, hist)) is fires


def test_missed_log_counts_from_the_phase_start_and_ignores_other_phases():
    assert (
        fired(
            rules.missed_log, history([], phase="tapering", watched_since=NOW - timedelta(hours=30))
        )
        == []
    )
    assert fired(
        rules.missed_log, history([], phase="tapering", watched_since=NOW - timedelta(hours=37))
    )
    assert fired(rules.missed_log, history([log(hours_ago=90)], phase="protracted")) == []


def _planned(dose, days=30):
    today = NOW.date()
    return {today - timedelta(days=back): D(dose) for back in range(-1, days)}


@pytest.mark.parametrize(("taken", "fires"), [(D("0.75"), False), (D("0.74"), True)])
def test_taper_pace_edges_on_the_doses_taken(taken, fires):
    """Taken 1 mg a week ago, the plan still 1 mg: taking 0.74 is a 26% fall in 14 days."""
    logs = [log(24 * 7, dose_taken_mg=D("1")), log(1, dose_taken_mg=taken)]
    assert bool(fired(rules.taper_pace, history(logs, planned_doses=_planned("1")))) is fires


def test_taper_pace_never_fires_on_the_plans_own_steps():
    """The final step of a standard taper (0.125 mg to 0) taken as planned: no alarm."""
    today = NOW.date()
    planned = _planned("0.125") | {today: D("0"), today + timedelta(days=1): D("0")}
    logs = [log(30, dose_taken_mg=D("0.125")), log(1, dose_taken_mg=D("0"))]
    assert fired(rules.taper_pace, history(logs, planned_doses=planned)) == []
    assert fired(rules.dose_deviation, history(logs, planned_doses=planned)) == []


def test_taper_pace_on_a_schedule_changed_without_justification():
    change = ("revision:7", D("2"), D("1"), D("50"), 14)
    assert fired(rules.taper_pace, history([], unjustified_fast_change=change)) == [
        ("taper_pace", "medium")
    ]


@pytest.mark.parametrize(
    ("items", "pulse", "risks", "days_since_cut", "fires"),
    [
        ({"obs_tremor": 2}, 80, ["history of seizures"], 3, True),
        ({"obs_tremor": 1}, 80, ["history of seizures"], 3, False),
        ({"visual_disturbance": 2}, 80, ["alcohol use"], 7, True),
        ({}, 101, ["alcohol use"], 1, True),
        ({}, 100, ["alcohol use"], 1, False),
        ({"obs_tremor": 3}, 110, [], 3, False),  # no risk factors
        ({"obs_tremor": 3}, 110, ["alcohol use"], 8, False),  # outside the week after the cut
    ],
)
def test_seizure_risk_edges(items, pulse, risks, days_since_cut, fires):
    cut = rules.Reduction(
        on=(NOW - timedelta(days=days_since_cut)).date(), from_mg=D("2"), to_mg=D("1.8")
    )
    logs = [
        *_daily([(d, 6) for d in range(6, 0, -1)], heart_rate=76),
        log(0.5, 10, items, heart_rate=pulse),
    ]
    assert (
        bool(fired(rules.seizure_risk, history(logs, risk_factors=risks, reductions=[cut])))
        is fires
    )


def test_seizure_risk_in_the_onset_window_after_the_last_dose():
    logs = [log(1, 10, {"obs_tremor": 2})]
    last = (NOW - timedelta(days=3)).date()
    assert fired(
        rules.seizure_risk,
        history(logs, risk_factors=["x"], last_dose_date=last, onset_window_days=10),
    )
    assert not fired(
        rules.seizure_risk,
        history(logs, risk_factors=["x"], last_dose_date=last, onset_window_days=2),
    )


def test_every_finding_carries_evidence_version_and_trigger():
    finding = rules.seizure(history([log(seizure=True)]))[0]
    assert finding.version == rules.RULE_VERSIONS["seizure"]
    assert finding.evidence["logs"][0]["flags"] == ["seizure"]
    assert finding.trigger_key.startswith("log")
