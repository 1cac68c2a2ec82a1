import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from symptoms.models import SymptomLog
from tests.e2e.test_patient_journey import sign_in
from tests.factories import make_plan

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_nurse_enters_a_log_by_keyboard_and_sees_it_on_the_timeline(
    live_server, page, shot, staff, clinician, patient
):
    make_plan(patient, start=timezone.localdate(timezone=patient.clinic.zone) - timedelta(days=20))
    sign_in(page, live_server, "staff")
    page.goto(f"{live_server.url}/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Today").click()
    expect(page.get_by_role("heading", name="Today")).to_be_visible()
    page.get_by_role("row", name=re.compile("Smith, Anna")).get_by_role("link", name="Log").click()
    expect(page.get_by_role("heading", name=re.compile("CIWA-B assessment"))).to_be_visible()

    # Keyboard only: focus the first row, type a digit per row, then tab through the vitals.
    # The form's script is deferred: keys typed before it runs would be lost (a loaded machine).
    expect(page.locator("#log-form")).to_have_attribute("data-enhanced", "true")
    page.locator("#id_irritable_0").focus()
    page.keyboard.type("21221101210110100" + "210")
    expect(page.locator("#running-total")).to_have_text("19")
    expect(page.locator("#running-band")).to_contain_text("mild")
    expect(page.locator("#id_heart_rate")).to_be_focused()
    page.keyboard.type("132")
    for value in ("138", "86", "37.2", "18"):
        page.keyboard.press("Tab")
        page.keyboard.type(value)
    expect(page.get_by_text("Unusual: check again").first).to_be_visible()  # pulse 132
    shot("1-entry")
    page.keyboard.press("Enter")

    expect(page.get_by_text("Log saved: CIWA-B 19 (mild).")).to_be_visible()
    expect(page.get_by_role("heading", name="Logs")).to_be_visible()
    expect(page.locator(".logs-table tbody tr").first).to_contain_text("19")
    expect(page.locator("#timeline-chart svg")).to_be_visible()
    chart_text = page.locator("#timeline-chart").inner_text()
    assert "CIWA-B" in chart_text
    log = SymptomLog.objects.get()
    assert (log.total, log.heart_rate, log.source, log.recorded_by) == (19, 132, "staff", staff)
    shot("2-timeline")

    page.get_by_role("link", name="Per reduction").click()
    expect(page.get_by_role("heading", name="Response to each reduction")).to_be_in_viewport()
    expect(page.locator(".reductions-table tbody tr")).to_have_count(1)
    shot("3-reductions")
