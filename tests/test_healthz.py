from unittest import mock

import pytest
from django.db.utils import OperationalError
from django.urls import reverse

from taperapp.celery import app as celery_app


def test_healthz_reports_ok_without_login_and_without_phi(client, patient):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}
    assert patient.family_name.encode() not in response.content
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_healthz_is_503_when_the_database_is_unreachable(client, db):
    with mock.patch("taperapp.views.connection.cursor", side_effect=OperationalError("down")):
        response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


@pytest.fixture
def unreachable_broker():
    # A real connection attempt to a port nothing listens on.
    original = celery_app.conf.broker_read_url
    celery_app.conf.broker_read_url = "redis://127.0.0.1:1/0"
    yield
    celery_app.conf.broker_read_url = original


def test_healthz_is_503_when_the_broker_is_unreachable(client, db, unreachable_broker):
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "ok", "broker": "unreachable"}


def test_healthz_only_answers_get(client, db):
    assert client.post(reverse("healthz")).status_code == 405
