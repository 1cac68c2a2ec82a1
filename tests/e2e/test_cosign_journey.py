"""A clinic that asks for co-signs: a clinician builds a plan that departs from the guideline,
cannot start it; a colleague reviews it in the browser and co-signs; the author starts it.
Screenshots of each page state; axe on the plan page."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from patients.models import TaperPlan
from patients.plans import services as plan_services
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_event_only_seizure_journey import axe_serious
from tests.e2e.test_patient_journey import sign_in
from tests.test_plan_cosign import FAST, REASONS, _params

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_colleague_cosigns_a_fast_plan_before_its_author_starts_it(
    live_server, browser, page, shot, clinician, colleague, patient, riverside
):
    riverside.plans_need_cosign = True
    riverside.save(update_fields=["plans_need_cosign"])
    plan = plan_services.taper_plan_create(
        patient=patient, params=_params(**FAST), justification=REASONS, created_by=clinician
    )

    sign_in(page, live_server, "clinician")
    page.goto(f"{live_server.url}{plan.get_absolute_url()}")
    expect(page.locator("#cosign-needed")).to_be_visible()
    expect(page.locator('[data-tier="deviation"]')).to_be_visible()
    expect(page.locator('[data-tier="note"]')).to_be_visible()
    expect(page.get_by_role("button", name="Co-sign plan")).to_have_count(0)
    page.get_by_role("button", name="Activate plan").click()
    expect(page.get_by_text("ask a colleague to review and co-sign it")).to_be_visible()
    shot("1-author-cannot-start")
    assert axe_serious(page) == []
    assert TaperPlan.objects.get().status == "draft"

    other = browser.new_context(viewport={"width": 1024, "height": 768}).new_page()
    sign_in(other, live_server, "colleague")
    other.goto(f"{live_server.url}{plan.get_absolute_url()}")
    other.get_by_label("Co-sign as the second clinician").fill(
        "Reviewed the weekly pace with the team: agreed for the inpatient admission."
    )
    other.get_by_role("button", name="Co-sign plan").click()
    expect(other.get_by_text("Plan co-signed.")).to_be_visible()
    expect(other.locator("#cosigned")).to_contain_text("Reviewed the weekly pace")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    other.screenshot(path=ARTIFACTS / "cosign-2-colleague-cosigned.png", full_page=True)
    assert axe_serious(other) == []
    other.context.close()

    page.reload()
    expect(page.locator("#cosign-needed")).to_have_count(0)
    page.get_by_role("button", name="Activate plan").click()
    expect(page.get_by_text("Plan activated.")).to_be_visible()
    shot("3-started-after-cosign")
    revision = TaperPlan.objects.get().current_revision
    assert TaperPlan.objects.get().status == "active"
    assert revision.cosigned_by == colleague and revision.cosigned_at <= timezone.now()
