"""factory_boy factories for every model the tests build. Plans and symptom logs are made
through their services (patients.plans.services, symptoms.services), as a clinician would make
them, never as bare rows: they have revisions, steps, scores and signals."""

from datetime import date, timedelta
from decimal import Decimal

import factory
from axes.models import AccessAttempt
from django.contrib.auth.models import Group
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from patients.models import Medication, Patient, TaperPlan
from symptoms.models import Alert, AlertThresholds, PatientEvaluation, SymptomLog
from taperapp.accounts.models import Clinic, Membership, User
from taperapp.audit.models import AuditEvent

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


class MembershipFactory(factory.django.DjangoModelFactory):
    """A user's membership of a clinic (UserFactory(clinic=...) makes one too)."""

    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    clinic = factory.SubFactory(ClinicFactory)


def _clinician_of(patient):
    """Who acts for a patient when a test names nobody: their clinician, else a new one."""
    return (
        patient.primary_clinician
        or patient.created_by
        or UserFactory(role="Clinician", clinic=patient.clinic)
    )


class TaperPlanFactory(factory.django.DjangoModelFactory):
    """A plan made through patients.plans.services: created (its first revision and steps),
    then activated unless ``activate=False``. ``code`` names the catalogue's medication; the
    other fields are PlanParameters' (strings are taken as decimals)."""

    class Meta:
        model = TaperPlan

    class Params:
        code = "clonazepam"

    patient = factory.SubFactory(PatientFactory)
    medication = factory.LazyAttribute(lambda o: Medication.objects.get(code=o.code))
    method = "percent"
    start_date = date(2026, 1, 5)
    start_dose_mg = Decimal("2")
    reduction_percent = Decimal("10")
    interval_days = 14
    created_by = factory.LazyAttribute(lambda o: _clinician_of(o.patient))
    justification = "Reviewed with the patient; ODT available."
    activate = True

    @classmethod
    def _create(cls, model_class, *, patient, created_by, justification, activate, **params):
        from patients.plans import services as plan_services

        for name in ("start_dose_mg", "reduction_percent", "reduction_mg"):
            if params.get(name) is not None:
                params[name] = Decimal(str(params[name]))
        plan = plan_services.taper_plan_create(
            patient=patient,
            params=plan_services.PlanParameters(**params),
            justification=justification,
            created_by=created_by,
        )
        if activate:
            plan = plan_services.taper_plan_activate(plan=plan, by=created_by)
        return plan


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
    """A plan built through the services, as a clinician would (TaperPlanFactory)."""
    return TaperPlanFactory(
        patient=patient,
        code=code,
        start_date=start or date(2026, 1, 5),
        start_dose_mg=dose,
        reduction_percent=percent,
        interval_days=interval,
        created_by=by or patient.primary_clinician or patient.created_by,
        activate=activate,
        justification=justification,
    )


class SymptomLogFactory(factory.django.DjangoModelFactory):
    """A log recorded through symptoms.services.symptom_log_record (validated, scored, and
    announced: the alerts are queued after commit, so patch "taperapp.jobs.enqueue" where no
    job may be queued). ``total`` picks the CIWA-B items (symptoms.scales.items_for_total);
    ``items=None`` with ``items_not_assessed_reason`` is an event-only log. Any other
    symptoms.services.LogEntry field may be given, and ``submission_key``."""

    class Meta:
        model = SymptomLog

    class Params:
        total = 10

    patient = factory.SubFactory(PatientFactory)
    recorded_by = factory.LazyAttribute(lambda o: _clinician_of(o.patient))
    assessed_at = factory.LazyFunction(lambda: timezone.now() - timedelta(minutes=30))
    items = factory.LazyAttribute(lambda o: _items_for_total(o.total))
    submission_key = None

    @classmethod
    def _create(cls, model_class, *, patient, recorded_by, submission_key=None, **fields):
        from symptoms.services import LogEntry, symptom_log_record

        log, _created = symptom_log_record(
            patient=patient,
            entry=LogEntry(**fields),
            recorded_by=recorded_by,
            submission_key=submission_key,
        )
        return log


def _items_for_total(total):
    from symptoms.scales import items_for_total

    return items_for_total(total)


class AlertFactory(factory.django.DjangoModelFactory):
    """An alert row as the evaluation leaves one, for pages and lists (make_seizure_alert
    raises a real one through the rules)."""

    class Meta:
        model = Alert

    patient = factory.SubFactory(PatientFactory)
    rule = "severe_score"
    severity = "high"
    summary = "Test"
    evidence = factory.LazyFunction(dict)
    trigger_key = factory.Sequence(lambda n: f"t{n}")
    opened_at = factory.LazyFunction(timezone.now)
    last_triggered_at = factory.LazyFunction(timezone.now)


class AlertThresholdsFactory(factory.django.DjangoModelFactory):
    """A clinic's own alert thresholds (the model's defaults unless given)."""

    class Meta:
        model = AlertThresholds

    clinic = factory.SubFactory(ClinicFactory)


class PatientEvaluationFactory(factory.django.DjangoModelFactory):
    """When the rules last read a patient."""

    class Meta:
        model = PatientEvaluation

    patient = factory.SubFactory(PatientFactory)
    evaluated_at = factory.LazyFunction(timezone.now)


class AuditEventFactory(factory.django.DjangoModelFactory):
    """One audit row (append-only: it can be created, never saved again)."""

    class Meta:
        model = AuditEvent

    user = None
    username = factory.LazyAttribute(lambda o: o.user.username if o.user else "x")
    action = "login"
    outcome = "ok"


class AccessAttemptFactory(factory.django.DjangoModelFactory):
    """django-axes' record of failed sign-ins for a username."""

    class Meta:
        model = AccessAttempt

    username = factory.Sequence(lambda n: f"user{n}")
    ip_address = "10.0.0.1"
    user_agent = "test"
    failures_since_start = 1
    attempt_time = factory.LazyFunction(timezone.now)


class TOTPDeviceFactory(factory.django.DjangoModelFactory):
    """An authenticator app (django-otp TOTP device) of a user."""

    class Meta:
        model = TOTPDevice

    user = factory.SubFactory(UserFactory)
    name = "phone"
    confirmed = True


def make_seizure_alert(patient, by, *, minutes_ago=60, total=22):
    """A seizure log recorded and evaluated in-process (no worker): its open critical alert."""
    from unittest import mock

    from symptoms.alerts import evaluation

    with mock.patch("taperapp.jobs.enqueue"):
        SymptomLogFactory(
            patient=patient,
            recorded_by=by,
            assessed_at=timezone.now() - timedelta(minutes=minutes_ago),
            total=total,
            seizure=True,
        )
        evaluation.evaluate_patient(patient.pk)
    return Alert.objects.get(patient=patient, rule="seizure")
