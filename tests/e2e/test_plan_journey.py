import re

import pytest
from playwright.sync_api import expect

from patients.models import TaperPlan
from tests.e2e.test_patient_journey import sign_in

# Transactional: the live server reads committed rows.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_clinician_builds_a_too_fast_plan_justifies_it_and_prints_the_schedule(
    live_server, page, shot, clinician, patient
):
    sign_in(page, live_server, "clinician")
    page.goto(f"{live_server.url}{patient.get_absolute_url()}")
    page.get_by_role("link", name="New taper plan").click()
    expect(page.get_by_role("heading", name=re.compile("New taper plan"))).to_be_visible()

    page.get_by_label("Medication").select_option(label="Clonazepam (Klonopin)")
    page.get_by_label("Start date").fill("2026-12-01")
    page.get_by_label("Current daily dose (mg)").fill("2")
    page.get_by_label("Reduce by (% of the current dose)").fill("40")
    page.get_by_label("Days between reductions").fill("7")
    # The live preview shows the steps and the pace warning before anything is saved.
    preview = page.locator("#plan-preview")
    expect(preview.locator('[data-code="exceeds_25_percent_in_2_weeks"]').first).to_be_visible()
    # ...and follows the last field typed: weekly cuts are closer than 14 days apart.
    expect(
        preview.locator('[data-code="reductions_less_than_14_days_apart"]').first
    ).to_be_visible()
    expect(preview.locator(".steps-table tbody tr").first).to_be_visible()
    expect(preview.locator("svg")).to_be_visible()
    shot("1-preview-with-warnings")
    assert not TaperPlan.objects.exists()

    page.get_by_role("button", name="Save draft plan").click()
    expect(page.get_by_text("Write why it is right for this patient")).to_be_visible()
    shot("2-justification-needed")
    assert not TaperPlan.objects.exists()

    page.get_by_label("Justification").fill(
        "Inpatient unit, daily CIWA-B; agreed with the patient."
    )
    page.get_by_role("button", name="Save draft plan").click()
    expect(page.get_by_text("Draft plan saved")).to_be_visible()
    expect(page.get_by_text("Inpatient unit, daily CIWA-B")).to_be_visible()
    page.get_by_role("button", name="Activate plan").click()
    expect(page.get_by_text("Plan activated.")).to_be_visible()
    shot("3-plan-page")
    plan = TaperPlan.objects.get()
    assert plan.status == "active"

    page.get_by_role("link", name="Patient schedule").click()
    expect(page.get_by_role("heading", name=re.compile("Your dose schedule"))).to_be_visible()
    expect(page.get_by_text("None: you have stopped")).to_be_visible()
    page.emulate_media(media="print")
    shot("4-printable-schedule")
    pdf_path = "tests/e2e/artifacts/schedule.pdf"
    page.pdf(path=pdf_path, format="A4")
