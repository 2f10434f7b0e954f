"""`make run` as a newcomer gets it: `manage.py run_with_worker` starts the web server and a real
Celery worker (beat inside) on kombu's filesystem broker — nothing installed — serves /health/,
has the worker do a task the page queued, and stops both on Ctrl-C (SIGINT to the process group)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from celery import Celery
from django.db import connection

from core.jobs import job_queue
from core.models import BackgroundJob
from tests.conftest import wait_for
from tests.sow.test_worker_crash import worker_database_url

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db(transaction=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=2) as response:  # noqa: S310
            return bool(response.status == 200)
    except OSError:
        return False


def _send(broker_dir: Path, task: str, kwargs: dict[str, object]) -> None:
    """Queue a task on the filesystem broker, as the web process of `make run` does."""
    sender = Celery("run-test-sender")
    sender.conf.broker_transport_options = {
        "data_folder_in": str(broker_dir / "queue"),
        "data_folder_out": str(broker_dir / "queue"),
        "control_folder": str(broker_dir / "control"),
    }
    with sender.connection_for_write("filesystem://") as conn:
        sender.send_task(task, kwargs=kwargs, producer=conn.Producer())


def test_run_with_worker_serves_processes_a_task_and_stops_on_ctrl_c(tmp_path, admin_person):
    if connection.vendor != "postgresql":
        pytest.skip("the processes need a database they can share with the test: PostgreSQL")
    port, broker_dir, log = _free_port(), tmp_path / "broker", tmp_path / "run.log"
    skip = ("PYTEST_XDIST_WORKER", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE")
    env = {key: value for key, value in os.environ.items() if key not in skip}
    env |= {
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": worker_database_url(),
        "LOCAL_BROKER_DIR": str(broker_dir),
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603
            [sys.executable, "manage.py", "run_with_worker", f"127.0.0.1:{port}", "--noreload"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        try:
            wait_for(lambda: _healthy(port) or process.poll() is not None, timeout=180)
            assert process.poll() is None, log.read_text(errors="replace")[-3000:]
            wait_for(lambda: b"ready." in log.read_bytes(), timeout=180)  # the worker too

            job = job_queue(
                actor=admin_person.user,
                kind="forecast_snapshot",
                label="Snapshot",
                permission="forecasting.add_forecastsnapshot",
            )
            _send(
                broker_dir,
                "forecasting.tasks.take_snapshot_now",
                {"job_id": job.pk, "actor_id": admin_person.user.pk, "replace": False},
            )
            try:
                done = wait_for(
                    lambda: BackgroundJob.objects.filter(pk=job.pk, state="done").first(), timeout=120
                )
            except AssertionError:
                raise AssertionError(log.read_text(errors="replace")[-3000:]) from None
            assert done.message.endswith("0 opportunities stored.")

            os.killpg(process.pid, signal.SIGINT)  # Ctrl-C in the terminal
            assert process.wait(timeout=90) == 0
            assert not _healthy(port)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)
