"""Addresses people keep: bookmarks, printed schedules and the links of alert e-mails. Moving
code between modules must never move a page (a restructuring once doubled the plan prefix)."""

import uuid

import pytest
from django.urls import resolve, reverse

ID = uuid.UUID("12345678-1234-5678-1234-567812345678")

PATHS = [
    ("patients:list", {}, "/patients/"),
    ("patients:detail", {"pk": ID}, f"/patients/{ID}/"),
    ("plans:create", {"pk": ID}, f"/patients/{ID}/plans/new/"),
    ("plans:preview", {"pk": ID}, f"/patients/{ID}/plans/preview/"),
    ("plans:detail", {"pk": ID}, f"/plans/{ID}/"),
    ("plans:schedule", {"pk": ID}, f"/plans/{ID}/schedule/"),
    ("plans:revise", {"pk": ID}, f"/plans/{ID}/revise/"),
    ("plans:hold", {"pk": ID}, f"/plans/{ID}/hold/"),
    ("plans:step_back", {"pk": ID}, f"/plans/{ID}/step-back/"),
    ("symptoms:log_create", {"pk": ID}, f"/patients/{ID}/logs/new/"),
    ("symptoms:timeline", {"pk": ID}, f"/patients/{ID}/timeline/"),
    ("symptoms:log_detail", {"pk": ID}, f"/logs/{ID}/"),
    ("symptoms:worklist", {}, "/today/"),
    ("alerts:dashboard", {}, "/alerts/"),
    ("alerts:detail", {"pk": ID}, f"/alerts/{ID}/"),
    ("alerts:acknowledge", {"pk": ID}, f"/alerts/{ID}/acknowledge/"),
    ("alerts:hold_taper", {"pk": ID}, f"/alerts/{ID}/hold-taper/"),
]


@pytest.mark.parametrize(("name", "kwargs", "path"), PATHS, ids=[p[0] for p in PATHS])
def test_every_page_keeps_its_address(name, kwargs, path):
    assert reverse(name, kwargs=kwargs) == path
    match = resolve(path)
    assert f"{match.namespace}:{match.url_name}" == name
