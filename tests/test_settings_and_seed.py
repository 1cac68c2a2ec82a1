import os
import re
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from patients.models import Patient
from taperapp.accounts.models import Clinic, User


def _run_check(env_overrides, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", "check", *args],
        cwd=settings.BASE_DIR,
        env={**env, "DJANGO_SETTINGS_MODULE": "taperapp.settings.production"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_fail_loudly_when_a_required_value_is_missing():
    result = _run_check({"CELERY_BROKER_URL": "redis://127.0.0.1:6379/0"})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_the_example_env_passes_the_deploy_check():
    result = _run_check(
        {"DJANGO_ENV_FILE": str(settings.BASE_DIR / ".env.example")},
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_every_variable_read_by_the_settings_is_documented():
    example = (settings.BASE_DIR / ".env.example").read_text()
    source = "".join(
        path.read_text() for path in (settings.BASE_DIR / "taperapp" / "settings").glob("*.py")
    )

    read = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z_]+)"', source))
    assert read, "the pattern found no variables"
    missing = {name for name in read if name not in example}
    assert not missing, f"document these in .env.example: {sorted(missing)}"


def test_seed_demo_builds_the_demo_and_can_run_twice(db, capsys):
    call_command("seed_demo")
    call_command("seed_demo")
    output = capsys.readouterr().out
    assert "clinician" in output and "taper-demo-2026" in output
    assert set(Clinic.objects.values_list("slug", flat=True)) == {"riverside", "lakeside"}
    assert set(User.objects.values_list("username", flat=True)) >= {
        "clinician",
        "staff",
        "admin",
        "clinician_b",
    }
    assert User.objects.get(username="clinician").groups.get().name == "Clinician"
    assert Patient.objects.filter(clinic__slug="lakeside").count() >= 2
    assert Patient.objects.filter(status="discharged").exists()


def test_seed_demo_refuses_production_settings(db, settings):
    settings.IS_PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        call_command("seed_demo")
    assert not Clinic.objects.exists()
