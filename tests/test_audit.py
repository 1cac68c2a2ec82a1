"""PHI access is audited, append-only; other clinics' objects are 404 and the refusal audited."""

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from symptoms.alerts import evaluation
from symptoms.models import Alert
from taperapp.audit.models import AuditEvent
from tests.factories import PASSWORD, AuditEventFactory, SymptomLogFactory, make_plan


@pytest.fixture
def world(patient, clinician):
    """One object of each kind at Riverside."""
    plan = make_plan(patient)
    with mock.patch("taperapp.jobs.enqueue"):
        log = SymptomLogFactory(
            patient=patient,
            recorded_by=clinician,
            assessed_at=timezone.now() - timedelta(hours=1),
            total=22,
            seizure=True,
        )
        evaluation.evaluate_patient(patient.pk)
    return {
        "patient": patient,
        "plan": plan,
        "log": log,
        "alert": Alert.objects.get(patient=patient, rule="seizure"),
    }


def _reads(client, url, **params):
    before = AuditEvent.objects.count()
    response = client.get(url, params)
    assert response.status_code == 200, url
    return response, list(AuditEvent.objects.order_by("id")[before:])


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("patients:detail", "patient"),
        ("patients:list", None),
        ("symptoms:timeline", "patient"),
        ("patient-detail", "patient"),
        ("patient-list", None),
        ("symptom-log-detail", "log"),
    ],
)
def test_one_audit_event_per_phi_read(name, kind, world, client_for, api_for, clinician):
    obj = world[kind] if kind else None
    url = reverse(name, kwargs={"pk": obj.pk}) if obj else reverse(name)
    client = api_for(clinician) if "-" in name else client_for(clinician)
    response, events = _reads(client, url)
    assert len(events) == 1, [(e.action, e.view) for e in events]
    [event] = events
    assert (event.action, event.outcome, event.user, event.role) == (
        "read",
        "ok",
        clinician,
        "Clinician",
    )
    assert event.status_code == 200 and event.request_id == response["X-Request-ID"]
    assert event.source_ip == "127.0.0.1"
    if obj is not None:
        assert event.object_id == str(obj.pk)
        assert event.patient_id == world["patient"].pk
    assert response["Cache-Control"] == "no-store"


def test_writes_are_audited_with_their_action(world, client_for, clinician):
    client = client_for(clinician)
    client.post(
        reverse("symptoms:log_void", kwargs={"pk": world["log"].pk}), {"reason": "wrong patient"}
    )
    client.post(
        reverse("patients:discharge", kwargs={"pk": world["patient"].pk}), {"reason": "moved"}
    )
    actions = list(
        AuditEvent.objects.filter(method="POST")
        .order_by("id")
        .values_list("action", "object_type", "outcome")
    )
    assert actions == [("void", "symptom_log", "ok"), ("discharge", "patient", "ok")]


def _object_urls(world):
    """Every URL of the app that takes an object id, with the object it points at."""
    kinds = {
        "patients:": "patient",
        "plans:create": "patient",
        "plans:preview": "patient",
        "plans:": "plan",
        "symptoms:log_detail": "log",
        "symptoms:log_amend": "log",
        "symptoms:log_void": "log",
        "alerts:": "alert",
        "symptoms:": "patient",
        "patient-": "patient",
        "taper-plan-": "plan",
        "symptom-log-": "log",
        "alert-": "alert",
    }

    def walk(patterns, namespace=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(
                    pattern.url_patterns,
                    f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace,
                )
            elif (
                isinstance(pattern, URLPattern)
                and pattern.name
                and "pk" in pattern.pattern.regex.groupindex
            ):
                yield f"{namespace}{pattern.name}"

    urls = []
    for name in sorted(set(walk(get_resolver().url_patterns))):
        if name.startswith(("admin:", "audit-event", "medication")) or (
            re.search(r"-(detail|list)$", name) and name.startswith("format")
        ):
            continue
        kind = next((k for prefix, k in kinds.items() if name.startswith(prefix)), None)
        assert kind, f"which object does {name} take? add it to the table"
        urls.append((name, reverse(name, kwargs={"pk": world[kind].pk})))
    return urls


def test_an_outsider_gets_404_for_every_object_url_and_the_refusal_is_audited(
    world, client_for, api_for, outsider
):
    urls = _object_urls(world)
    assert len(urls) > 25
    for name, url in urls:
        for method in ("get", "post"):
            client = api_for(outsider) if url.startswith("/api/") else client_for(outsider)
            before = AuditEvent.objects.count()
            response = getattr(client, method)(url, {"reason": "x", "note": "x"})
            if response.status_code == 405:
                continue  # the address has no such method: nothing is reached
            assert response.status_code == 404, (name, method, response.status_code)
            events = list(AuditEvent.objects.order_by("id")[before:])
            assert len(events) == 1, (name, method, response.status_code)
            [event] = events
            assert (event.outcome, event.user) == ("refused", outsider), (name, method)
    world["patient"].refresh_from_db()
    assert world["patient"].is_active and Alert.objects.get(pk=world["alert"].pk).status == "open"


def test_the_audit_log_is_for_admins_only(world, api_for, clinician, admin_user, client_for):
    client_for(clinician).get(world["patient"].get_absolute_url())
    assert api_for(clinician).get(reverse("audit-event-list")).status_code == 403
    rows = (
        api_for(admin_user)
        .get(reverse("audit-event-list"), {"patient": str(world["patient"].pk), "action": "read"})
        .json()
    )
    assert rows["count"] >= 1 and all(
        r["patient_id"] == str(world["patient"].pk) for r in rows["results"]
    )
    since = (timezone.now() + timedelta(hours=1)).isoformat()
    assert (
        api_for(admin_user).get(reverse("audit-event-list"), {"since": since}).json()["count"] == 0
    )
    assert (
        api_for(admin_user).get(reverse("audit-event-list"), {"since": "yesterday"}).status_code
        == 400
    )


def test_admins_export_the_audit_log_as_csv_with_formulas_neutralised(client_for, admin_user, db):
    # A field a client controls (the view or username typed) starting with a formula, on an
    # event of the admin's own clinic (other clinics' events are not exported to them).
    AuditEventFactory(
        user=admin_user,
        username=admin_user.username,
        view='=HYPERLINK("x")',
        action="read",
        outcome="ok",
    )
    response = client_for(admin_user).post(
        reverse("admin:audit_auditevent_changelist"),
        {
            "action": "export_csv",
            "_selected_action": list(AuditEvent.objects.values_list("pk", flat=True)),
        },
    )
    body = b"".join(response.streaming_content).decode()
    assert body.startswith("at,username,role,action")
    assert "'=HYPERLINK" in body


def test_the_application_cannot_change_or_delete_audit_rows(db):
    event = AuditEventFactory(username="x", action="login", outcome="ok")
    with pytest.raises(Exception, match="append-only"):
        event.save()
    with pytest.raises(Exception, match="append-only"):
        event.delete()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_update_or_delete_on_the_audit_table_fails_in_the_database(db):
    AuditEventFactory(username="x", action="login", outcome="ok")
    for sql in ("UPDATE audit_auditevent SET username = 'y'", "DELETE FROM audit_auditevent"):
        with (
            # The trigger refuses it (as the owner); as the app's role, so does the missing
            # privilege (manage.py db_roles): either way, nothing changes.
            pytest.raises(DatabaseError, match=r"append-only|permission denied"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.all().update(username="z")
    assert AuditEvent.objects.get().username == "x"


def test_logins_and_failures_are_audited_without_enumeration(client, clinician):
    wrong = client.post(reverse("login"), {"username": "clinician", "password": "nope"})
    ghost = client.post(reverse("login"), {"username": "ghost", "password": "nope"})
    assert wrong.status_code == ghost.status_code == 200
    assert wrong.context["form"].errors == ghost.context["form"].errors
    client.post(reverse("login"), {"username": "clinician", "password": PASSWORD})
    events = list(
        AuditEvent.objects.filter(action="login").order_by("id").values_list("username", "outcome")
    )
    assert events == [("clinician", "failed"), ("ghost", "failed"), ("clinician", "ok")]


def test_lockout_after_repeated_failures_is_audited_and_an_admin_lifts_it(client, clinician):
    from axes.models import AccessAttempt

    for _ in range(5):
        client.post(reverse("login"), {"username": "clinician", "password": "wrong"})
    locked = client.post(reverse("login"), {"username": "clinician", "password": PASSWORD})
    assert locked.status_code == 429
    assert b"Too many failed sign-ins" in locked.content
    ghost_locked = None
    for _ in range(6):
        ghost_locked = client.post(reverse("login"), {"username": "nobody", "password": "wrong"})
    assert ghost_locked.status_code == 429  # the same for an unknown name: no enumeration
    assert AuditEvent.objects.filter(action="lockout").exists()
    AccessAttempt.objects.filter(username="clinician").delete()  # what the admin screen does
    assert (
        client.post(reverse("login"), {"username": "clinician", "password": PASSWORD}).status_code
        == 302
    )


def test_lockout_lifts_after_the_cool_off(client, clinician):
    import time_machine

    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(5):
            client.post(reverse("login"), {"username": "clinician", "password": "wrong"})
        assert (
            client.post(
                reverse("login"), {"username": "clinician", "password": PASSWORD}
            ).status_code
            == 429
        )
    with time_machine.travel(start + timedelta(minutes=31), tick=False):
        assert (
            client.post(
                reverse("login"), {"username": "clinician", "password": PASSWORD}
            ).status_code
            == 302
        )
