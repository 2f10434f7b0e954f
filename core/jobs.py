"""Background jobs people start from a page (Sync now, taking a snapshot, a SOW's PDF) and watch
while a Celery worker does them. One status rule for all of them:

    queued → running → done | failed      (queued → failed too: it never started)

`done` and `failed` are final: nothing moves a job out of them. A task may run twice (a redelivered
message), so `running → running` is allowed and a final job is not started again. Each move is one
conditional UPDATE, so two workers (or a worker and a late retry) cannot both move the same job.

Pages show a job through `JobStatus` (core/_job_status.html), polled with htmx until it is final;
records that keep their own state (a SOW document's queued / rendering / ready / failed) are shown
through the same `JobStatus` and the same template.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from core.access import can_watch_job
from core.models import BackgroundJob
from core.types import AnyUser

State = BackgroundJob.State
FINAL = frozenset({State.DONE, State.FAILED})
# The states a job may move to each state from.
MOVES_FROM: dict[str, tuple[str, ...]] = {
    State.RUNNING: (State.QUEUED, State.RUNNING),
    State.DONE: (State.RUNNING,),
    State.FAILED: (State.QUEUED, State.RUNNING),
}
POLL_SECONDS = 2


def job_queue(*, actor: AnyUser | None, kind: str, label: str, permission: str = "") -> BackgroundJob:
    """A new job in `queued`; the caller queues its task with `transaction.on_commit` and the id."""
    return BackgroundJob.objects.create(
        kind=kind,
        label=label,
        permission=permission,
        requested_by=actor if actor is not None and actor.is_authenticated else None,
        queued_at=timezone.now(),
    )


def _move(job_id: int, state: str, **fields: object) -> bool:
    with transaction.atomic():
        moved = BackgroundJob.objects.filter(pk=job_id, state__in=MOVES_FROM[state]).update(
            state=state, **fields
        )
    return bool(moved)


def job_start(job_id: int | None) -> bool:
    """The worker picked the job up. False when the job is final (or gone): the task does nothing."""
    if job_id is None:
        return True
    return _move(job_id, State.RUNNING, started_at=timezone.now())


def job_progress(job_id: int | None, *, done: int, total: int | None = None, message: str = "") -> None:
    """How far a running job is (`done` of `total` steps, when it knows its total)."""
    if job_id is None:
        return
    fields: dict[str, object] = {"progress_done": done, "progress_total": total}
    if message:
        fields["message"] = message
    BackgroundJob.objects.filter(pk=job_id, state=State.RUNNING).update(**fields)


def job_finish(job_id: int | None, *, ok: bool, message: str = "", result_url: str = "") -> bool:
    """Done (ok) or failed, with the outcome in words. False when it was already final."""
    if job_id is None:
        return False
    state = State.DONE if ok else State.FAILED
    return _move(job_id, state, message=message, result_url=result_url, finished_at=timezone.now())


@dataclass(frozen=True)
class JobStatus:
    """What a page shows of one job while it runs and after."""

    state: str  # one of BackgroundJob.State
    label: str
    message: str = ""
    poll_url: str = ""
    queued_at: dt.datetime | None = None
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    progress_done: int = 0
    progress_total: int | None = None
    result_url: str = ""
    key: str = ""

    @property
    def final(self) -> bool:
        return self.state in FINAL

    @property
    def state_label(self) -> str:
        return str(State(self.state).label)

    @property
    def badge_class(self) -> str:
        return {
            State.QUEUED: "text-bg-secondary",
            State.RUNNING: "text-bg-info",
            State.DONE: "text-bg-success",
            State.FAILED: "text-bg-danger",
        }[State(self.state)]

    @property
    def polling(self) -> bool:
        return bool(self.poll_url) and not self.final

    @property
    def seconds_running(self) -> int | None:
        if self.state != State.RUNNING or self.started_at is None:
            return None
        return max(0, int((timezone.now() - self.started_at).total_seconds()))

    @property
    def seconds_waiting(self) -> int | None:
        if self.state != State.QUEUED or self.queued_at is None:
            return None
        return max(0, int((timezone.now() - self.queued_at).total_seconds()))


def status_of(job: BackgroundJob, *, poll_url: str = "") -> JobStatus:
    return JobStatus(
        state=job.state,
        label=job.label,
        message=job.message,
        poll_url=poll_url,
        queued_at=job.queued_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        progress_done=job.progress_done,
        progress_total=job.progress_total,
        result_url=job.result_url,
        key=f"job-{job.pk}",
    )


def recent_jobs(
    *, kind: str, user: AnyUser, within: dt.timedelta = dt.timedelta(hours=1)
) -> list[BackgroundJob]:
    """The jobs of `kind` the user may watch that are still going or ended within the hour, newest first."""
    since = timezone.now() - within
    jobs = BackgroundJob.objects.filter(kind=kind, queued_at__gte=since).select_related("requested_by")[:5]
    return [job for job in jobs if can_watch_job(user, job)]
