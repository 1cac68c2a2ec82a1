"""Authentication, sessions, headers and input handling (issue: PHI protection)."""

import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.hashers import identify_hasher
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import PASSWORD, PatientFactory, UserFactory

START = timezone.now().replace(microsecond=0)


def sign_in(client, username="clinician", password=PASSWORD):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_passwords_are_hashed_with_argon2(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    user = UserFactory(username="hashed")
    user.set_password("a long and quiet passphrase")
    assert identify_hasher(user.password).algorithm == "argon2"


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("short one", False),
        ("password1234", False),
        ("lantern river quietly counts", True),
        ("a" * 30 + " long passphrase " * 8, True),
        ("9081726354091", True),
    ],
)
def test_password_rules_are_about_length_not_composition(password, ok, db):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    try:
        validate_password(password)
        assert ok
    except ValidationError:
        assert not ok


def test_the_session_ends_after_30_idle_minutes(clinician):
    client = Client()
    with time_machine.travel(START, tick=False):
        sign_in(client)
    with time_machine.travel(START + timedelta(minutes=29), tick=False):
        assert client.get(reverse("patients:list")).status_code == 200
    with time_machine.travel(START + timedelta(minutes=58), tick=False):  # 29 idle: still fine
        assert client.get(reverse("patients:list")).status_code == 200
    with time_machine.travel(START + timedelta(minutes=89), tick=False):  # 31 idle: gone
        response = client.get(reverse("patients:list"))
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_pages_background_refresh_is_not_activity(staff):
    """The alert dashboard refreshes itself every 15 s: that must not keep an unattended
    screen's session alive (issue 13 item 4). The refresh is served until the idle time has
    passed, then answered 401 so the page can say the session ended."""
    client = Client()
    with time_machine.travel(START, tick=False):
        sign_in(client, "staff")
        assert client.get(reverse("alerts:dashboard")).status_code == 200
    background = {"HTTP_X_TAPERAPP_BACKGROUND": "1", "HTTP_X_REQUESTED_WITH": "fetch"}
    for minutes in range(1, 30):
        with time_machine.travel(START + timedelta(minutes=minutes), tick=False):
            assert client.get(reverse("alerts:rows"), **background).status_code == 200, minutes
    with time_machine.travel(START + timedelta(minutes=31), tick=False):
        ended = client.get(reverse("alerts:rows"), **background)
        assert ended.status_code == 401
        assert "session has ended" in ended.json()["detail"]
        page = client.get(reverse("alerts:dashboard"))
        assert page.status_code == 302 and reverse("login") in page["Location"]


def test_the_session_ends_12_hours_after_sign_in_however_active(clinician):
    client = Client()
    with time_machine.travel(START, tick=False):
        sign_in(client)
    for minutes in range(20, 12 * 60, 20):
        with time_machine.travel(START + timedelta(minutes=minutes), tick=False):
            assert client.get(reverse("patients:list")).status_code == 200, minutes
    with time_machine.travel(START + timedelta(hours=12, minutes=1), tick=False):
        response = client.get(reverse("patients:list"))
        assert response.status_code == 302 and reverse("login") in response["Location"]


def test_deactivating_a_user_ends_their_session_on_the_next_request(clinician):
    client = Client()
    sign_in(client)
    assert client.get(reverse("patients:list")).status_code == 200
    clinician.is_active = False
    clinician.save(update_fields=["is_active"])
    assert client.get(reverse("patients:list")).status_code == 302


def test_logout_really_ends_the_session_and_login_issues_a_new_key(clinician):
    client = Client()
    client.get(reverse("login"))
    before = client.cookies.get(settings.SESSION_COOKIE_NAME)
    sign_in(client)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert before is None or before.value != key
    client.post(reverse("logout"))
    stale = Client()
    stale.cookies[settings.SESSION_COOKIE_NAME] = key  # replaying the old cookie
    assert stale.get(reverse("patients:list")).status_code == 302


@pytest.fixture
def mfa(settings):
    settings.MFA_REQUIRED = True


def _code(device, at):
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = at.timestamp()
    return f"{totp.token():06d}"


def test_totp_enrolment_verification_and_single_use_backup_codes(mfa, clinician):
    client = Client()
    with time_machine.travel(START, tick=False):
        response = sign_in(client)
        assert client.get(reverse("patients:list"))["Location"] == reverse("mfa_setup")
        page = client.get(reverse("mfa_setup"))
        assert page.status_code == 200 and b"data:image/svg+xml" in page.content
        device = TOTPDevice.objects.get(user=clinician)
        wrong = client.post(
            reverse("mfa_setup"),
            {"otp_token": "000000" if _code(device, START) != "000000" else "111111"},
        )
        assert "did not match" in wrong.content.decode()
    # A failed code throttles the device for a moment (django-otp): try again a bit later.
    with time_machine.travel(START + timedelta(seconds=5), tick=False):
        response = client.post(
            reverse("mfa_setup"), {"otp_token": _code(device, START + timedelta(seconds=5))}
        )
        assert response["Location"] == reverse("mfa_backup_codes")
        codes = client.get(reverse("mfa_backup_codes")).context["codes"]
        assert len(codes) == 10
        assert client.get(reverse("mfa_backup_codes")).status_code == 302  # shown once
        assert client.get(reverse("patients:list")).status_code == 200
    client.post(reverse("logout"))
    later = START + timedelta(minutes=5)
    with time_machine.travel(later, tick=False):
        sign_in(client)
        assert client.get(reverse("patients:list"))["Location"] == reverse("mfa_verify")
        assert client.post(reverse("mfa_verify"), {"otp_token": "12345"}).status_code == 200
    with time_machine.travel(later + timedelta(seconds=5), tick=False):
        assert client.post(reverse("mfa_verify"), {"otp_token": codes[0]}).status_code == 302
        assert client.get(reverse("patients:list")).status_code == 200
    client.post(reverse("logout"))
    with time_machine.travel(later + timedelta(minutes=5), tick=False):
        sign_in(client)
        reused = client.post(reverse("mfa_verify"), {"otp_token": codes[0]})
        assert reused.status_code == 200 and "did not work" in reused.content.decode()
    fresh_at = later + timedelta(minutes=6)  # past the throttle of the failed attempt
    with time_machine.travel(fresh_at, tick=False):
        fresh = client.post(reverse("mfa_verify"), {"otp_token": _code(device, fresh_at)})
        assert fresh.status_code == 302, fresh.content.decode()[-1500:]


def test_without_the_second_factor_nothing_clinical_is_reachable(mfa, clinician, patient):
    client = Client()
    sign_in(client)
    for url in (reverse("patients:list"), patient.get_absolute_url(), reverse("home")):
        assert client.get(url).status_code == 302
    assert client.post(reverse("logout")).status_code == 302


def test_security_headers(client_for, clinician, patient):
    response = client_for(clinician).get(patient.get_absolute_url())
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cache-Control"] == "no-store"


def test_no_template_carries_an_inline_script():
    for path in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        for tag in re.findall(r"<script\b[^>]*>", path.read_text()):
            assert "src=" in tag, f"inline script in {path}: {tag}"


MARKUP = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_stored_markup_renders_inert_everywhere(client_for, staff, clinician, riverside):
    from unittest import mock

    from symptoms.alerts import evaluation, workflow
    from tests.factories import SymptomLogFactory, make_plan

    patient = PatientFactory(
        clinic=riverside, given_name=MARKUP, family_name=MARKUP, mrn="X<b>1</b>"
    )
    make_plan(patient, start=timezone.localdate() - timedelta(days=10), by=clinician)
    with mock.patch("taperapp.jobs.enqueue"):
        log = SymptomLogFactory(
            patient=patient,
            recorded_by=clinician,
            assessed_at=timezone.now() - timedelta(hours=1),
            total=30,
            seizure=True,
            notes=MARKUP,
        )
        evaluation.evaluate_patient(patient.pk)
    from symptoms.models import Alert

    alert = Alert.objects.get(patient=patient, rule="seizure")
    workflow.alert_resolve(alert=alert, by=staff, note=MARKUP)
    pages = [
        reverse("patients:list"),
        patient.get_absolute_url(),
        reverse("symptoms:timeline", kwargs={"pk": patient.pk}),
        log.get_absolute_url(),
        reverse("symptoms:worklist"),
        reverse("alerts:dashboard"),
        alert.get_absolute_url(),
        patient.taper_plans.get().get_absolute_url(),
        reverse("plans:schedule", kwargs={"pk": patient.taper_plans.get().pk}),
        reverse("patients:history", kwargs={"pk": patient.pk}),
    ]
    for user in (staff, clinician):
        client = client_for(user)
        for url in pages:
            body = client.get(url).content.decode()
            assert "<script>alert" not in body and "<img src=x" not in body, url
    assert "&lt;script&gt;" in client_for(clinician).get(log.get_absolute_url()).content.decode()
    # The CSV export of the audit log carries names as data, never as a formula.
    from taperapp.audit.admin import _cell

    assert _cell("=cmd|' /C calc'!A0").startswith("'")


def test_logs_hold_no_passwords_tokens_secrets_or_patient_names(
    caplog, clinician, riverside, settings
):
    import logging

    from knox.models import AuthToken

    settings.MFA_REQUIRED = True
    caplog.set_level(logging.DEBUG)
    _instance, token = AuthToken.objects.create(user=clinician)
    client = Client()
    client.post(reverse("login"), {"username": "clinician", "password": "a wrong password here"})
    sign_in(client)
    client.get(reverse("mfa_setup"))
    device = TOTPDevice.objects.get(user=clinician)
    client.post(reverse("mfa_setup"), {"otp_token": _code(device, timezone.now())})
    api = Client(HTTP_AUTHORIZATION=f"Token {token}")
    api.post(
        reverse("patient-list"),
        {
            "clinic": "riverside",
            "mrn": "LOG-1",
            "given_name": "Zebulon",
            "family_name": "Quuxworth",
            "birth_date": "1970-01-01",
        },
        content_type="application/json",
    )
    api.get(reverse("patient-list"), {"status": "bogus"})
    text = caplog.text
    for secret in (
        PASSWORD,
        "a wrong password here",
        token,
        device.key,
        "Zebulon",
        "Quuxworth",
    ):
        assert secret not in text


def test_state_changes_need_post(client_for, clinician, patient):
    client = client_for(clinician)
    assert (
        client.get(reverse("patients:discharge", kwargs={"pk": patient.pk})).status_code == 200
    )  # the form
    assert client.get(reverse("logout")).status_code == 405
    csrf = Client(enforce_csrf_checks=True)
    csrf.force_login(clinician)
    assert (
        csrf.post(
            reverse("patients:discharge", kwargs={"pk": patient.pk}), {"reason": "x"}
        ).status_code
        == 403
    )
    patient.refresh_from_db()
    assert patient.is_active


def test_time_is_real_outside_the_travels():
    assert abs(time.time() - timezone.now().timestamp()) < 5
