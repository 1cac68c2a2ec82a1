"""Warnings in two tiers and the second clinician's co-sign (issue 15, points 5 and 6).

A standard plan (clonazepam 2 mg, 10% every 2 weeks, no patient risks) carries risk notes only
and saves without a justification. A fast plan (2 mg to zero in 5 weeks) departs from the
guideline: it needs written reasons of real content, and where the clinic asks for it, a
second clinician's co-sign before it can start; its author can neither co-sign nor start it."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from patients.models import Medication, TaperPlan
from patients.plans import guidelines
from patients.plans import services as plan_services

REASONS = "Patient chose a fast taper after discussion; inpatient bed booked; daily review."


def _params(**changes):
    values = {
        "medication": Medication.objects.get(code="clonazepam"),
        "method": "percent",
        "start_date": timezone.localdate() + timedelta(days=2),
        "start_dose_mg": "2",
        "reduction_percent": "10",
        "interval_days": 14,
    }
    values.update(changes)
    from decimal import Decimal

    for name in ("start_dose_mg", "reduction_percent", "reduction_mg"):
        if values.get(name) is not None:
            values[name] = Decimal(values[name])
    return plan_services.PlanParameters(**values)


FAST = {"method": "fixed", "reduction_percent": None, "reduction_mg": "0.5", "interval_days": 7}


def _fast_plan(patient, by, justification=REASONS):
    return plan_services.taper_plan_create(
        patient=patient, params=_params(**FAST), justification=justification, created_by=by
    )


@pytest.fixture
def cosign_clinic(riverside):
    riverside.plans_need_cosign = True
    riverside.save(update_fields=["plans_need_cosign"])
    return riverside


def test_a_fast_plan_is_a_set_of_deviations_and_the_dose_band_a_note(patient):
    schedule = plan_services.plan_preview(patient=patient, params=_params(**FAST))
    tiers = {w.code: w.tier for w in schedule.warnings}
    assert tiers["high_starting_dose"] == "note"  # 2 mg clonazepam: Table 2's high band
    assert tiers["exceeds_25_percent_in_2_weeks"] == "deviation"
    assert tiers["reductions_less_than_14_days_apart"] == "deviation"
    assert guidelines.deviations(schedule.warnings)


@pytest.mark.parametrize(
    "justification",
    ["", "x", "ok", "xxxxxxxxxxxxxxxxxxxx", "fine fine fine", "ok ok ok ok", "aaaa bbbb"],
)
def test_a_deviating_plan_needs_reasons_of_real_content(patient, clinician, justification):
    with pytest.raises(Exception) as refused:
        _fast_plan(patient, clinician, justification=justification)
    assert "justification" in str(refused.value)
    assert not TaperPlan.objects.exists()


def test_with_cosign_on_the_author_cannot_start_or_cosign_a_deviating_plan(
    cosign_clinic, patient, clinician, colleague, client_for
):
    plan = _fast_plan(patient, clinician)
    page = client_for(clinician)
    detail = page.get(reverse("plans:detail", kwargs={"pk": plan.pk})).content.decode()
    assert 'id="cosign-needed"' in detail
    assert "Co-sign plan" not in detail  # not offered to the author

    page.post(reverse("plans:activate", kwargs={"pk": plan.pk}), follow=True)
    plan.refresh_from_db()
    assert plan.status == "draft"
    answer = page.post(
        reverse("plans:cosign", kwargs={"pk": plan.pk}),
        {"reason": "I agree with this pace."},
        follow=True,
    )
    assert "the author of the schedule cannot give it" in answer.content.decode()
    plan.refresh_from_db()
    assert plan.current_revision.cosigned_by is None

    colleague_page = client_for(colleague)
    shown = colleague_page.get(reverse("plans:detail", kwargs={"pk": plan.pk})).content.decode()
    assert "Co-sign plan" in shown
    colleague_page.post(
        reverse("plans:cosign", kwargs={"pk": plan.pk}),
        {"reason": "Reviewed the pace with the team; agree given the inpatient setting."},
    )
    plan.refresh_from_db()
    revision = plan.current_revision
    assert (revision.cosigned_by, revision.cosign_comment[:8]) == (colleague, "Reviewed")
    assert revision.cosigned_at is not None

    page.post(reverse("plans:activate", kwargs={"pk": plan.pk}))
    plan.refresh_from_db()
    assert plan.status == "active"
    detail = page.get(reverse("plans:detail", kwargs={"pk": plan.pk})).content.decode()
    assert "Co-signed by" in detail


def test_without_the_clinic_setting_a_justified_deviating_plan_starts_at_once(patient, clinician):
    plan = _fast_plan(patient, clinician)
    assert plan_services.taper_plan_activate(plan=plan, by=clinician).status == "active"


def test_a_plan_without_deviations_needs_no_cosign(cosign_clinic, patient, clinician):
    """The standard plan (clonazepam 2 mg, 10% a fortnight, no patient risks): risk notes only,
    saved without a justification, started by its author even where co-signs are asked for."""
    schedule = plan_services.plan_preview(patient=patient, params=_params())
    assert schedule.warnings and not guidelines.deviations(schedule.warnings)
    plan = plan_services.taper_plan_create(
        patient=patient, params=_params(), justification="", created_by=clinician
    )
    assert plan_services.taper_plan_activate(plan=plan, by=clinician).status == "active"


def test_the_cosign_through_the_api(cosign_clinic, patient, clinician, colleague, staff, api_for):
    plan = _fast_plan(patient, clinician)
    url = reverse("taper-plan-cosign", kwargs={"pk": plan.pk})
    assert (
        api_for(staff).post(url, {"reason": "Looks fine to me."}, format="json").status_code == 403
    )
    own = api_for(clinician).post(url, {"reason": "I agree with myself."}, format="json")
    assert own.status_code == 400
    blocked = api_for(clinician).post(reverse("taper-plan-activate", kwargs={"pk": plan.pk}))
    assert blocked.status_code == 400 and "co-sign" in blocked.content.decode()
    done = api_for(colleague).post(url, {"reason": "Agreed at the team meeting."}, format="json")
    assert done.status_code == 200, done.content
    body = done.json()
    assert body["cosign"]["by"] == str(colleague.pk)
    assert body["cosign"]["comment"] == "Agreed at the team meeting."
    assert {w["tier"] for w in body["warnings"]} == {"note", "deviation"}
    started = api_for(clinician).post(reverse("taper-plan-activate", kwargs={"pk": plan.pk}))
    assert started.status_code == 200 and started.json()["status"] == "active"


def test_an_outsider_cannot_cosign(cosign_clinic, patient, clinician, outsider, api_for):
    plan = _fast_plan(patient, clinician)
    url = reverse("taper-plan-cosign", kwargs={"pk": plan.pk})
    assert (
        api_for(outsider).post(url, {"reason": "Not my clinic."}, format="json").status_code == 404
    )
    plan.refresh_from_db()
    assert plan.current_revision.cosigned_by is None


# --- From the independent review of the landed part -------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Pt request",
        "Per Dr Smith",
        "Pt pref; MDT ok",
        "Inpt, CIWA q4h",
        "Liquid n/a locally",
        "患者希望更快减量",
    ],
)
def test_clinical_shorthand_is_a_justification(text):
    assert plan_services.justification_problem(text) is None


def test_a_running_plan_cannot_be_revised_into_deviations_without_a_cosign(
    cosign_clinic, patient, clinician
):
    plan = plan_services.taper_plan_create(
        patient=patient,
        params=_params(start_date=timezone.localdate() - timedelta(days=20)),
        justification="",
        created_by=clinician,
    )
    plan = plan_services.taper_plan_activate(plan=plan, by=clinician)
    with pytest.raises(Exception) as refused:
        plan_services.taper_plan_revise(
            plan=plan,
            params=_params(start_date=timezone.localdate(), **FAST),
            justification=REASONS,
            reason="Faster, the patient asked",
            by=clinician,
        )
    assert "co-sign" in str(refused.value)
    plan.refresh_from_db()
    assert plan.revisions.count() == 1


def test_slowing_a_running_plan_does_not_turn_past_cuts_into_deviations(patient, clinician):
    plan = plan_services.taper_plan_create(
        patient=patient,
        params=_params(start_date=timezone.localdate() - timedelta(days=42)),
        justification="",
        created_by=clinician,
    )
    plan = plan_services.taper_plan_activate(plan=plan, by=clinician)
    from decimal import Decimal

    slower = _params(
        start_date=timezone.localdate(),
        start_dose_mg=str(plan.dose_on(timezone.localdate())),
        reduction_percent="5",
        interval_days=28,
    )
    plan = plan_services.taper_plan_revise(
        plan=plan, params=slower, justification="", reason="Slower: a hard month", by=clinician
    )
    assert plan.current_revision.deviation_count == 0
    assert plan.current_revision.start_dose_mg == Decimal(slower.start_dose_mg)


def test_no_author_of_any_schedule_of_the_plan_can_cosign_it(
    cosign_clinic, patient, clinician, colleague
):
    plan = _fast_plan(patient, clinician)
    plan = plan_services.taper_plan_revise(
        plan=plan,
        params=_params(**FAST),
        justification=REASONS,
        reason="Typo in the note",
        by=colleague,
    )
    with pytest.raises(Exception) as refused:
        plan_services.taper_plan_cosign(plan=plan, by=clinician, comment="Agreed at the MDT.")
    assert "author" in str(refused.value)


def test_a_hold_before_the_first_cut_is_not_a_first_cut_above_ten_percent(patient):
    """Clonazepam 1 mg at 10% a fortnight: 0.875 mg is the next dose, reached after two
    fortnights (12.5% in 28 days, within 10% a fortnight): no deviation."""
    schedule = plan_services.plan_preview(patient=patient, params=_params(start_dose_mg="1"))
    codes = {w.code for w in guidelines.deviations(schedule.warnings)}
    assert "first_cut_above_10_percent" not in codes
    assert not codes
