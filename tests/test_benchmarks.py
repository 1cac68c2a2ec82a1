"""The benchmark command at smoke size (CI): it must run end to end on PostgreSQL and Redis and
produce every figure. No time is asserted (times are shown by docs/benchmarks.md, never by a
test); what is asserted is what must hold at any size: no ingest errors or duplicates, the
sweep's due set equal to the SQL floor's (checked inside), the same query count per page on
the small and the larger database."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql" or not settings.CELERY_BROKER_URL.startswith("redis://"),
    reason="the benchmarks run on PostgreSQL and Redis (CI)",
)

# The exact queries per page on the small database (PostgreSQL: the benchmarks run only there);
# the full database must match them. Dashboard, worklist and timeline are the counts pinned by
# tests/test_alerts.py and tests/test_symptom_logs.py on the suite's own data.
PAGE_QUERIES = {"floor": 11, "dashboard": 18, "worklist": 19, "timeline": 22}


def test_the_benchmark_command_runs_at_smoke_size(tmp_path):
    # The run's broker as it is: the benchmark names its own queue and databases per run, so it
    # can share a Redis and a PostgreSQL with this suite and with a full scripts/bench.
    env = {**os.environ, "CELERY_BROKER_URL": settings.CELERY_BROKER_URL}
    env.pop("CELERY_RESULT_BACKEND", None)
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--smoke", f"--out={tmp_path}"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=170,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    figures = json.loads((tmp_path / "benchmarks.json").read_text())
    full, small = figures["full"], figures["small"]
    assert full["size"]["patients"] == 200 and small["size"]["patients"] == 40
    assert small["page_queries"] == PAGE_QUERIES
    assert full["b1_pages"]["queries"] == small["page_queries"]
    for page in ("floor", "dashboard", "worklist", "timeline"):
        assert full["b1_pages"][page]["p50_ms"] > 0
    assert full["b2_alert_latency"]["seizure_to_api"]["n"] == 5
    assert full["b3_sweep"]["tasks_queued"] == full["b3_sweep"]["due_patients"] > 0
    ingest = full["b4_ingest"]
    assert (ingest["errors"], ingest["duplicates"], ingest["missing"]) == (0, 0, 0)
    assert ingest["statuses"] == {"200": 8, "201": 40}
    assert full["b5_evaluation"]["queries"] <= 15
    document = (tmp_path / "benchmarks.md").read_text()
    assert "| B3 due set over 200 active patients |" in document
    assert (tmp_path / "profiles" / "profile-sweep.txt").exists()
