"""Seizure-risk factors (patients/risk.py): the patient's own and the drug's, from one place
for every screen and the seizure_risk rule (docs/clinical-basis.md#risk-factors; 2025 Joint
Guideline Table 2)."""

from datetime import date, timedelta

from django.urls import reverse

from patients.plans import risk
from patients.plans import services as plan_services
from tests.factories import make_plan

START = date(2026, 1, 5)


def profile(patient, plan, on):
    return risk.risk_profile(patient, on, risk.drug_context(plan))


def test_a_patient_who_ticked_nothing_is_at_risk_by_the_drug(patient):
    plan = make_plan(patient, code="alprazolam", dose="6")
    factors = profile(patient, plan, START + timedelta(days=3)).drug_factors
    assert factors[0].startswith("short-acting Alprazolam")
    assert any(f.startswith("high dose (6 mg a day; high band above 2 mg)") for f in factors)
    assert profile(patient, plan, START).patient_factors == []


def test_the_high_band_is_the_guidelines_per_drug(patient):
    """Table 2: clonazepam above 1.5 mg is high; 1.5 mg itself is moderate."""
    from decimal import Decimal

    assert risk.is_high_band("clonazepam", Decimal("1.5")) is False
    assert risk.is_high_band("clonazepam", Decimal("1.625")) is True
    assert risk.is_high_band("lorazepam", Decimal("3")) is False
    assert risk.is_high_band("alprazolam", Decimal("2.5")) is True
    high = make_plan(patient, dose="2")
    assert any("high dose" in f for f in profile(patient, high, START).drug_factors)


def test_clonazepam_at_a_moderate_dose_carries_no_drug_factor(patient):
    plan = make_plan(patient, dose="1")
    assert profile(patient, plan, START + timedelta(days=3)).drug_factors == []


def test_an_abrupt_stop_is_a_factor_through_the_acute_window_then_no_longer(patient, clinician):
    plan = make_plan(patient, dose="1")
    stopped = START + timedelta(days=20)
    plan_services.taper_plan_stop(plan=plan, by=clinician, reason="Declined", on=stopped)
    plan.refresh_from_db()
    factors = profile(patient, plan, stopped + timedelta(days=2)).drug_factors
    assert any(f.startswith("abrupt stop from") for f in factors)
    past = stopped + timedelta(days=plan.medication.acute_window_days + 1)
    assert profile(patient, plan, past).drug_factors == []


def test_the_patient_page_lists_drug_factors_beside_the_patients(patient, clinician, client_for):
    from django.utils import timezone

    patient.alcohol_use = True
    patient.save()
    make_plan(patient, code="alprazolam", dose="6", start=timezone.localdate() - timedelta(days=3))
    page = client_for(clinician).get(reverse("patients:detail", kwargs={"pk": patient.pk}))
    html = page.content.decode()
    assert "Alcohol use" in html  # capfirst of the field's label
    assert "Short-acting Alprazolam" in html and "drug factor" in html


def test_the_final_step_to_zero_stays_a_cut_once_the_plan_is_marked_completed(patient, clinician):
    """Completing a taper that reached its last dose must not erase its final cut."""
    plan = make_plan(patient, dose="0.25", percent="50", interval=7)
    last = plan.last_dose_date()
    plan_services.taper_plan_complete(plan=plan, by=clinician, on=last + timedelta(days=1))
    plan.refresh_from_db()
    assert plan.status == "completed"
    factors = profile(patient, plan, last + timedelta(days=2)).drug_factors
    assert "a cut of 100%" in factors


def test_a_plan_ended_early_on_its_lowest_dose_keeps_its_final_cut(patient, clinician):
    """Completed on the lowest practical dose before the planned step to zero (no reason
    needed, not an abrupt stop): the next day it still went from that dose to nothing."""
    plan = make_plan(patient, dose="0.25", percent="50", interval=7)
    ended = plan.last_dose_date() - timedelta(days=3)
    plan_services.taper_plan_complete(plan=plan, by=clinician, on=ended)
    plan.refresh_from_db()
    factors = profile(patient, plan, ended + timedelta(days=2)).drug_factors
    assert "a cut of 100%" in factors


def test_an_abrupt_stop_is_named_once(patient, clinician):
    plan = make_plan(patient, dose="1")
    stopped = START + timedelta(days=20)
    plan_services.taper_plan_stop(plan=plan, by=clinician, reason="Declined", on=stopped)
    plan.refresh_from_db()
    factors = profile(patient, plan, stopped + timedelta(days=2)).drug_factors
    assert [f for f in factors if "abrupt" in f or "cut of" in f] == [
        f"abrupt stop from {plan.dose_on(stopped).normalize()} mg on {stopped:%-d %b}"
    ]
