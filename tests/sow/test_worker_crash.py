"""A worker killed in the middle of a PDF render: the render completes on the next worker.

Real Celery worker processes (`celery -A config worker`) on the real Redis broker, reading and writing
the test's PostgreSQL database. The first worker is SIGKILLed (its whole process group: no chance to
hand the message back) while the document is "rendering"; because the task acknowledges late, its
message stays unacknowledged in Redis, which gives it to the next worker once the visibility timeout
has passed (lowered for these workers through CELERY_VISIBILITY_TIMEOUT). The result: one file, ready.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
from celery import Celery
from django.db import connection
from pypdf import PdfReader

from sow.models import MANDATORY_SECTIONS, SECTIONS, SowDocument
from tests.conftest import wait_for

ROOT = Path(__file__).resolve().parents[2]
BROKER = os.environ.get("CELERY_BROKER_URL", "")
VISIBILITY_TIMEOUT = 6  # seconds; production uses hours
# A Redis database of its own: Redis keeps unacknowledged messages per database, and these workers'
# short visibility timeout must not hand back other tests' (or other people's) messages.
CRASH_TEST_REDIS_DB = 15

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not BROKER.startswith("redis://"), reason="needs a Redis broker (CELERY_BROKER_URL=redis://…)"
    ),
]


def dedicated_broker_url() -> str:
    parts = urlsplit(BROKER)
    return urlunsplit((parts.scheme, parts.netloc, f"/{CRASH_TEST_REDIS_DB}", "", ""))


def worker_database_url() -> str:
    """The URL of the test database this test runs in, for the worker processes."""
    db = connection.settings_dict
    user = quote(db.get("USER") or "", safe="")
    password = quote(db.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    return f"postgres://{credentials}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


def long_sow(version) -> None:
    """Every section many pages long, so the render takes seconds, not milliseconds."""
    paragraph = (
        "The migration team moves each pipeline, validates its output against the legacy run and "
        "records the result in the cut-over log, which the customer reviews every week. " * 6
    )
    for name, label in SECTIONS:
        setattr(version, name, "\n\n".join(f"**{label} {i}.** {paragraph}" for i in range(30)))
    assert all(getattr(version, name) for name in MANDATORY_SECTIONS)
    version.save()


class Worker:
    """`celery -A config worker` in its own process group, consuming only this test's queue."""

    def __init__(self, name: str, *, queue: str, env: dict[str, str], log: Path) -> None:
        self.log = log
        self._out = log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel=INFO",
             "--pool=prefork", "--concurrency=1", f"--queues={queue}", f"--hostname={name}@%h",
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=env, stdout=self._out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip

    def wait_ready(self, timeout: float = 60) -> None:
        wait_for(
            lambda: b"ready." in self.log.read_bytes() or self.process.poll() is not None, timeout=timeout
        )
        assert self.process.poll() is None, self.tail()

    def kill(self) -> None:
        """SIGKILL the main process and its pool children at once, as a crashed host would."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self._out.close()

    def tail(self) -> str:
        return self.log.read_bytes()[-4000:].decode(errors="replace")


def pdf_files(media: Path) -> list[Path]:
    return sorted((media / "sow" / "pdf").glob("*.pdf")) if (media / "sow" / "pdf").exists() else []


class CrashScene:
    """A long SOW's DRAFT document queued on a queue of its own, and the workers started for it."""

    def __init__(self, version, media: Path, logs: Path) -> None:
        self.media, self.logs = media, logs
        self.document = SowDocument.objects.create(sow_version=version, kind=SowDocument.Kind.DRAFT)
        self.queue = f"pdf-crash-test-{uuid.uuid4().hex[:12]}"
        self.broker = dedicated_broker_url()
        # The worker is not a pytest-xdist worker: without this the test settings would move it to
        # that pytest worker's own Redis database, away from the queue this scene sends to.
        inherited = {key: value for key, value in os.environ.items() if key != "PYTEST_XDIST_WORKER"}
        self.env = {
            **inherited,
            "DJANGO_SETTINGS_MODULE": "tests.worker_settings",
            "TEST_WORKER_MEDIA_ROOT": str(media),
            "DATABASE_URL": worker_database_url(),
            "CELERY_BROKER_URL": self.broker,
            "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
        }
        self.workers: list[Worker] = []

    def start_worker(self, name: str) -> Worker:
        worker = Worker(name, queue=self.queue, env=self.env, log=self.logs / f"{name}.log")
        self.workers.append(worker)
        worker.wait_ready()
        return worker

    def queue_render(self) -> None:
        # An explicit connection: Celery prefers the CELERY_BROKER_URL variable to an app's broker.
        sender = Celery("crash-test-sender")
        with sender.connection_for_write(self.broker) as conn:
            sender.send_task(
                "sow.tasks.render_sow_pdf",
                args=[self.document.pk],
                queue=self.queue,
                producer=conn.Producer(),
            )

    def wait_until_rendering(self) -> None:
        wait_for(lambda: self.state().status == "rendering", timeout=60, interval=0.05)

    def wait_until_ready(self, worker: Worker) -> SowDocument:
        try:
            return wait_for(
                lambda: SowDocument.objects.filter(pk=self.document.pk, status="ready").first(), timeout=150
            )
        except AssertionError:
            raise AssertionError(f"not rendered:\n{worker.tail()}") from None

    def state(self) -> SowDocument:
        return SowDocument.objects.get(pk=self.document.pk)

    def close(self) -> None:
        for worker in self.workers:
            worker.kill()
        _forget_queue(self.broker, self.queue)


@pytest.fixture
def scene(draft, settings, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the worker processes need a database they can share with the test: PostgreSQL")
    media = tmp_path / "media"
    media.mkdir()
    settings.MEDIA_ROOT = media
    long_sow(draft)
    scene = CrashScene(draft, media, tmp_path)
    try:
        yield scene
    finally:
        scene.close()  # every worker started is killed, whatever happened


def assert_one_ready_file(scene: CrashScene, ready: SowDocument) -> None:
    assert ready.attempts == 2 and ready.error == ""  # the interrupted render, then the complete one
    files = pdf_files(scene.media)
    assert len(files) == 1, files
    assert Path(ready.file.path) == files[0]
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(files[0].read_bytes())).pages)
    assert "DRAFT" in text and "Harbor Bank" in text


def test_render_killed_with_its_worker_completes_on_the_next_worker(scene):
    """The whole worker dies (host crash, OOM kill of the group): Redis redelivers after the timeout."""
    first = scene.start_worker("crash-first")
    scene.queue_render()
    scene.wait_until_rendering()
    first.kill()
    killed = scene.state()
    assert (killed.status, killed.attempts, killed.file.name) == ("rendering", 1, ""), first.tail()
    assert pdf_files(scene.media) == []  # killed before anything was written

    time.sleep(VISIBILITY_TIMEOUT + 1)  # the unacknowledged message is now due for redelivery
    second = scene.start_worker("crash-second")
    assert_one_ready_file(scene, scene.wait_until_ready(second))


def test_render_whose_pool_process_dies_is_handed_back_at_once(scene):
    """Only the process running the task dies: the worker rejects the message back to the queue
    (reject_on_worker_lost) and its next pool process renders it, without waiting for a timeout."""
    worker = scene.start_worker("crash-pool")
    scene.queue_render()
    scene.wait_until_rendering()
    children = child_pids(worker.process.pid)
    assert len(children) == 1, children
    os.kill(children[0], signal.SIGKILL)
    ready = scene.wait_until_ready(worker)
    assert_one_ready_file(scene, ready)
    assert b"WorkerLostError" in worker.log.read_bytes()


def child_pids(pid: int) -> list[int]:
    """Processes whose parent is `pid` (from /proc: the worker's pool processes)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return children


def _forget_queue(broker: str, queue: str) -> None:
    """Leave nothing of this test's queue in Redis (its list, binding and any unacknowledged copy)."""
    import json

    import redis

    client = redis.Redis.from_url(broker)
    try:
        client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
        for tag, raw in client.hgetall("unacked").items():
            if json.loads(raw)[2] == queue:
                client.hdel("unacked", tag)
                client.zrem("unacked_index", tag)
    finally:
        client.close()
