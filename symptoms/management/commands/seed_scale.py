"""Network-scale synthetic data for benchmarks: N clinics, N patients, D days of daily logs,
plans in every phase and open alerts. Reproducible from --seed. Refuses production settings.

On PostgreSQL the logs go in with COPY and the session skips triggers (the pghistory
history of synthetic rows is not wanted); elsewhere bulk_create in batches.
"""

from __future__ import annotations

import io
import random
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from patients.models import Medication, Patient, TaperPlan, TaperPlanRevision, TaperStep
from patients.plans import generator
from patients.plans.services import formulary_for
from patients.plans.timeline import PlanFacts, StepFact
from symptoms import scales
from symptoms.models import Alert, PatientEvaluation, SymptomLog
from taperapp.accounts.models import Clinic, Membership, User
from taperapp.accounts.roles import Role

BATCH = 5000
# Where each patient stands today: (share, plan start days ago, plan status)
PHASE_MIX = [
    (0.40, 60, "active"),  # tapering
    (0.15, 240, "completed"),  # acute or protracted, by how long the plan ran
    (0.15, 300, "completed"),
    (0.10, 700, "completed"),  # post-withdrawal
    (0.10, 40, "on_hold"),
    (0.10, None, None),  # pre-taper: no plan
]


def _pick_phase(rng) -> tuple[int | None, str | None]:
    pick, total = rng.random(), 0.0
    for share, ago, status in PHASE_MIX:
        total += share
        if pick <= total:
            return ago, status
    return PHASE_MIX[-1][1], PHASE_MIX[-1][2]


class Command(BaseCommand):
    help = "Create synthetic data at network scale (never under production settings)."

    def add_arguments(self, parser):
        parser.add_argument("--clinics", type=int, default=10)
        parser.add_argument("--patients", type=int, default=10000)
        parser.add_argument("--days", type=int, default=365)
        parser.add_argument("--seed", type=int, default=20261126)
        parser.add_argument("--alert-share", type=float, default=0.05)

    def handle(self, *args, clinics, patients, days, seed, alert_share, **options):
        if settings.IS_PRODUCTION:
            raise CommandError("seed_scale refuses to run under production settings.")
        rng = random.Random(seed)  # noqa: S311 (synthetic data, reproducible by design)
        started = time.monotonic()
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL session_replication_role = replica")
            clinic_rows, staff = self._clinics(clinics, seed)
            people = self._patients(clinic_rows, staff, patients, rng, seed)
            plans = self._plans(people, staff, rng)
            logs = self._logs(people, plans, days, staff, rng)
            alerts = self._alerts(people, alert_share, rng)
            now = timezone.now()
            PatientEvaluation.objects.bulk_create(
                [PatientEvaluation(patient=p, evaluated_at=now, data_seen_at=now) for p in people],
                batch_size=BATCH,
            )
        if connection.vendor == "postgresql":
            # Fresh planner statistics, as autovacuum would gather soon after such a load:
            # without them PostgreSQL plans for a tiny table (docs/benchmarks.md).
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        self.stdout.write(
            f"seed_scale: {len(clinic_rows)} clinics, {len(people)} patients, {len(plans)} plans, "
            f"{logs} logs, {alerts} open alerts in {time.monotonic() - started:.1f} s"
        )

    def _clinics(self, count, seed):
        clinics = [
            Clinic.objects.get_or_create(
                slug=f"scale-{seed}-{i}", defaults={"name": f"Scale clinic {i}", "time_zone": "UTC"}
            )[0]
            for i in range(count)
        ]
        staff = {}
        clinician_group = Group.objects.get(name=Role.CLINICIAN)
        staff_group = Group.objects.get(name=Role.STAFF)
        for clinic in clinics:
            for role, group in (("clinician", clinician_group), ("staff", staff_group)):
                user, created = User.objects.get_or_create(username=f"{clinic.slug}-{role}")
                if created:
                    user.set_password("scale-bench-password")
                    user.save()
                    user.groups.add(group)
                    Membership.objects.get_or_create(user=user, clinic=clinic)
                staff[(clinic.pk, role)] = user
        return clinics, staff

    def _patients(self, clinics, staff, count, rng, seed):
        rows = []
        for index in range(count):
            clinic = clinics[index % len(clinics)]
            rows.append(
                Patient(
                    clinic=clinic,
                    mrn=f"S{seed % 1000:03d}-{index:06d}",
                    given_name=f"Given{index}",
                    family_name=f"Family{index % 997}",
                    birth_date=date(
                        1940 + rng.randint(0, 60), rng.randint(1, 12), rng.randint(1, 28)
                    ),
                    sex=rng.choice(["female", "male"]),
                    seizure_history=rng.random() < 0.1,
                    alcohol_use=rng.random() < 0.2,
                    primary_clinician=staff[(clinic.pk, "clinician")],
                    created_by=staff[(clinic.pk, "clinician")],
                )
            )
        return Patient.objects.bulk_create(rows, batch_size=BATCH)

    def _plans(self, people, staff, rng):
        medication = Medication.objects.prefetch_related("strengths").get(code="clonazepam")
        formulary = formulary_for(medication)
        today = timezone.now().date()
        schedules = {}
        plans, revisions, steps = [], [], []
        for patient in people:
            ago, status = _pick_phase(rng)
            if ago is None:
                continue
            start = today - timedelta(days=ago + rng.randint(0, 13))
            key = start
            if key not in schedules:
                schedules[key] = generator.generate_steps(
                    method="percent",
                    start_date=start,
                    start_dose_mg=Decimal("2"),
                    formulary=formulary,
                    reduction_percent=Decimal("10"),
                    interval_days=14,
                )
            planned = schedules[key]
            last_dose = generator.last_dose_date(planned)
            plan_status = status
            ended = None
            if status == "completed":
                ended = min(last_dose, today - timedelta(days=1))
            if status == "active" and last_dose < today:
                plan_status, ended = "completed", last_dose
            by = staff[(patient.clinic_id, "clinician")]
            facts = PlanFacts(
                plan_id=None,
                status=plan_status,
                steps=tuple(StepFact(s.start_date, s.end_date, s.daily_dose_mg) for s in planned),
                held_since=today - timedelta(days=5) if plan_status == "on_hold" else None,
                ended_on=ended,
                acute_window_days=medication.acute_window_days,
                protracted_window_days=medication.protracted_window_days,
            )
            plan = TaperPlan(
                patient=patient,
                medication=medication,
                status=plan_status,
                created_by=by,
                activated_at=timezone.now(),
                ended_on=ended,
                held_since=today - timedelta(days=5) if plan_status == "on_hold" else None,
                hold_reason="Synthetic hold" if plan_status == "on_hold" else "",
                end_reason="Completed." if plan_status == "completed" else "",
                first_dose_on=facts.start_date,
                last_dose_on=facts.last_dose_date(),
            )
            revision = TaperPlanRevision(
                plan=plan,
                number=1,
                method="percent",
                start_date=start,
                start_dose_mg=Decimal("2"),
                reduction_percent=Decimal("10"),
                interval_days=14,
                warnings=[{"code": "synthetic"}],
                warning_count=1,
                justification="Synthetic benchmark data",
                reason="First version.",
                created_by=by,
            )
            plans.append(plan)
            revisions.append(revision)
            steps.append(planned)
        TaperPlan.objects.bulk_create(plans, batch_size=BATCH)
        TaperPlanRevision.objects.bulk_create(revisions, batch_size=BATCH)
        for plan, revision in zip(plans, revisions, strict=True):
            plan.current_revision = revision
        TaperPlan.objects.bulk_update(plans, ["current_revision"], batch_size=BATCH)
        TaperStep.objects.bulk_create(
            (
                TaperStep(
                    revision=revision,
                    sequence=s.sequence,
                    start_date=s.start_date,
                    end_date=s.end_date,
                    daily_dose_mg=s.daily_dose_mg,
                    change_percent=s.change_percent,
                )
                for revision, planned in zip(revisions, steps, strict=True)
                for s in planned
            ),
            batch_size=BATCH,
        )
        return plans

    def _logs(self, people, plans, days, staff, rng) -> int:
        """One log a day per patient for ``days`` days, totals on a gentle random walk."""
        today = timezone.now().date()
        columns = [
            "id",
            "patient_id",
            "assessed_at",
            "recorded_by_id",
            "source",
            "submission_key",
            *scales.ITEM_CODES,
            "heart_rate",
            "systolic_bp",
            "diastolic_bp",
            "temperature_c",
            "respiratory_rate",
            "seizure",
            "hallucinations",
            "confusion",
            "suicidal_ideation",
            "supplemental_oxygen",
            "consciousness",
            "items_not_assessed_reason",
            "notes",
            "total",
            "severity",
            "phase",
            "status",
            "amendment_reason",
            "void_reason",
            "created_at",
        ]
        count = 0
        buffer: list[tuple] = []

        def flush():
            nonlocal buffer
            if not buffer:
                return
            if connection.vendor == "postgresql":
                text = io.StringIO()
                for row in buffer:
                    text.write("\t".join("\\N" if v is None else str(v) for v in row) + "\n")
                text.seek(0)
                with (
                    connection.cursor() as cursor,
                    cursor.connection.cursor().copy(
                        f"COPY symptoms_symptomlog ({', '.join(columns)}) FROM STDIN"
                    ) as copy,
                ):
                    copy.write(text.read())
            else:
                SymptomLog.objects.bulk_create(
                    [SymptomLog(**dict(zip(columns, row, strict=True))) for row in buffer],
                    batch_size=1000,
                )
            buffer = []

        for patient in people:
            by = staff[(patient.clinic_id, "staff")]
            level = rng.randint(3, 14)
            for back in range(days, 0, -1):
                level = max(0, min(70, level + rng.randint(-3, 3)))
                items = scales.items_for_total(level)
                moment = datetime.combine(
                    today - timedelta(days=back), clock(8, rng.randint(0, 59)), tzinfo=UTC
                )
                severity = scales.severity_for(level)
                buffer.append(
                    (
                        uuid.uuid4(),
                        patient.pk,
                        moment.isoformat(),
                        by.pk,
                        "staff",
                        uuid.uuid4(),
                        *items.values(),
                        70 + level // 2 + rng.randint(-5, 5),
                        118 + rng.randint(-8, 8),
                        76 + rng.randint(-6, 6),
                        Decimal("36.8"),
                        14 + rng.randint(-1, 2),
                        False,
                        False,
                        False,
                        False,
                        False,  # supplemental oxygen
                        "alert",  # consciousness
                        "",  # CIWA-B assessed
                        "",
                        level,
                        severity,
                        "tapering",
                        "current",
                        "",
                        "",
                        moment.isoformat(),
                    )
                )
                count += 1
                if len(buffer) >= BATCH * 4:
                    flush()
        flush()
        return count

    def _alerts(self, people, share, rng) -> int:
        now = timezone.now()
        rows = []
        clinics_with_one = set()
        for patient in people:
            # Every clinic gets at least one, so each dashboard has rows at any size.
            first_of_clinic = patient.clinic_id not in clinics_with_one
            clinics_with_one.add(patient.clinic_id)
            if rng.random() >= share and not first_of_clinic:
                continue
            rule, severity = rng.choice(
                [
                    ("severe_score", "high"),
                    ("rising_trend", "medium"),
                    ("missed_log", "medium"),
                    ("seizure", "critical"),
                ]
            )
            opened = now - timedelta(minutes=rng.randint(1, 3000))
            rows.append(
                Alert(
                    patient=patient,
                    rule=rule,
                    severity=severity,
                    summary="Synthetic alert",
                    evidence={"synthetic": True},
                    trigger_key=f"synthetic:{patient.pk}",
                    opened_at=opened,
                    last_triggered_at=opened,
                )
            )
        Alert.objects.bulk_create(rows, batch_size=BATCH)
        return len(rows)
