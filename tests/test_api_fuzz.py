"""Schemathesis reads the API's own OpenAPI schema and sends generated requests to every
operation (random ids, then the ids of real objects of the caller's clinic, with bodies built
from the schema): none may answer 500 (issue 12), and every answer must be what the schema
says: a documented status code, the documented content type and body (issue 13).

Deterministic (derandomised), so a failure reproduces; the examples per operation are few, to
keep the suite quick, and the suite runs on SQLite and PostgreSQL alike."""

import json
import re
from datetime import timedelta
from urllib.parse import urlencode

import pytest
import schemathesis
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings

from symptoms.scales import items_for_total
from tests.factories import make_plan

pytestmark = pytest.mark.django_db

EXAMPLES_PER_OPERATION = 10


@pytest.fixture
def world(client_for, api_for, admin_user, clinician, patient, staff):
    """A clinic with a running plan, a log and an alert, and the API schema."""
    schema_dict = client_for(clinician).get(reverse("schema"), {"format": "json"}).json()
    plan = make_plan(patient, by=clinician, start=timezone.localdate() - timedelta(days=3))
    api = api_for(clinician)
    saved = api.post(
        reverse("patient-symptom-logs", kwargs={"pk": patient.pk}),
        {
            "assessed_at": (timezone.now() - timedelta(hours=1)).isoformat(),
            "items": items_for_total(26),
            "seizure": True,
        },
        format="json",
    ).json()
    ids = {
        "patients": str(patient.pk),
        "taper-plans": str(plan.pk),
        "symptom-logs": saved["id"],
        "alerts": saved["alerts"][0]["id"],
        "medications": "clonazepam",
    }
    return schemathesis.openapi.from_dict(schema_dict), ids


def send(api, case, ids=None):
    path = case.path
    for name, value in (case.path_parameters or {}).items():
        if ids is not None:
            collection = re.match(r"/api/v1/([^/]+)/", case.path).group(1)
            value = ids.get(collection, value)
        path = path.replace("{" + name + "}", str(value))
    query = urlencode(case.query or {}, doseq=True)
    url = f"{path}?{query}" if query else path
    kwargs = {}
    if case.body is not None and not isinstance(case.body, schemathesis.core.NotSet):
        kwargs = {"data": json.dumps(case.body, default=str), "content_type": "application/json"}
    return api.generic(case.method.upper(), url, **kwargs), url


def operations(schema):
    for result in schema.get_all_operations():
        yield result.ok()


def as_schemathesis_response(response, method: str, url: str):
    """The Django test client's response in the shape schemathesis validates."""
    import requests
    from schemathesis.core.transport import Response

    return Response(
        status_code=response.status_code,
        headers={name: [value] for name, value in response.items()},
        content=response.content,
        request=requests.Request(method.upper(), f"http://testserver{url}").prepare(),
        elapsed=0.0,
        verify=True,
        message=response.reason_phrase,
        encoding="utf-8",
    )


def conformance_problems(case, response, url) -> list[str]:
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    try:
        case.validate_response(
            as_schemathesis_response(response, case.method, url),
            checks=[status_code_conformance, content_type_conformance, response_schema_conformance],
        )
    except (Exception, BaseExceptionGroup) as error:  # one failure, or a group of them
        return [" ".join(str(error).split())[:300]]
    return []


def probe(api, user, operation, ids, failures, statuses):
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def one(case):
        response, url = send(api, case, ids)
        statuses[response.status_code // 100] = statuses.get(response.status_code // 100, 0) + 1
        where = f"{user.username} {operation.method.upper()} {operation.path}"
        if response.status_code >= 500:
            failures.append(
                f"{where} -> {response.status_code}: query={case.query} body={case.body!r:.300}"
            )
        for problem in conformance_problems(case, response, url):
            failures.append(f"{where} -> {response.status_code}: {problem}")

    one()


@pytest.mark.parametrize("use_real_ids", [False, True], ids=["random-ids", "real-ids"])
def test_no_generated_request_gets_a_500(world, api_for, admin_user, clinician, use_real_ids):
    schema, ids = world
    failures, statuses = [], {}
    for user in (clinician, admin_user):
        api = api_for(user)
        for operation in operations(schema):
            probe(api, user, operation, ids if use_real_ids else None, failures, statuses)
    unique = sorted(set(failures))
    assert not unique, f"{len(unique)} problems:\n" + "\n".join(unique[:40])
    # Not vacuous: the requests reached the views (answers of both kinds, many of them).
    assert statuses.get(4, 0) > 100, statuses
    if use_real_ids:
        assert statuses.get(2, 0) > 50, statuses
