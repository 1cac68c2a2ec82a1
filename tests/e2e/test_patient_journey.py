import re

import pytest
from playwright.sync_api import expect

from patients.models import Patient
from tests.factories import PASSWORD, PatientFactory

# Transactional: the live server reads committed rows.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def sign_in(page, live_server, username):
    page.goto(f"{live_server.url}/patients/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_a_clinician_adds_a_patient_finds_it_and_opens_it(
    live_server, page, shot, clinician, riverside
):
    for family in ("Abbott", "Brennan", "Castillo"):  # fixed names: a random one could match
        PatientFactory(clinic=riverside, family_name=family)
    sign_in(page, live_server, "clinician")
    expect(page.get_by_role("heading", name="Patients")).to_be_visible()
    shot("1-list")

    page.get_by_role("link", name="Add patient").first.click()
    page.get_by_label("MRN").fill("RIV-900")
    page.get_by_label("Given name").fill("Rosa")
    page.get_by_label("Family name").fill("Delgado")
    page.get_by_label("Date of birth").fill("2999-01-01")
    page.get_by_label("History of seizures or epilepsy").check()
    page.get_by_role("button", name="Save patient").click()
    # A future birth date is refused with a message on the field, nothing saved.
    expect(page.get_by_text("The date of birth cannot be in the future.")).to_be_visible()
    shot("2-form-error")
    assert not Patient.objects.filter(mrn="RIV-900").exists()

    page.get_by_label("Date of birth").fill("1972-07-04")
    page.get_by_role("button", name="Save patient").click()
    expect(page.get_by_role("heading", name="Delgado, Rosa")).to_be_visible()
    expect(page.get_by_text("Patient Rosa Delgado added.")).to_be_visible()
    shot("3-detail")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Patients").click()
    page.get_by_label("Name or MRN").fill("delg")
    page.get_by_role("button", name="Search").click()
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(1)
    shot("4-search")
    rows.get_by_role("link", name="Delgado, Rosa").click()
    expect(page.get_by_role("heading", name="Delgado, Rosa")).to_be_visible()
    expect(page.get_by_text("History of seizures or epilepsy")).to_be_visible()
    patient = Patient.objects.get(mrn="RIV-900")
    assert page.url.endswith(f"/patients/{patient.pk}/")
    assert patient.created_by == clinician


def test_the_layout_holds_on_a_tablet(live_server, browser, clinician, patient):
    context = browser.new_context(viewport={"width": 768, "height": 1024})
    page = context.new_page()
    sign_in(page, live_server, "clinician")
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    # The navigation collapses behind its toggler and opens on a tap.
    toggler = page.get_by_role("button", name="Toggle navigation")
    expect(toggler).to_be_visible()
    toggler.click()
    main_nav = page.get_by_role("navigation", name="Main")
    expect(main_nav.get_by_role("link", name="Patients")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 768, f"horizontal scroll on a tablet: {width}px"
    page.screenshot(path="tests/e2e/artifacts/tablet-detail.png", full_page=True)
    context.close()
