import re
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from symptoms.alerts import evaluation
from symptoms.models import Alert
from symptoms.scales import items_for_total
from symptoms.services import LogEntry, symptom_log_record
from tests.e2e.test_patient_journey import sign_in
from tests.factories import make_seizure_alert

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_staff_see_a_new_critical_alert_arrive_acknowledge_and_resolve_it(
    live_server, page, shot, staff, clinician, patient
):
    with mock.patch("taperapp.jobs.enqueue"):  # the evaluation is run here, not by a worker
        sign_in(page, live_server, "staff")
        page.goto(f"{live_server.url}/")
        expect(page.get_by_role("heading", name="Alerts")).to_be_visible()
        expect(page.get_by_text("No unresolved alerts")).to_be_visible()
        shot("1-quiet")

        symptom_log_record(
            patient=patient,
            entry=LogEntry(
                assessed_at=timezone.now() - timedelta(minutes=3),
                items=items_for_total(24),
                seizure=True,
                heart_rate=118,
            ),
            recorded_by=clinician,
        )
        evaluation.evaluate_patient(patient.pk)
        alert = Alert.objects.get(patient=patient, rule="seizure")

        # No reload: the dashboard refreshes itself and the row appears.
        row = page.locator(f"#alert-{alert.pk}")
        expect(row).to_be_visible(timeout=15000)
        expect(row).to_contain_text("Critical")
        expect(row).to_contain_text("Seizure reported")
        expect(page.locator("#alert-counts")).to_contain_text("Critical 1")
        shot("2-alert-arrived")

        row.get_by_role("button", name="Acknowledge").click()
        expect(row.get_by_role("cell", name=re.compile("Acknowledged"))).to_be_visible()
        alert.refresh_from_db()
        assert alert.status == "acknowledged" and alert.acknowledged_by == staff
        shot("3-acknowledged")

        row.get_by_text("More").click()
        row.get_by_label("Resolve: what was done").fill("Seen by the doctor; neuro obs hourly.")
        shot("4-resolving")
        row.get_by_role("button", name="Resolve").click()
        expect(page.locator(f"#alert-{alert.pk}")).to_contain_text("Resolved")
        shot("5-resolved")
        alert.refresh_from_db()
        assert alert.status == "resolved"
        assert list(alert.events.values_list("kind", flat=True)) == [
            "opened",
            "acknowledged",
            "resolved",
        ]

        page.goto(f"{live_server.url}{alert.get_absolute_url()}")
        expect(page.get_by_role("heading", name="History")).to_be_visible()
        expect(page.get_by_text("Seen by the doctor; neuro obs hourly.").first).to_be_visible()
        shot("6-alert-page")


def test_when_the_session_ends_the_dashboard_says_so_and_shows_no_stale_alerts(
    live_server, page, shot, staff, clinician, patient
):
    """An unattended night-shift screen: once the session is over, the next refresh replaces
    the alerts and their buttons with a plain notice and a way to sign in again."""
    from django.contrib.sessions.models import Session

    from tests.e2e.test_event_only_seizure_journey import axe_serious

    make_seizure_alert(patient, clinician, minutes_ago=3, total=24)
    sign_in(page, live_server, "staff")
    page.goto(f"{live_server.url}/alerts/")
    expect(page.get_by_role("button", name="Acknowledge").first).to_be_visible()
    Session.objects.all().delete()  # the session ends on the server (idle time, sign-out...)
    notice = page.locator("#session-ended")
    expect(notice).to_be_visible(timeout=15000)
    expect(notice).to_contain_text("Your session has ended")
    expect(page.get_by_role("link", name="Sign in again")).to_be_visible()
    expect(page.get_by_role("button", name="Acknowledge")).to_have_count(0)
    expect(page.locator("tr[data-alert]")).to_have_count(0)
    expect(page.locator("#alert-badge")).to_have_count(0)
    assert page.title().startswith("Session ended")
    shot("session-ended")
    assert axe_serious(page) == []
