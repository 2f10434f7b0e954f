"""The status of one background job, polled by the page that started it (core/jobs.py)."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from core import access
from core.jobs import status_of
from core.models import BackgroundJob
from core.types import HtmxHttpRequest


@require_GET
def job_status(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(BackgroundJob.objects.select_related("requested_by"), pk=pk)
    access.can_watch_job.require(request.user, job)
    status = status_of(job, poll_url=reverse("job_status", args=[job.pk]))
    return render(request, "core/_job_status.html", {"status": status})
