import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from patients.models import Patient, TaperPlan
from symptoms.models import Alert, SymptomLog


def test_seed_scale_makes_a_reproducible_network(as_database_owner, db, capsys):
    call_command("seed_scale", clinics=2, patients=20, days=5, seed=7, alert_share=0.5)
    assert Patient.objects.count() == 20
    assert SymptomLog.objects.count() == 20 * 5
    statuses = set(TaperPlan.objects.values_list("status", flat=True))
    assert {"active", "completed"} <= statuses
    assert Alert.objects.filter(status="open").exists()
    first = sorted(SymptomLog.objects.values_list("total", flat=True))
    assert "20 patients" in capsys.readouterr().out
    SymptomLog.objects.all().delete()
    Alert.objects.all().delete()
    TaperPlan.objects.all().update(current_revision=None)
    from patients.models import TaperPlanRevision, TaperStep
    from symptoms.models import PatientEvaluation

    TaperStep.objects.all().delete()
    TaperPlanRevision.objects.all().delete()
    TaperPlan.objects.all().delete()
    PatientEvaluation.objects.all().delete()
    Patient.objects.all().delete()
    call_command("seed_scale", clinics=2, patients=20, days=5, seed=7, alert_share=0.5)
    assert sorted(SymptomLog.objects.values_list("total", flat=True)) == first


def test_seed_scale_refuses_production(db, settings):
    settings.IS_PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        call_command("seed_scale", patients=1, days=1)
