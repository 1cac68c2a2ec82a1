"""Personas for every access rule (docs/architecture.md, Tests): a clinician and a colleague at
Riverside, an
outsider clinician at Lakeside, a staff member and an admin at Riverside, and a signed-in
user with no role."""

import pytest
from rest_framework.test import APIClient

from taperapp import jobs
from tests.factories import ClinicFactory, PatientFactory, UserFactory


@pytest.fixture
def riverside(db):
    return ClinicFactory(slug="riverside", name="Riverside Recovery Centre")


@pytest.fixture
def lakeside(db):
    return ClinicFactory(slug="lakeside", name="Lakeside Treatment Clinic")


@pytest.fixture
def clinician(riverside):
    return UserFactory(username="clinician", role="Clinician", clinic=riverside)


@pytest.fixture
def colleague(riverside):
    return UserFactory(username="colleague", role="Clinician", clinic=riverside)


@pytest.fixture
def outsider(lakeside):
    return UserFactory(username="outsider", role="Clinician", clinic=lakeside)


@pytest.fixture
def staff(riverside):
    return UserFactory(username="staff", role="Staff", clinic=riverside)


@pytest.fixture
def admin_user(riverside):
    return UserFactory(username="admin", role="Admin", clinic=riverside)


@pytest.fixture
def roleless(riverside):
    return UserFactory(username="roleless", clinic=riverside)


@pytest.fixture
def patient(riverside, clinician):
    return PatientFactory(
        clinic=riverside,
        mrn="RIV-001",
        given_name="Anna",
        family_name="Smith",
        primary_clinician=clinician,
        created_by=clinician,
    )


@pytest.fixture
def personas(clinician, colleague, outsider, staff, admin_user, roleless):
    return {
        "clinician": clinician,
        "colleague": colleague,
        "outsider": outsider,
        "staff": staff,
        "admin": admin_user,
        "roleless": roleless,
    }


@pytest.fixture
def client_for(client):
    """client_for(user) -> a Django test client signed in as that user (None: anonymous)."""

    def sign_in(user):
        client.logout()
        if user is not None:
            client.force_login(user)
        return client

    return sign_in


@pytest.fixture
def api_for():
    """api_for(user) -> a DRF client authenticated with the user's token (None: anonymous)."""
    from knox.models import AuthToken

    tokens = {}

    def authenticate(user):
        api = APIClient()
        if user is not None:
            if user.pk not in tokens:
                tokens[user.pk] = AuthToken.objects.create(user=user)[1]
            api.credentials(HTTP_AUTHORIZATION=f"Token {tokens[user.pk]}")
        return api

    return authenticate


@pytest.fixture(autouse=True)
def broker_backoff_cleared():
    """A test that stopped the broker leaves no back-off for the next (taperapp.jobs)."""
    jobs.reset_backoff()
    yield
    jobs.reset_backoff()


# --- PostgreSQL as the app's least-privilege role (.ci/run sets TAPERAPP_TEST_AS_APP_ROLE) -----
# The test database is created and migrated by the owner (the configured user), then every
# test runs as a role made by `manage.py db_roles`: what the app can and cannot do in
# production is what the suite exercises. Only the flush between transactional tests (a
# TRUNCATE, which the app role may not do) and the final drop run as the owner.


def _as_role(role: str):
    from django.db import connections

    for conn in connections.all():
        conn.close()
        conn.settings_dict["USER"] = role


_ROLES = {}


@pytest.fixture
def as_database_owner():
    """For the few tests that do what only the owner may (seed_scale's bulk load switches
    triggers off; making roles): list it before ``db`` so the test's transaction is the
    owner's. A no-op unless the suite runs as the app's role."""
    if not _ROLES:
        yield
        return
    _as_role(_ROLES["owner"])
    try:
        yield
    finally:
        _as_role(_ROLES["app"])


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    import os

    from django.core.management import call_command
    from django.db import connection

    if not os.environ.get("TAPERAPP_TEST_AS_APP_ROLE") or connection.vendor != "postgresql":
        yield
        return
    owner = connection.settings_dict["USER"] or "postgres"
    app_role = f"taperapp_app_{os.environ['TAPERAPP_TEST_RUN']}"[:63]
    with django_db_blocker.unblock():
        call_command("db_roles", app=app_role, owner=owner, verbosity=0)
    from django.core.management.commands import flush

    original_handle = flush.Command.handle

    def flush_as_owner(self, *args, **options):
        _as_role(owner)
        try:
            return original_handle(self, *args, **options)
        finally:
            _as_role(app_role)

    flush.Command.handle = flush_as_owner
    _as_role(app_role)
    _ROLES.update(owner=owner, app=app_role)
    try:
        yield
    finally:
        flush.Command.handle = original_handle
        _ROLES.clear()
        _as_role(owner)
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute(f'DROP OWNED BY "{app_role}"')
            cursor.execute(f'DROP ROLE IF EXISTS "{app_role}"')
