"""One benchmark pass against one seeded database: B1 pages, B2 alert latency, B3 sweep,
B4 ingest, B5 evaluation, each beside its floor measured in the same run. Prints nothing but
progress; writes the raw figures as JSON (benchmarks/run.py turns them into the document).

Run by benchmarks/run.py with DATABASE_URL and CELERY_BROKER_URL set and
DJANGO_SETTINGS_MODULE=taperapp.settings.bench. ``--counts-only`` measures only the query count
of each page (the small database of the "same count at 100 and 10,000 patients" check).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import traceback
import uuid
from datetime import timedelta
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "taperapp.settings.bench")
django.setup()

from django.db import connection, connections, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from knox.models import AuthToken  # noqa: E402

from benchmarks.run import say  # noqa: E402
from patients.models import Patient, PlanStatus, TaperPlan  # noqa: E402
from symptoms import scales  # noqa: E402
from symptoms.alerts import evaluation, tasks  # noqa: E402
from symptoms.models import (  # noqa: E402
    Alert,
    PatientEvaluation,
    Rule,
    SymptomLog,
)
from symptoms.services import LogEntry, symptom_log_record  # noqa: E402
from taperapp.accounts.models import Clinic, User  # noqa: E402
from taperapp.celery import app as celery_app  # noqa: E402
from taperapp.celery import ping  # noqa: E402
from taperapp.workers import Worker, drain, wait_for  # noqa: E402

BASE_DIR = Path(__file__).resolve().parent.parent


def summary(samples_s: list[float]) -> dict:
    """Milliseconds: median, p95 (nearest rank), min, max and the sample count."""
    ms = sorted(value * 1000 for value in samples_s)
    rank = max(0, min(len(ms) - 1, round(0.95 * len(ms) + 0.5) - 1))
    return {
        "n": len(ms),
        "p50_ms": round(statistics.median(ms), 2),
        "p95_ms": round(ms[rank], 2),
        "min_ms": round(ms[0], 2),
        "max_ms": round(ms[-1], 2),
    }


def ratio(value: float, floor: float) -> float:
    return round(value / floor, 2) if floor else float("inf")


# --- The personas and the data they look at ------------------------------------------------------


class Scene:
    """The first seeded clinic's clinician and staff member, and a patient with a year of logs."""

    def __init__(self):
        self.clinic = Clinic.objects.filter(slug__startswith="scale-").order_by("slug").first()
        if self.clinic is None:
            raise SystemExit("No seeded clinic: run manage.py seed_scale first.")
        self.clinicians = list(
            User.objects.filter(
                username__startswith="scale-", username__endswith="-clinician"
            ).order_by("username")
        )
        self.clinician = User.objects.get(username=f"{self.clinic.slug}-clinician")
        self.staff = User.objects.get(username=f"{self.clinic.slug}-staff")
        self.timeline_patient = (
            Patient.objects.filter(clinic=self.clinic, taper_plans__status=PlanStatus.ACTIVE)
            .order_by("mrn")
            .first()
        )


def data_size(scene: Scene) -> dict:
    return {
        "clinics": Clinic.objects.filter(slug__startswith="scale-").count(),
        "patients": Patient.objects.count(),
        "active_patients": Patient.objects.filter(status=Patient.Status.ACTIVE).count(),
        "plans": TaperPlan.objects.count(),
        "symptom_logs": SymptomLog.objects.count(),
        "open_alerts": Alert.objects.filter(status="open").count(),
        "patients_in_first_clinic": scene.clinic.patients.count(),
    }


# --- B1 pages -------------------------------------------------------------------------------------


def page_list(scene: Scene) -> list[tuple[str, User, str]]:
    return [
        ("floor", scene.clinician, "/accounts/password/done/"),
        ("dashboard", scene.staff, "/alerts/"),
        ("worklist", scene.clinician, "/today/"),
        ("timeline", scene.clinician, f"/patients/{scene.timeline_patient.pk}/timeline/"),
    ]


def signed_in_clients(scene: Scene) -> dict:
    clients = {}
    for user in (scene.clinician, scene.staff):
        client = Client()
        client.force_login(user)
        clients[user.pk] = client
    return clients


def page_query_counts(scene: Scene) -> dict:
    clients = signed_in_clients(scene)
    counts = {}
    for name, user, url in page_list(scene):
        clients[user.pk].get(url)  # warm caches (ContentTypes, permissions) as a running server has
        with CaptureQueriesContext(connection) as queries:
            response = clients[user.pk].get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
        counts[name] = len(queries)
    return counts


def b1_pages(scene: Scene, requests: int) -> dict:
    clients = signed_in_clients(scene)
    pages = page_list(scene)
    samples = {name: [] for name, _, _ in pages}
    sizes = {}
    for _ in range(3):  # warm-up: templates compiled, connections open
        for name, user, url in pages:
            sizes[name] = len(clients[user.pk].get(url).content)
    # Interleaved, so drift on a shared machine touches every page alike.
    for _ in range(requests):
        for name, user, url in pages:
            started = time.perf_counter()
            response = clients[user.pk].get(url)
            samples[name].append(time.perf_counter() - started)
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}")
    floor = summary(samples["floor"])
    result = {"floor": floor | {"bytes": sizes["floor"]}}
    for name in ("dashboard", "worklist", "timeline"):
        figures = summary(samples[name])
        result[name] = figures | {
            "bytes": sizes[name],
            "p50_ratio": ratio(figures["p50_ms"], floor["p50_ms"]),
            "p95_ratio": ratio(figures["p95_ms"], floor["p95_ms"]),
        }
    result["queries"] = page_query_counts(scene)
    return result


def profile_page(scene: Scene, name: str, out: Path, requests: int = 10) -> str:
    from pyinstrument import Profiler

    clients = signed_in_clients(scene)
    _, user, url = next(page for page in page_list(scene) if page[0] == name)
    clients[user.pk].get(url)
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(requests):
        clients[user.pk].get(url)
    profiler.stop()
    path = out / f"profile-{name}.txt"
    path.write_text(profiler.output_text(unicode=True, color=False, show_all=False))
    return f"{out.name}/{path.name}"  # relative to the document beside the folder


# --- B2 alert latency -----------------------------------------------------------------------------


def seizure_entry(at) -> LogEntry:
    return LogEntry(
        assessed_at=at,
        items=scales.items_for_total(12),
        heart_rate=88,
        systolic_bp=124,
        diastolic_bp=80,
        seizure=True,
        notes="Benchmark: witnessed seizure",
    )


def b2_alert_latency(scene: Scene, rounds: int) -> dict:
    # An API client, as a monitoring screen or an integration would read alerts: a token.
    _instance, token = AuthToken.objects.create(user=scene.staff)
    staff = Client(HTTP_AUTHORIZATION=f"Token {token}")
    candidates = list(
        Patient.objects.filter(clinic=scene.clinic, status=Patient.Status.ACTIVE)
        .exclude(alerts__rule=Rule.SEIZURE)
        .order_by("mrn")[: rounds + 1]
    )
    if len(candidates) < rounds + 1:
        raise SystemExit("Not enough patients without a seizure alert for B2.")

    def readable(patient) -> bool:
        response = staff.get(f"/api/v1/alerts/?patient={patient.pk}&status=open")
        return any(row["rule"] == Rule.SEIZURE for row in response.json()["results"])

    queued = []  # commit -> the evaluation's clock reading (the alert's opened_at)

    def one_alert(patient) -> float:
        committed = {}

        def mark():
            committed["at"], committed["wall"] = time.perf_counter(), timezone.now()

        with transaction.atomic():
            # Registered first, so it runs at the commit, before the task is queued.
            transaction.on_commit(mark)
            symptom_log_record(
                patient=patient, entry=seizure_entry(timezone.now()), recorded_by=scene.staff
            )
        while not readable(patient):
            if time.perf_counter() - committed["at"] > 30:
                raise SystemExit(f"No seizure alert for {patient.pk} after 30 s")
        elapsed = time.perf_counter() - committed["at"]
        opened = Alert.objects.get(patient=patient, rule=Rule.SEIZURE).opened_at
        queued.append((opened - committed["wall"]).total_seconds())
        return elapsed

    def one_ping() -> float:
        started = time.perf_counter()
        ping.apply_async(ignore_result=False).get(timeout=30)
        return time.perf_counter() - started

    one_ping(), one_alert(candidates[-1])  # warm the worker's imports and connections
    pings, alerts = [], []
    for patient in candidates[:rounds]:
        pings.append(one_ping())
        alerts.append(one_alert(patient))
    floor, figures = summary(pings), summary(alerts)
    poll = []
    for _ in range(10):
        started = time.perf_counter()
        readable(candidates[0])
        poll.append(time.perf_counter() - started)
    return {
        "floor_ping": floor,
        "seizure_to_api": figures,
        "api_poll": summary(poll),
        "commit_to_evaluation_start": summary(queued[1:]),
        "p50_ratio": ratio(figures["p50_ms"], floor["p50_ms"]),
        "p95_ratio": ratio(figures["p95_ms"], floor["p95_ms"]),
    }


# --- B3 sweep ------------------------------------------------------------------------------------

# The floor: one hand-written statement computing the due set of
# evaluation.patients_due_for_evaluation in a single pass over the patients (LATERAL
# top-1 probes on the same indexes). Both must return the same ids; the benchmark checks it.
DUE_SET_SQL = """
WITH hours AS (
    SELECT least(coalesce(min(missed_log_hours), %(default_hours)s), %(default_hours)s) AS h
    FROM symptoms_alertthresholds
)
SELECT p.id FROM patients_patient p
CROSS JOIN hours
LEFT JOIN symptoms_patientevaluation e ON e.patient_id = p.id
LEFT JOIN LATERAL (
    SELECT l.created_at FROM symptoms_symptomlog l WHERE l.patient_id = p.id
    ORDER BY l.created_at DESC LIMIT 1) newest_log ON true
LEFT JOIN LATERAL (
    SELECT max(t.updated_at) AS at FROM patients_taperplan t WHERE t.patient_id = p.id
) newest_plan ON true
LEFT JOIN LATERAL (
    SELECT l.assessed_at FROM symptoms_symptomlog l
    WHERE l.patient_id = p.id AND l.status = 'current'
    ORDER BY l.assessed_at DESC LIMIT 1) last_current ON true
WHERE p.status = 'active' AND (
    greatest(coalesce(newest_log.created_at, %(epoch)s), coalesce(newest_plan.at, %(epoch)s))
        > coalesce(e.data_seen_at, %(epoch)s)
    OR (
        EXISTS (
            SELECT 1 FROM patients_taperplan t WHERE t.patient_id = p.id
              AND (t.status IN ('active', 'on_hold')
                   OR (t.status = 'completed' AND t.ended_on >= %(acute_recent)s)))
        AND coalesce(last_current.assessed_at, %(epoch)s)
            < %(now)s - make_interval(hours => hours.h)
        AND NOT EXISTS (
            SELECT 1 FROM symptoms_alert a WHERE a.patient_id = p.id AND a.rule = 'missed_log'
              AND a.status IN ('open', 'acknowledged', 'snoozed'))
    )
)
"""


def due_set_by_sql(now) -> set:
    from symptoms import clinical

    default_hours = clinical.ALERT_DEFAULTS["missed_log_hours"]
    with connection.cursor() as cursor:
        cursor.execute(
            DUE_SET_SQL,
            {
                "default_hours": default_hours,
                "epoch": evaluation.NEVER,
                "now": now,
                "acute_recent": now.date() - timedelta(days=default_hours // 24 + 60),
            },
        )
        return {row[0] for row in cursor.fetchall()}


class MemoryWatch:
    """Samples the resident memory of a process tree (a Celery worker and its children)."""

    def __init__(self, root_pid: int, interval: float = 0.05):
        self.root_pid, self.interval = root_pid, interval
        self.peak_kib: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def pids(self) -> list[int]:
        found = subprocess.run(
            ["pgrep", "-P", str(self.root_pid)], capture_output=True, text=True
        ).stdout.split()
        return [self.root_pid, *map(int, found)]

    @staticmethod
    def rss_kib(pid: int) -> int:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        except FileNotFoundError:
            pass
        return 0

    def _run(self):
        while not self._stop.is_set():
            for pid in self.pids():
                self.peak_kib[pid] = max(self.peak_kib.get(pid, 0), self.rss_kib(pid))
            time.sleep(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    @property
    def peak_process_mb(self) -> float:
        return round(max(self.peak_kib.values(), default=0) / 1024, 1)

    @property
    def peak_tree_mb(self) -> float:
        return round(sum(self.peak_kib.values()) / 1024, 1)


def mark_stale(share: float) -> int:
    """Make a deterministic share of the patients' data newer than their last evaluation, as
    logs arriving while the broker was down would (the sweep's reason to exist)."""
    ids = list(Patient.objects.order_by("mrn").values_list("pk", flat=True))
    stale = ids[:: max(1, round(1 / share))]
    PatientEvaluation.objects.filter(patient_id__in=stale).update(data_seen_at=evaluation.NEVER)
    return len(stale)


def b3_sweep(worker: Worker, repeats: int, stale_share: float, out: Path | None) -> dict:
    made_stale = mark_stale(stale_share)
    now = timezone.now()
    by_service = evaluation.patients_due_for_evaluation(now)
    by_sql = due_set_by_sql(now)
    if set(by_service) != by_sql:
        raise SystemExit(
            f"B3: the sweep and the SQL floor disagree ({len(by_service)} vs {len(by_sql)})"
        )
    service_times, sql_times, service_queries = [], [], 0
    for _ in range(repeats):
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            evaluation.patients_due_for_evaluation(now)
        service_times.append(time.perf_counter() - started)
        service_queries = len(queries)
        started = time.perf_counter()
        due_set_by_sql(now)
        sql_times.append(time.perf_counter() - started)
    service, floor = summary(service_times), summary(sql_times)

    # The whole sweep as beat runs it: the task on a real worker, which queues one evaluation
    # per due patient; then the time until the workers have evaluated them all.
    with MemoryWatch(worker.pid) as memory:
        started, started_at = time.perf_counter(), timezone.now()
        queued = tasks.sweep_task.apply_async(ignore_result=False).get(timeout=280)
        sweep_task_s = time.perf_counter() - started
        wait_for(
            lambda: (
                not PatientEvaluation.objects.filter(
                    patient_id__in=by_sql, evaluated_at__lt=started_at
                ).exists()
            ),
            timeout=1800,
            interval=0.05,
            what="the evaluations the sweep queued",
        )
        evaluated_s = time.perf_counter() - started
    drain(celery_app, timeout=600)
    profile = None
    if out is not None:
        profile = profile_sweep(out)
    return {
        "due_patients": len(by_sql),
        "made_stale": made_stale,
        "due_set_service": service | {"queries": service_queries},
        "due_set_sql_floor": floor,
        "p50_ratio": ratio(service["p50_ms"], floor["p50_ms"]),
        "p95_ratio": ratio(service["p95_ms"], floor["p95_ms"]),
        "sweep_task_ms": round(sweep_task_s * 1000, 1),
        "tasks_queued": queued,
        "all_evaluated_s": round(evaluated_s, 2),
        "evaluations_per_s": round(queued / evaluated_s, 1) if queued else None,
        "worker_peak_process_mb": memory.peak_process_mb,
        "worker_peak_tree_mb": memory.peak_tree_mb,
        "profile": profile,
    }


def profile_sweep(out: Path) -> str:
    """The sweep's own work (the due set and the queueing), in this process."""
    from pyinstrument import Profiler

    mark_stale(0.1)
    profiler = Profiler(interval=0.0005)
    profiler.start()
    tasks.sweep_task()
    profiler.stop()
    drain(celery_app, timeout=1800)
    path = out / "profile-sweep.txt"
    path.write_text(profiler.output_text(unicode=True, color=False, show_all=False))
    return f"{out.name}/{path.name}"  # relative to the document beside the folder


# --- B4 ingest -----------------------------------------------------------------------------------


class Gunicorn:
    def __init__(self, port: int, workers: int):
        self.port = port
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "taperapp.wsgi",
                f"--workers={workers}",
                f"--bind=127.0.0.1:{port}",
                "--log-level=warning",
            ],
            cwd=BASE_DIR,
            env=os.environ.copy(),
        )

        def healthy():
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/healthz")
                return conn.getresponse().status == 200
            except OSError:
                return False

        wait_for(healthy, timeout=60, what="gunicorn")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)


def log_body(at, total: int) -> dict:
    return {
        "submission_id": str(uuid.uuid4()),
        "assessed_at": at.isoformat(),
        "source": "clinician",
        "items": scales.items_for_total(total),
        "heart_rate": 72 + total // 3,
        "systolic_bp": 122,
        "diastolic_bp": 78,
        "respiratory_rate": 15,
        "notes": "Benchmark ingest",
    }


def b4_ingest(scene: Scene, clients: int, per_client: int, port: int) -> dict:
    web_workers = 2 * (os.cpu_count() or 1) + 1
    server = Gunicorn(port, web_workers)
    try:
        return _ingest(scene, clients, per_client, port) | {"gunicorn_workers": web_workers}
    finally:
        server.stop()


def _ingest(scene: Scene, clients: int, per_client: int, port: int) -> dict:
    now = timezone.now().replace(microsecond=0)
    plans = []  # per client: (token, [(patient id, body), ...])
    for index in range(clients):
        clinician = scene.clinicians[index % len(scene.clinicians)]
        _instance, token = AuthToken.objects.create(user=clinician)
        patients = list(
            Patient.objects.filter(clinic__memberships__user=clinician, status="active")
            .order_by("mrn")
            .values_list("pk", flat=True)[:per_client]
        )
        bodies = [
            (patients[n % len(patients)], log_body(now - timedelta(minutes=index * 1000 + n), n))
            for n in range(per_client)
        ]
        plans.append((token, bodies))
    statuses: dict[int, int] = {}
    errors: list[str] = []
    lock = threading.Lock()

    def client(token: str, bodies: list) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
        for n, (patient_id, body) in enumerate(bodies):
            sends = 2 if n % 10 == 0 else 1  # one in ten is sent twice, as a client retry would
            for attempt in range(sends):
                conn.request(
                    "POST",
                    f"/api/v1/patients/{patient_id}/symptom-logs/",
                    body=json.dumps(body),
                    headers=headers,
                )
                response = conn.getresponse()
                payload = response.read()
                expected = 201 if attempt == 0 else 200
                with lock:
                    statuses[response.status] = statuses.get(response.status, 0) + 1
                    if response.status != expected:
                        errors.append(f"{response.status}: {payload[:200]!r}")
        conn.close()

    threads = [threading.Thread(target=client, args=plan) for plan in plans]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    api_s = time.perf_counter() - started
    keys = [body["submission_id"] for _, bodies in plans for _, body in bodies]
    stored = list(SymptomLog.objects.filter(submission_key__in=keys))
    duplicates = len(stored) - len({log.submission_key for log in stored})
    missing = len(keys) - len({str(log.submission_key) for log in stored})
    requests = sum(statuses.values())

    drain(celery_app, timeout=1800)  # the evaluations the API queued, before the floor runs
    # The floor: the same rows, inserted by the ORM alone with the same concurrency (one
    # transaction per row, as each request has), under new ids and keys.
    copies = []
    for log_row in stored:
        log_row.pk, log_row.submission_key = uuid.uuid4(), uuid.uuid4()
        log_row.assessed_at -= timedelta(seconds=1)
        copies.append(log_row)
    chunks = [copies[n::clients] for n in range(clients)]

    def insert(rows):
        for row in rows:
            row.save(force_insert=True)
        connections.close_all()

    threads = [threading.Thread(target=insert, args=(chunk,)) for chunk in chunks]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    bare_s = time.perf_counter() - started
    api_rate, bare_rate = len(keys) / api_s, len(copies) / bare_s
    return {
        "clients": clients,
        "logs": len(keys),
        "requests": requests,
        "statuses": {str(code): count for code, count in sorted(statuses.items())},
        "errors": len(errors),
        "error_samples": errors[:5],
        "duplicates": duplicates,
        "missing": missing,
        "api_logs_per_s": round(api_rate, 1),
        "bare_orm_rows_per_s": round(bare_rate, 1),
        "ratio": round(api_rate / bare_rate, 3),
    }


# --- B5 evaluation -------------------------------------------------------------------------------


def b5_evaluation(scene: Scene, repeats: int) -> dict:
    patient = scene.timeline_patient
    year = SymptomLog.objects.filter(patient=patient, status="current")
    evaluation.evaluate_patient(patient.pk)  # warm
    with CaptureQueriesContext(connection) as queries:
        evaluation.evaluate_patient(patient.pk)
    evaluations, reads = [], []
    for _ in range(repeats):
        started = time.perf_counter()
        evaluation.evaluate_patient(patient.pk)
        evaluations.append(time.perf_counter() - started)
        started = time.perf_counter()
        list(year.all())
        reads.append(time.perf_counter() - started)
    evaluated, floor = summary(evaluations), summary(reads)
    return {
        "patient_logs": year.count(),
        "queries": len(queries),
        "evaluate_patient": evaluated,
        "read_logs_once_floor": floor,
        "p50_ratio": ratio(evaluated["p50_ms"], floor["p50_ms"]),
    }


# --- Machine -------------------------------------------------------------------------------------


def machine() -> dict:
    import platform

    import django as django_module
    import redis

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory_kib = int(Path("/proc/meminfo").read_text().split()[1])
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    broker = redis.Redis.from_url(celery_app.conf.broker_url)
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(memory_kib / 1024 / 1024, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "django": django_module.get_version(),
        "postgresql": postgres,
        "redis": broker.info()["redis_version"],
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", required=True, type=Path)
    parser.add_argument("--profiles", type=Path, help="folder for the pyinstrument profiles")
    parser.add_argument("--counts-only", action="store_true")
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--alert-rounds", type=int, default=30)
    parser.add_argument("--ingest-per-client", type=int, default=60)
    parser.add_argument("--port", type=int, default=0, help="gunicorn's port (0: a free one)")
    args = parser.parse_args()
    scene = Scene()
    result: dict = {"size": data_size(scene)}
    if args.counts_only:
        result["page_queries"] = page_query_counts(scene)
        args.json.write_text(json.dumps(result, indent=2, default=str))
        return
    result["machine"] = machine()
    if not args.port:
        args.port = free_port()  # a fixed port collided with a second run on the same host
    celery_app.control.purge()
    # The worker's own log is kept beside the report: when a measurement fails, it says why.
    worker_log = args.json.parent / "benchmarks-worker.log"
    worker = Worker(
        concurrency=os.cpu_count() or 1,
        name="bench",
        settings_module="taperapp.settings.bench",
        database_url=os.environ["DATABASE_URL"],
        log_path=worker_log,
    )
    result["worker_log"] = worker_log.name
    failed = result.setdefault("failed", {})

    def measure(key: str, label: str, run) -> None:
        """Run one measurement; a failure is recorded and the others still run and are kept
        (one aborted B2 once lost every figure of the run)."""
        say(label)
        try:
            result[key] = run()
        except Exception as error:
            failed[key] = f"{type(error).__name__}: {error}"
            traceback.print_exc()

    try:
        wait_for(
            lambda: celery_app.control.ping(timeout=1.0, destination=[worker.hostname]),
            timeout=60,
            what="the worker",
        )
        measure("b5_evaluation", "B5 evaluation", lambda: b5_evaluation(scene, repeats=20))
        measure("b1_pages", "B1 pages", lambda: b1_pages(scene, args.requests))
        if args.profiles and "b1_pages" in result:
            args.profiles.mkdir(parents=True, exist_ok=True)
            slowest = max(
                ("dashboard", "worklist", "timeline"),
                key=lambda name: result["b1_pages"][name]["p50_ms"],
            )
            result["b1_pages"]["profile"] = profile_page(scene, slowest, args.profiles)
        measure(
            "b2_alert_latency",
            "B2 alert latency",
            lambda: b2_alert_latency(scene, args.alert_rounds),
        )
        measure(
            "b3_sweep",
            "B3 sweep",
            lambda: b3_sweep(worker, repeats=5, stale_share=0.1, out=args.profiles),
        )
        measure(
            "b4_ingest",
            "B4 ingest",
            lambda: b4_ingest(scene, 8, args.ingest_per_client, args.port),
        )
    finally:
        worker.stop()
        args.json.write_text(json.dumps(result, indent=2, default=str))
    if failed:
        raise SystemExit(f"measurements failed: {', '.join(failed)} (figures kept in {args.json})")


if __name__ == "__main__":
    main()
