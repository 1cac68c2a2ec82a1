"""Least privilege in the database (issue 13 item 3): the app's role owns nothing, so it cannot
disable a trigger; it cannot truncate, and cannot change or remove audit or history rows; the
history records deletes. Run against PostgreSQL with a role made by `manage.py db_roles`."""

import os

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from tests.factories import SymptomLogFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL roles"),
]


@pytest.fixture
def app_connection(as_database_owner, django_db_blocker):
    """A connection as a freshly made app role (its own, so the test does not depend on how
    the suite itself connects)."""
    from taperapp.workers import test_database_url

    role = f"taperapp_probe_{os.environ['TAPERAPP_TEST_RUN']}"[:63]
    db = connection.settings_dict
    call_command("db_roles", app=role, owner=db["USER"] or "postgres", verbosity=0)
    url = test_database_url().replace(f"//{db['USER'] or 'postgres'}@", f"//{role}@", 1)
    with psycopg.connect(url, autocommit=True) as conn:
        yield conn
    with connection.cursor() as cursor:
        cursor.execute(f'DROP OWNED BY "{role}"')
        cursor.execute(f'DROP ROLE IF EXISTS "{role}"')


def refused(conn, statement):
    with pytest.raises(psycopg.Error) as error:
        conn.execute(statement)
    return str(error.value)


def test_the_app_role_cannot_switch_off_or_rewrite_the_audit_and_history(
    app_connection, patient, clinician
):
    SymptomLogFactory(patient=patient, recorded_by=clinician, assessed_at=timezone.now(), total=4)
    conn = app_connection
    # It reads and writes clinical tables as the app does.
    assert conn.execute("SELECT count(*) FROM symptoms_symptomlog").fetchone()[0] == 1
    conn.execute(
        "INSERT INTO audit_auditevent (at, username, role, action, object_type, object_id, "
        "outcome, view, method, request_id, forwarded_for, client_request_id) VALUES "
        "(now(), 'probe', '', 'read', '', '', 'ok', '', '', '', '', '')"
    )
    for statement in (
        "ALTER TABLE audit_auditevent DISABLE TRIGGER ALL",
        "ALTER TABLE symptoms_symptomlogevent DISABLE TRIGGER ALL",
        "TRUNCATE audit_auditevent",
        "TRUNCATE symptoms_symptomlog CASCADE",
        "UPDATE audit_auditevent SET username = 'x'",
        "DELETE FROM audit_auditevent",
        "UPDATE symptoms_symptomlogevent SET notes = 'rewritten'",
        "DELETE FROM symptoms_symptomlogevent",
        "DELETE FROM symptoms_alertevent",
    ):
        message = refused(conn, statement)
        assert "must be owner" in message or "permission denied" in message, message


def test_the_history_records_a_raw_delete(as_database_owner, patient, clinician):
    log = SymptomLogFactory(
        patient=patient, recorded_by=clinician, assessed_at=timezone.now(), total=4
    )
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM symptoms_symptomlog WHERE id = %s", [log.pk])
    from symptoms.models import SymptomLogEvent

    kinds = list(
        SymptomLogEvent.objects.filter(pgh_obj_id=log.pk).values_list("pgh_label", flat=True)
    )
    assert "delete" in kinds, kinds
