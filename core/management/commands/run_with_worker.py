"""`make run`: the web server and a real Celery worker (with beat inside it) side by side, as in
production, on the configured broker or — with none configured — kombu's filesystem transport, which
needs nothing installed. Ctrl-C stops both; so does either one stopping on its own."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

LOCAL_BROKER = "filesystem://"
STOP_SECONDS = 15


class Command(BaseCommand):
    help = "Run the web server and a Celery worker with beat; Ctrl-C stops both."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--no-beat", action="store_true", help="Run the worker without beat.")
        parser.add_argument("--noreload", action="store_true", help="Pass --noreload to runserver.")

    def handle(self, *args: Any, **options: Any) -> None:
        environment = dict(os.environ)
        broker = settings.CELERY_BROKER_URL
        if not broker or settings.CELERY_TASK_ALWAYS_EAGER:
            broker = LOCAL_BROKER
            environment["CELERY_BROKER_URL"] = broker
        if broker.startswith(LOCAL_BROKER):
            for folder in ("queue", "control", "processed"):
                (Path(settings.LOCAL_BROKER_DIR) / folder).mkdir(parents=True, exist_ok=True)
        self.stdout.write(f"Background tasks go to a Celery worker on {broker.split('@')[-1]}.")
        manage = str(Path(settings.BASE_DIR) / "manage.py")
        worker = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--loglevel=INFO",
            "--concurrency=2",
        ]
        if not options["no_beat"]:
            worker.append("--beat")
        if broker.startswith(LOCAL_BROKER):
            worker += ["--without-gossip", "--without-mingle"]  # one worker: nobody to talk to
        web = [sys.executable, manage, "runserver", options["addrport"]]
        if options["noreload"]:
            web.append("--noreload")
        # Our own interpreter and fixed arguments: nothing here comes from outside.
        processes = [
            subprocess.Popen(worker, env=environment),  # noqa: S603
            subprocess.Popen(web, env=environment),  # noqa: S603
        ]
        try:
            while all(process.poll() is None for process in processes):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass  # Ctrl-C reached the children too (one process group): let them stop
        finally:
            self._stop(processes)

    def _stop(self, processes: list[subprocess.Popen[bytes]]) -> None:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        for process in processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
