"""A night-shift clinician records a seizure in a patient who cannot answer the CIWA-B: an
event-only log entered by keyboard, the critical alert named at once, on the patient page and
first on the Today worklist, and a timeline that shows no score rather than 0."""

import os
import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from patients.models import Medication
from patients.plans import services as plan_services
from symptoms.models import Alert, SymptomLog
from tests.e2e.test_patient_journey import sign_in
from tests.factories import PatientFactory

# Transactional: the live server reads committed rows.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

REASON = "post-ictal, not responding"
ROOT = Path(__file__).resolve().parents[2]
# axe-core is not one of the project's packages: the file comes from TAPERAPP_AXE_CORE (a path
# to axe.min.js, e.g. from `npm install --prefix /tmp/axe axe-core`) or node_modules/axe-core.
AXE_CANDIDATES = [Path(path) for path in [os.environ.get("TAPERAPP_AXE_CORE", "")] if path] + [
    ROOT / "node_modules" / "axe-core" / "axe.min.js"
]
AXE_FILE = next((path for path in AXE_CANDIDATES if path.is_file()), None)


def active_plan(patient, by):
    start = timezone.localdate(timezone=patient.clinic.zone) - timedelta(days=20)
    params = plan_services.PlanParameters(
        medication=Medication.objects.get(code="clonazepam"),
        method="percent",
        start_date=start,
        start_dose_mg=Decimal("2"),
        reduction_percent=Decimal("10"),
        interval_days=14,
    )
    plan = plan_services.taper_plan_create(
        patient=patient, params=params, justification="test", created_by=by
    )
    return plan_services.taper_plan_activate(plan=plan, by=by)


def tab_to(page, selector, limit=80):
    """Press Tab until the element is focused: it must be reachable by keyboard alone."""
    target = page.locator(selector)
    for _ in range(limit):
        if target.evaluate("el => el === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} not reached in {limit} presses of Tab")


def axe_serious(page):
    """axe-core's serious and critical violations on the page as it stands (all its rules)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_FILE.read_text(encoding="utf-8"))  # evaluated, so the CSP allows it
    result = page.evaluate("async () => await window.axe.run(document)")
    return [
        f"{v['id']} ({v['impact']}, {len(v['nodes'])} nodes): {v['help']} -> "
        + "; ".join(
            f"{' '.join(node['target'])} [{(node['any'] or node['all'] or [{}])[0].get('message')}]"
            for node in v["nodes"][:3]
        )
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def seizure_journey(live_server, page, shot, clinician, patient, audit):
    """The journey; audit(label) is called on each page once it has settled."""
    errors, earlier_errors, console = [], [], []
    page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
    page.on(
        "console",
        lambda message: (
            console.append(f"{page.url}: {message.text}") if message.type == "error" else None
        ),
    )
    active_plan(patient, clinician)
    other = PatientFactory(
        clinic=patient.clinic,
        mrn="RIV-002",
        given_name="Beth",
        family_name="Aaronson",  # sorts first by name: the alert must beat it
        primary_clinician=clinician,
        created_by=clinician,
    )
    active_plan(other, clinician)  # due today too, with no alert

    with mock.patch("taperapp.jobs.enqueue"):  # the view evaluates at once; no worker here
        sign_in(page, live_server, "clinician")
        expect(page.get_by_role("heading", name="Patients")).to_be_visible()
        page.goto(f"{live_server.url}{reverse('symptoms:log_create', args=[patient.pk])}")
        expect(page.get_by_role("heading", name=re.compile("CIWA-B assessment"))).to_be_visible()

        expect(page.locator("#log-form")).to_have_attribute("data-enhanced", "true")
        audit("new log (empty)")
        page.evaluate("() => document.activeElement && document.activeElement.blur()")

        # Keyboard only, from the top of the page.
        tab_to(page, "#id_items_not_assessed")
        page.keyboard.press("Space")
        expect(page.locator("#id_items_not_assessed")).to_be_checked()
        reason = page.locator("#id_items_not_assessed_reason")
        expect(reason).to_be_visible()
        if not reason.evaluate("el => el === document.activeElement"):
            tab_to(page, "#id_items_not_assessed_reason")
        page.keyboard.type(REASON)
        expect(reason).to_have_value(REASON)
        expect(page.locator("#id_irritable_0")).to_be_disabled()  # the scores are set aside
        expect(page.locator("#running-total")).not_to_have_text("0")
        tab_to(page, "#id_seizure")
        page.keyboard.press("Space")
        expect(page.locator("#id_seizure")).to_be_checked()
        tab_to(page, "#log-form button[type=submit]")
        expect(page.locator("#log-form button[type=submit]")).to_have_text("Save log")
        shot("1-filled-form")
        audit("new log (filled)")
        if not page.evaluate("() => document.activeElement.matches('#log-form [type=submit]')"):
            tab_to(page, "#log-form button[type=submit]")  # axe's run may move the focus
        page.keyboard.press("Enter")

        # The confirmation names the critical alert, with a link to it.
        raised = page.locator(".messages .alert").filter(has_text="This log raised")
        expect(raised).to_be_visible()
        expect(raised).to_contain_text("Seizure")
        expect(raised.get_by_role("link", name=re.compile("Seizure"))).to_be_visible()
        expect(page.get_by_text(re.compile("Log saved: event only"))).to_be_visible()
        log = SymptomLog.objects.get(patient=patient)
        assert (log.total, log.severity, log.seizure) == (None, None, True)
        assert log.items_not_assessed_reason == REASON
        alert = Alert.objects.get(patient=patient, rule="seizure")
        assert alert.severity == "critical" and alert.status == "open"
        assert not Alert.objects.filter(patient=other).exists()
        link = raised.get_by_role("link", name=re.compile("Seizure"))
        assert link.get_attribute("href").endswith(alert.get_absolute_url())
        seen = {
            "raised_class": raised.get_attribute("class"),
            "raised_role": raised.get_attribute("role"),
        }
        shot("2-confirmation")
        audit("timeline with confirmation")

        # The patient page: the open alert at the top.
        page.goto(f"{live_server.url}{reverse('patients:detail', args=[patient.pk])}")
        alerts = page.get_by_role("region", name=re.compile("open alert"))
        expect(alerts).to_be_visible()
        expect(alerts).to_contain_text("Seizure reported")
        expect(alerts).to_contain_text("Critical")
        above = alerts.evaluate(
            "el => el.compareDocumentPosition(document.querySelector('#taper-heading'))"
            " & Node.DOCUMENT_POSITION_FOLLOWING"
        )
        assert above, "the open alerts are not above the taper section"
        shot("3-patient-page")
        audit("patient page")

        # Today: the seizure patient first, before Aaronson.
        page.goto(f"{live_server.url}/today/")
        expect(page.get_by_role("heading", name="Today")).to_be_visible()
        rows = page.locator(".worklist-table tbody tr")
        expect(rows).to_have_count(2)
        expect(rows.nth(0)).to_contain_text("Smith, Anna")
        expect(rows.nth(1)).to_contain_text("Aaronson, Beth")
        expect(rows.nth(0).locator(".worklist-alerts")).to_contain_text(
            re.compile("critical", re.IGNORECASE)
        )
        expect(rows.nth(1).locator(".worklist-alerts")).to_have_text("—")
        shot("4-today")
        audit("today")

        # The timeline: no page error, and no score (not 0) for the event-only log.
        earlier_errors[:], errors[:] = errors, []
        page.goto(f"{live_server.url}{reverse('symptoms:timeline', args=[patient.pk])}")
        expect(page.get_by_role("heading", name="Logs")).to_be_visible()
        expect(page.locator("#timeline-chart svg, #timeline-chart canvas").first).to_be_visible()
        row = page.locator(f"#log-{log.pk}")
        expect(row).to_contain_text("seizure")
        shot("5-timeline")
        audit("timeline")
        page.wait_for_timeout(500)  # let the chart script finish
        # Returned, not asserted here, so the accessibility test reaches every page whatever
        # the timeline shows.
        cells = row.locator("td")
        seen.update(
            score=cells.nth(1).inner_text().strip(),
            severity=cells.nth(2).inner_text().strip(),
            errors=errors,
            earlier_errors=earlier_errors,
            console=console,
        )
        return seen


def test_an_event_only_seizure_log_by_keyboard_raises_a_critical_alert_shown_everywhere(
    live_server, page, shot, clinician, patient
):
    seen = seizure_journey(live_server, page, shot, clinician, patient, audit=lambda label: None)
    problems = []
    if seen["errors"]:
        problems.append(f"JavaScript errors on the timeline: {seen['errors']}")
    if seen["earlier_errors"]:
        problems.append(f"JavaScript errors earlier in the journey: {seen['earlier_errors']}")
    print("console errors:", seen["console"])  # shown with the failure, if any
    # The critical alert is said as an error message: red, and announced (role="alert").
    if "alert-danger" not in seen["raised_class"].split() or seen["raised_role"] != "alert":
        problems.append(
            "the 'This log raised' message is not shown as a danger alert: "
            f"class={seen['raised_class']!r} role={seen['raised_role']!r}"
        )
    # No score, not 0: the cells are blank or a dash, never a number nor Python's None.
    for column in ("score", "severity"):
        shown = seen[column]
        if shown in ("0", "None") or re.fullmatch(r"\d+", shown):
            problems.append(f"the event-only log's timeline row shows a {column} of {shown!r}")
    assert problems == [], "\n".join(problems)


@pytest.mark.skipif(AXE_FILE is None, reason="axe-core not found (set TAPERAPP_AXE_CORE)")
def test_the_seizure_journey_pages_have_no_serious_accessibility_violations(
    live_server, page, clinician, patient
):
    found = {}

    def audit(label):
        violations = axe_serious(page)
        if violations:
            found[label] = violations

    seizure_journey(live_server, page, lambda step: None, clinician, patient, audit)
    assert found == {}, "axe-core serious/critical violations:\n" + "\n".join(
        f"{label}: {v}" for label, items in found.items() for v in items
    )
