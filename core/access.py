"""Who may read and export the audit trail (core.models.AuditEntry)."""

from __future__ import annotations

from core.models import BackgroundJob
from core.rules import rule, user_rule
from core.types import AnyUser


@user_rule("The audit trail is for administrators and leadership.")
def can_read_audit_trail(user: AnyUser) -> bool:
    return bool(user.is_authenticated and user.has_perm("core.view_auditentry"))


@user_rule("Only administrators export the audit trail.")
def can_export_audit_trail(user: AnyUser) -> bool:
    return bool(user.is_authenticated and user.has_perm("core.export_auditentry"))


@rule("Only the person who started this job, or someone who may start it, may watch it.")
def can_watch_job(user: AnyUser, job: BackgroundJob) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser or (job.requested_by_id is not None and job.requested_by_id == user.pk):
        return True
    return bool(job.permission and user.has_perm(job.permission))
