"""Real Celery worker processes on the configured broker (Redis in CI), for the pipeline tests
and the benchmarks: start, wait for, drain and stop them. Not used by the running app."""

import atexit
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection


def test_database_url() -> str:
    """The URL of the database the tests use (the test database, not the configured one)."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


# Every worker this process started and has not stopped: stopped at exit whatever happened, so
# a failed or interrupted test never leaves a worker behind to consume the next run's tasks.
_RUNNING: set["Worker"] = set()


def _stop_leftovers():
    for worker in list(_RUNNING):
        worker.stop()


atexit.register(_stop_leftovers)


def default_queue() -> str:
    """The run's own queue (per-run name from the test settings)."""
    return settings.CELERY_TASK_DEFAULT_QUEUE


class Worker:
    """A ``celery worker`` process in its own process group. The tests give it the test
    database; the benchmarks (benchmarks/measure.py) their own settings and database."""

    def __init__(
        self,
        *,
        concurrency=1,
        pool="prefork",
        name="w1",
        queues=None,
        settings_module="taperapp.settings.test",
        database_url=None,
        env=None,
        log_path=None,
    ):
        queues = queues or default_queue()
        # Unique per run: control commands (inspect, drain) address this run's workers only.
        self.name = f"{name}-{os.getpid()}@%h"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": settings_module,
            "DATABASE_URL": database_url or test_database_url(),
            **(env or {}),
        }
        log_file = open(log_path, "ab") if log_path else None  # noqa: SIM115 (closed by stop)
        self._log_file = log_file
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "taperapp",
                "worker",
                f"--pool={pool}",
                f"--concurrency={concurrency}",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-l",
                "warning",
                "-n",
                self.name,
                "-Q",
                queues,
            ],
            env=env,
            cwd=settings.BASE_DIR,
            start_new_session=True,  # its own group: stop() reaches the pool children too
            # A log file (the benchmarks keep it beside their report), else the parent's output.
            stdout=log_file,
            stderr=subprocess.STDOUT if log_file else None,
        )
        _RUNNING.add(self)

    @property
    def hostname(self) -> str:
        return self.name.replace("%h", os.uname().nodename)

    @property
    def pid(self) -> int:
        return self.process.pid

    def children(self) -> list[int]:
        result = subprocess.run(["pgrep", "-P", str(self.pid)], capture_output=True, text=True)
        return [int(pid) for pid in result.stdout.split()]

    def kill_children(self):
        for pid in self.children():
            os.kill(pid, signal.SIGKILL)

    def stop(self):
        """Warm shutdown, then SIGKILL to the whole group: no pool child survives a test."""
        _RUNNING.discard(self)
        if self.process.poll() is None:
            self.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=20)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        if self.process.poll() is None:
            self.process.wait(timeout=10)
        if self._log_file is not None:
            self._log_file.close()


def wait_for(condition, timeout=30.0, interval=0.2, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def drain(app, queues=None, timeout=60.0):
    """Wait until this run's workers hold no task and its queues are empty, so a test's
    database flush never races a task still running (it would deadlock on PostgreSQL)."""
    queues = queues or (default_queue(),)

    if app.conf.broker_url.startswith("filesystem://"):
        # No broadcast control here: wait for the queue folder to empty, then a moment.
        folder = Path(app.conf.broker_transport_options["data_folder_in"])
        pending = lambda: [m for q in queues for m in folder.glob(f"*.{q}.msg")]  # noqa: E731
        wait_for(lambda: not pending(), timeout=timeout, what="an empty queue")
        time.sleep(1.5)
        return

    def idle():
        mine = [worker.hostname for worker in _RUNNING]
        if not mine:
            return True
        inspector = app.control.inspect(timeout=1.0, destination=mine)
        busy = [inspector.active() or {}, inspector.reserved() or {}]
        if any(tasks for state in busy for tasks in state.values()):
            return False
        with app.connection_for_write() as conn:
            channel = conn.default_channel
            for queue in queues:
                try:
                    if channel.queue_declare(queue=queue, passive=True).message_count:
                        return False
                except Exception:  # noqa: S112 (a queue never declared is empty)
                    continue
        return True

    wait_for(idle, timeout=timeout, interval=0.3, what="the workers to go idle")
