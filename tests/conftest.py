"""Personas for every access rule (style.md): a clinician and a colleague at Riverside, an
outsider clinician at Lakeside, a staff member and an admin at Riverside, and a signed-in
user with no role."""

import pytest
from rest_framework.test import APIClient

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
    """A test that stopped the broker leaves no back-off for the next (symptoms.tasks)."""
    from symptoms import tasks

    tasks._broker_down_until = 0.0
    yield
    tasks._broker_down_until = 0.0
