"""The printed patient schedule in a real browser (issue 15, point 7): the clinic's name and
phone and what to do if symptoms get worse, on screen and in the print layout."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_event_only_seizure_journey import AXE_FILE, axe_serious
from tests.e2e.test_patient_journey import sign_in
from tests.factories import make_plan

# Transactional: the live server reads committed rows.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.skipif(AXE_FILE is None, reason="axe-core not found (set TAPERAPP_AXE_CORE)")
def test_the_printed_schedule_tells_the_patient_whom_to_call(
    live_server, page, shot, clinician, riverside, patient
):
    riverside.phone, riverside.emergency_number = "020 7946 0321", "999"
    riverside.save()
    plan = make_plan(patient)
    sign_in(page, live_server, "clinician")
    page.goto(f"{live_server.url}{reverse('plans:schedule', kwargs={'pk': plan.pk})}")
    expect(page.get_by_role("heading", name=re.compile("Your dose schedule"))).to_be_visible()

    clinic_line = page.locator(".schedule-clinic")
    expect(clinic_line).to_contain_text("Riverside Recovery Centre")
    expect(clinic_line).to_contain_text("020 7946 0321")
    worse = page.get_by_role("region", name="What to do if your symptoms get worse")
    expect(worse).to_contain_text("Do not stop or skip doses on your own")
    expect(worse).to_contain_text("call the clinic on 020 7946 0321 straight away")
    expect(worse).to_contain_text("call the emergency number 999 now")
    expect(page.locator(".schedule-table tbody tr").first).to_be_visible()
    shot("1-screen")
    assert axe_serious(page) == []

    page.emulate_media(media="print")
    # About an A4 sheet inside Chromium's default print margins, at 96 dpi.
    page.set_viewport_size({"width": 720, "height": 1050})
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    expect(page.get_by_role("link", name="Back to the plan")).to_be_hidden()
    expect(clinic_line).to_be_visible()
    expect(worse).to_be_visible()
    # The paper's first page carries the clinic's phone and the box with the emergency
    # number, whatever the length of the schedule.
    box = worse.bounding_box()
    assert box is not None and box["y"] + box["height"] < 1050, box
    shot("2-print")
    assert axe_serious(page) == []
    page.pdf(path=ARTIFACTS / "printed-schedule.pdf", format="A4")
