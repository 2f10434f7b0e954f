"""Who may read and export the audit trail (core.models.AuditEntry)."""

from __future__ import annotations

from core.rules import user_rule
from core.types import AnyUser


@user_rule("The audit trail is for administrators and leadership.")
def can_read_audit_trail(user: AnyUser) -> bool:
    return bool(user.is_authenticated and user.has_perm("core.view_auditentry"))


@user_rule("Only administrators export the audit trail.")
def can_export_audit_trail(user: AnyUser) -> bool:
    return bool(user.is_authenticated and user.has_perm("core.export_auditentry"))
