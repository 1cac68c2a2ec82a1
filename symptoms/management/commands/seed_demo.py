"""Demo data so every screen shows life. Idempotent; refuses production."""

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from patients.models import Medication, Patient
from patients.plans import services as plan_services
from patients.services import patient_create, patient_discharge
from symptoms.alerts.evaluation import evaluate_patient
from symptoms.scales import items_for_total
from symptoms.services import LogEntry, symptom_log_record
from taperapp.accounts.models import Clinic, Membership, User
from taperapp.accounts.roles import Role

# Printed by the run command; the demo never runs under production settings.
DEMO_PASSWORD = "taper-demo-2026"  # noqa: S105

# slug, name, time zone, phone, emergency number (the phones are from the ranges kept for
# drama and examples: Ofcom's 020 7946 0xxx, the North American 555-01xx).
CLINICS = [
    ("riverside", "Riverside Recovery Centre", "Europe/London", "020 7946 0321", "999"),
    ("lakeside", "Lakeside Treatment Clinic", "America/Chicago", "(312) 555-0148", "911"),
]

# username, first, last, role, clinic slug, on call
USERS = [
    ("clinician", "Clara", "Nwosu", Role.CLINICIAN, "riverside", False),
    ("staff", "Sam", "Okafor", Role.STAFF, "riverside", True),
    ("admin", "Ada", "Fischer", Role.ADMIN, "riverside", False),
    ("clinician_b", "Ben", "Lindqvist", Role.CLINICIAN, "lakeside", False),
]

# clinic, MRN, given, family, birth date, sex, risk factors
PATIENTS = [
    ("riverside", "RIV-001", "Anna", "Smith", date(1981, 4, 12), "female", {"seizure_history"}),
    ("riverside", "RIV-002", "Brian", "O'Connell", date(1959, 9, 3), "male", {"alcohol_use"}),
    ("riverside", "RIV-003", "Chloe", "Martin", date(1994, 1, 27), "female", set()),
    ("riverside", "RIV-004", "Dev", "Patel", date(1975, 6, 30), "male", {"opioid_use"}),
    (
        "riverside",
        "RIV-005",
        "Eve",
        "Kowalski",
        date(1948, 11, 5),
        "female",
        {"prior_complicated_withdrawal", "other_sedative_use"},
    ),
    ("riverside", "RIV-006", "Farid", "Haddad", date(1988, 2, 14), "male", set()),
    ("riverside", "RIV-007", "Grace", "Liu", date(1969, 8, 21), "female", {"alcohol_use"}),
    ("riverside", "RIV-008", "Hugo", "Bernard", date(2001, 12, 1), "male", set()),
    ("lakeside", "LAK-001", "Ines", "Garcia", date(1983, 3, 9), "female", {"seizure_history"}),
    ("lakeside", "LAK-002", "Jon", "Eriksen", date(1966, 7, 17), "male", set()),
]
DISCHARGED = {("riverside", "RIV-008"): "Taper completed; follow-up with GP."}


class Command(BaseCommand):
    help = "Create demo clinics, users and patients (never under production settings)."

    def handle(self, *args, **options):
        if settings.IS_PRODUCTION:
            raise CommandError("seed_demo refuses to run under production settings.")
        with transaction.atomic():
            clinics = self._clinics()
            users = self._users(clinics)
            self._patients(clinics, users)
            self._plans(clinics, users)
            self._logs(clinics, users)
            self._alerts()
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, _first, _last, role, clinic, _on_call in USERS:
            self.stdout.write(f"  {username:<12} {role:<10} {clinic}")

    def _clinics(self):
        clinics = {}
        for slug, name, zone, phone, emergency in CLINICS:
            clinic, _ = Clinic.objects.get_or_create(
                slug=slug,
                defaults={
                    "name": name,
                    "time_zone": zone,
                    "phone": phone,
                    "emergency_number": emergency,
                },
            )
            if not clinic.phone and not clinic.emergency_number:  # a demo from before the fields
                clinic.phone, clinic.emergency_number = phone, emergency
                clinic.save(update_fields=["phone", "emergency_number"])
            clinics[slug] = clinic
        return clinics

    def _users(self, clinics):
        users = {}
        for username, first, last, role, clinic, on_call in USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@example.org",
                    "is_staff": role == Role.ADMIN,
                },
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
            user.groups.add(Group.objects.get(name=role))
            Membership.objects.get_or_create(
                user=user, clinic=clinics[clinic], defaults={"on_call": on_call}
            )
            users[username] = user
        return users

    def _patients(self, clinics, users):
        clinician_for = {"riverside": users["clinician"], "lakeside": users["clinician_b"]}
        for slug, mrn, given, family, born, sex, risks in PATIENTS:
            clinic = clinics[slug]
            patient = Patient.objects.filter(clinic=clinic, mrn=mrn).first()
            if patient is None:
                patient = patient_create(
                    created_by=clinician_for[slug],
                    clinic=clinic,
                    mrn=mrn,
                    given_name=given,
                    family_name=family,
                    birth_date=born,
                    sex=sex,
                    primary_clinician=clinician_for[slug],
                    **{risk: True for risk in risks},
                )
            reason = DISCHARGED.get((slug, mrn))
            if reason and patient.is_active:
                patient_discharge(patient=patient, discharged_by=clinician_for[slug], reason=reason)

    def _plans(self, clinics, users):
        """A plan in every phase of the timeline, relative to today."""
        clinician = users["clinician"]
        today = timezone.localdate(timezone=clinics["riverside"].zone)
        ago = lambda days: today - timedelta(days=days)  # noqa: E731
        why = "Demo: discussed with the patient; weekly reviews; ODT available."

        def plan(
            mrn,
            code,
            start,
            dose,
            *,
            method="percent",
            percent=None,
            mg=None,
            interval=14,
            custom=None,
            by=clinician,
        ):
            patient = Patient.objects.get(mrn=mrn)
            if patient.taper_plans.exists():
                return None
            params = plan_services.PlanParameters(
                medication=Medication.objects.prefetch_related("strengths", "equivalences").get(
                    code=code
                ),
                method=method,
                start_date=start,
                start_dose_mg=Decimal(dose),
                reduction_percent=Decimal(percent) if percent else None,
                reduction_mg=Decimal(mg) if mg else None,
                interval_days=interval,
                custom_steps=custom,
            )
            return plan_services.taper_plan_create(
                patient=patient, params=params, justification=why, created_by=by
            )

        def activate(created):
            return created and plan_services.taper_plan_activate(plan=created, by=clinician)

        # Tapering: clonazepam 2 mg, 10% every 14 days, started 40 days ago.
        activate(plan("RIV-001", "clonazepam", ago(40), "2", percent="10"))
        # Acute withdrawal: a fast alprazolam taper whose last dose was 10 days ago.
        fast = activate(
            plan(
                "RIV-002",
                "alprazolam",
                ago(60),
                "1",
                method="custom",
                custom=[
                    (ago(45), Decimal("0.75")),
                    (ago(30), Decimal("0.5")),
                    (ago(20), Decimal("0.25")),
                    (ago(9), Decimal("0")),
                ],
            )
        )
        if fast:
            plan_services.taper_plan_complete(plan=fast, by=clinician, on=ago(9))
        # Protracted withdrawal: diazepam 10 mg, 1 mg a week, finished about 80 days ago.
        slow = activate(
            plan("RIV-003", "diazepam", ago(150), "10", method="fixed", mg="1", interval=7)
        )
        if slow:
            plan_services.taper_plan_complete(plan=slow, by=clinician, on=ago(70))
        # On hold: lorazepam, held five days ago after a rough reduction.
        held = activate(plan("RIV-004", "lorazepam", ago(50), "2", percent="10"))
        if held:
            plan_services.taper_plan_hold(
                plan=held, by=clinician, reason="Tremor and insomnia after the last cut", on=ago(5)
            )
        # Pre-taper: a draft waiting for review.
        plan("RIV-005", "clonazepam", today + timedelta(days=7), "1", percent="10")
        # Post-withdrawal: finished well over a year ago.
        done = activate(
            plan("RIV-006", "diazepam", ago(560), "5", method="fixed", mg="1", interval=28)
        )
        if done:
            plan_services.taper_plan_complete(plan=done, by=clinician, on=ago(400))
        # Lakeside: one patient tapering.
        activate(plan("LAK-001", "clonazepam", ago(20), "1", percent="10", by=users["clinician_b"]))

    def _logs(self, clinics, users):
        """Daily CIWA-B logs so the timeline, worklist and reduction views show life."""

        rng = random.Random(20261126)  # noqa: S311 (demo data, reproducible by design)
        now = timezone.now()
        # MRN: (days of history, base total, rise after each cut, skip today)
        stories = {
            "RIV-001": (40, 8, 6, True),
            "RIV-002": (30, 14, 0, False),
            "RIV-003": (30, 10, 0, True),
            "RIV-004": (30, 12, 9, False),
            "LAK-001": (20, 7, 3, True),
        }
        for mrn, (days, base, rise, skip_today) in stories.items():
            patient = Patient.objects.select_related("clinic").get(mrn=mrn)
            if patient.symptom_logs.exists():
                continue
            zone = patient.clinic.zone
            today = timezone.localdate(timezone=zone)
            cuts = {
                step.start_date
                for plan in patient.taper_plans.exclude(status="draft")
                for step in plan.current_revision.steps.all()
                if step.change_percent is not None and step.change_percent < 0
            }
            by = users["clinician_b"] if mrn.startswith("LAK") else users["staff"]
            for back in range(days, -1, -1):
                day = today - timedelta(days=back)
                if back == 0 and skip_today:
                    continue
                assessed = datetime.combine(day, time(8, rng.randint(0, 50)), tzinfo=zone)
                if assessed > now:
                    assessed = now - timedelta(minutes=5)
                since_cut = min(((day - cut).days for cut in cuts if cut <= day), default=99)
                bump = rise * max(0, 5 - abs(since_cut - 4)) // 4 if since_cut < 8 else 0
                if mrn == "RIV-002":  # acute withdrawal after a fast taper: climbing
                    bump = max(0, 20 - back) // 2
                total = max(0, min(60, base + bump + rng.randint(-2, 2)))
                tremor = 2 if total > 25 else (1 if total > 15 else 0)
                entry = LogEntry(
                    assessed_at=assessed,
                    items=items_for_total(total, {"obs_tremor": tremor}),
                    source="staff" if by == users["staff"] else "clinician",
                    heart_rate=72 + total // 2 + rng.randint(-4, 4),
                    systolic_bp=118 + total // 3 + rng.randint(-6, 6),
                    diastolic_bp=76 + rng.randint(-5, 5),
                    temperature_c=Decimal("36.8") + Decimal(rng.randint(-3, 3)) / 10,
                    respiratory_rate=14 + rng.randint(-1, 2),
                    # Acute withdrawal after a fast taper: new hallucinations today.
                    hallucinations=mrn == "RIV-002" and back == 0,
                )
                symptom_log_record(patient=patient, entry=entry, recorded_by=by)

    def _alerts(self):
        """Run the alert rules over the demo patients, as the worker would."""

        for patient in Patient.objects.filter(status=Patient.Status.ACTIVE):
            evaluate_patient(patient.pk)
