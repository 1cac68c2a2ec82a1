from datetime import date

import factory
from django.contrib.auth.models import Group

from patients.models import Patient
from taperapp.accounts.models import Clinic, Membership, User

PASSWORD = "correct horse battery staple"


class ClinicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clinic
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Clinic {n}")
    slug = factory.Sequence(lambda n: f"clinic-{n}")
    time_zone = "Europe/London"


class UserFactory(factory.django.DjangoModelFactory):
    """A user with an optional role and clinic: UserFactory(role="Clinician", clinic=c)."""

    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    role = None
    clinic = None

    @classmethod
    def _create(cls, model_class, *args, role=None, clinic=None, **kwargs):
        user = model_class.objects.create_user(*args, password=PASSWORD, **kwargs)
        if role:
            user.groups.add(Group.objects.get(name=role))
            if role == "Admin":
                user.is_staff = True
                user.save(update_fields=["is_staff"])
        if clinic:
            Membership.objects.get_or_create(user=user, clinic=clinic)
        return user


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    clinic = factory.SubFactory(ClinicFactory)
    mrn = factory.Sequence(lambda n: f"MRN-{n:05d}")
    given_name = factory.Faker("first_name")
    family_name = factory.Faker("last_name")
    birth_date = date(1980, 5, 17)
    sex = Patient.Sex.FEMALE


def make_plan(
    patient,
    *,
    code="clonazepam",
    start=None,
    dose="2",
    percent="10",
    interval=14,
    by=None,
    activate=True,
    justification="Reviewed with the patient; ODT available.",
):
    """A plan built through the services, as a clinician would."""
    from datetime import date
    from decimal import Decimal

    from patients.models import Medication
    from patients.plans import services as plan_services

    medication = Medication.objects.get(code=code)
    by = by or patient.primary_clinician or patient.created_by
    params = plan_services.PlanParameters(
        medication=medication,
        method="percent",
        start_date=start or date(2026, 1, 5),
        start_dose_mg=Decimal(dose),
        reduction_percent=Decimal(percent),
        interval_days=interval,
    )
    plan = plan_services.taper_plan_create(
        patient=patient, params=params, justification=justification, created_by=by
    )
    if activate:
        plan = plan_services.taper_plan_activate(plan=plan, by=by)
    return plan


def make_seizure_alert(patient, by, *, minutes_ago=60, total=22):
    """A seizure log recorded and evaluated in-process (no worker): its open critical alert."""
    from datetime import timedelta
    from unittest import mock

    from django.utils import timezone

    from symptoms.alerts import evaluation
    from symptoms.models import Alert
    from symptoms.scales import items_for_total
    from symptoms.services import LogEntry, symptom_log_record

    with mock.patch("taperapp.jobs.enqueue"):
        symptom_log_record(
            patient=patient,
            entry=LogEntry(
                assessed_at=timezone.now() - timedelta(minutes=minutes_ago),
                items=items_for_total(total),
                seizure=True,
            ),
            recorded_by=by,
        )
        evaluation.evaluate_patient(patient.pk)
    return Alert.objects.get(patient=patient, rule="seizure")
