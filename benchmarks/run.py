"""The benchmark command (scripts/bench): seeds two PostgreSQL databases from scratch, measures
them with a real Celery worker on Redis and gunicorn, and writes the document and the raw
figures.

1. a small database (``--small-patients``, 100 by default): the query count of every page;
2. the full database (``--patients`` x ``--days``, 10,000 x 365 by default): B1 to B5 with
   their floors, the query counts again, the profiles.

``--smoke`` is the CI run: a few hundred rows, a handful of requests, figures written under
var/ (never over docs/), and no time asserted anywhere.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

from benchmarks import report

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/postgres"
DEFAULT_BROKER = "redis://127.0.0.1:6379/10"


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def database_url(server_url: str, name: str) -> str:
    parts = urlsplit(server_url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def recreate_database(server_url: str, name: str) -> str:
    """Drop and create ``name`` on the server of ``server_url``; returns its URL."""

    maintenance = database_url(server_url, "postgres")
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return database_url(server_url, name)


def run(command: list[str], env: dict, check: bool = True) -> dict:
    """Run a command to completion; its wall time and peak resident memory (from wait4). With
    ``check=False`` a failure is returned (``returncode``) instead of stopping the run."""
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=BASE_DIR, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0 and check:
        raise SystemExit(f"failed ({process.returncode}): {' '.join(command)}")
    return {
        "wall_s": round(time.monotonic() - started, 1),
        "peak_rss_mb": usage.ru_maxrss // 1024,
        "returncode": process.returncode,
    }


def drop_database(server_url: str, name: str) -> None:

    with psycopg.connect(database_url(server_url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def prepare(
    server_url: str, name: str, broker: str, queue: str, *, clinics: int, patients: int, days: int
):
    url = recreate_database(server_url, name)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "CELERY_BROKER_URL": broker,
        "CELERY_RESULT_BACKEND": broker,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "DJANGO_SETTINGS_MODULE": "taperapp.settings.bench",
        "PYTHONPATH": str(BASE_DIR),
    }
    manage = [sys.executable, "manage.py"]
    say(f"{name}: migrate")
    run([*manage, "migrate", "--verbosity=0"], env)
    run([*manage, "collectstatic", "--noinput", "--verbosity=0"], env)
    say(f"{name}: seed_scale {clinics} clinics, {patients} patients, {days} days")
    seeded = run(
        [
            *manage,
            "seed_scale",
            f"--clinics={clinics}",
            f"--patients={patients}",
            f"--days={days}",
        ],
        env,
    )
    return env, seeded


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--small-patients", type=int, default=100)
    parser.add_argument("--clinics", type=int, default=10)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--alert-rounds", type=int, default=30)
    parser.add_argument("--ingest-per-client", type=int, default=60)
    parser.add_argument("--out", type=Path, help="default docs/ (var/bench-smoke with --smoke)")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes for CI; writes var/")
    parser.add_argument(
        "--keep-databases",
        action="store_true",
        help="keep this run's taperapp_bench_<run>_* databases (dropped at the end by default)",
    )
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="rewrite benchmarks.md from the benchmarks.json already in --out (after editing "
        "benchmarks/notes.md), measuring nothing",
    )
    args = parser.parse_args(argv)
    if args.smoke:
        args.patients, args.small_patients, args.clinics, args.days = 200, 40, 4, 30
        args.requests, args.alert_rounds, args.ingest_per_client = 5, 5, 5
    if args.out is None:
        args.out = BASE_DIR / "var" / "bench-smoke" if args.smoke else BASE_DIR / "docs"
    args.out.mkdir(parents=True, exist_ok=True)
    if args.report_only:
        figures = json.loads((args.out / "benchmarks.json").read_text())
        (args.out / "benchmarks.md").write_text(report.render(figures))
        return
    server = os.environ.get("DATABASE_URL", DEFAULT_DATABASE)
    broker = os.environ.get("CELERY_BROKER_URL", DEFAULT_BROKER)
    if not server.startswith(("postgres://", "postgresql://")):
        raise SystemExit("The benchmarks need PostgreSQL: DATABASE_URL=postgres://...")
    if not broker.startswith("redis://"):
        raise SystemExit("The benchmarks need Redis: CELERY_BROKER_URL=redis://...")
    # Names of this run only (databases, queue): a benchmark and a test run on one host, or
    # two benchmarks, never share a database or consume each other's tasks.
    run_id = f"{os.getpid()}x{secrets.token_hex(3)}"
    prefix = f"taperapp_bench_{'smoke_' if args.smoke else ''}{run_id}"
    queue = f"bench-{run_id}"
    try:
        measure_all(args, server, broker, prefix, queue)
    finally:
        if not args.keep_databases:
            for name in (f"{prefix}_small", f"{prefix}_full"):
                drop_database(server, name)


def measure_all(args, server: str, broker: str, prefix: str, queue: str) -> None:
    started = time.monotonic()
    figures: dict = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "scripts/bench" + (" --smoke" if args.smoke else ""),
        "parameters": {
            key: getattr(args, key)
            for key in (
                "patients",
                "small_patients",
                "clinics",
                "days",
                "requests",
                "alert_rounds",
                "ingest_per_client",
            )
        },
    }
    measure = [sys.executable, "-m", "benchmarks.measure"]

    env, seeded = prepare(
        server,
        f"{prefix}_small",
        broker,
        queue,
        clinics=args.clinics,
        patients=args.small_patients,
        days=args.days,
    )
    small_json = args.out / "benchmarks-small.json"
    say("small: page query counts")
    run([*measure, "--counts-only", f"--json={small_json}"], env)
    figures["small"] = json.loads(small_json.read_text()) | {"seed": seeded}
    small_json.unlink()

    env, seeded = prepare(
        server,
        f"{prefix}_full",
        broker,
        queue,
        clinics=args.clinics,
        patients=args.patients,
        days=args.days,
    )
    full_json = args.out / "benchmarks-full.json"
    run(
        [
            *measure,
            f"--json={full_json}",
            f"--profiles={args.out / 'profiles'}",
            f"--requests={args.requests}",
            f"--alert-rounds={args.alert_rounds}",
            f"--ingest-per-client={args.ingest_per_client}",
        ],
        env,
        check=False,  # a failed measurement keeps the others: the report says what failed
    )
    figures["full"] = json.loads(full_json.read_text()) | {"seed": seeded}
    full_json.unlink()
    figures["total_s"] = round(time.monotonic() - started, 1)

    (args.out / "benchmarks.json").write_text(json.dumps(figures, indent=2, default=str) + "\n")
    (args.out / "benchmarks.md").write_text(report.render(figures))
    say(f"wrote {args.out / 'benchmarks.md'} and benchmarks.json in {figures['total_s']} s")
    if figures["full"].get("failed"):
        raise SystemExit(f"measurements failed: {figures['full']['failed']}")


if __name__ == "__main__":
    main()
