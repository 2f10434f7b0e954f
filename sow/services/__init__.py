"""Every write to SOWs, by concern:

- `drafting`: a SOW generated from the agreed estimate, and edits to a draft's sections;
- `costs`: the version's cost lines (COGS);
- `transitions`: the approval state machine, signature and hand-off (nothing else writes a
  version's status), and what stops a draft from being submitted;
- `documents`: rendered PDFs queued for the worker;
- `signed_copy`: the check of the customer's signed PDF;
- `notifications`: who hears of submissions and decisions;
- `versions`: the version claimed at the one the user saw, and the status a write needs.

Callers import them from here: `from sow import services`.
"""

from sow.margin import kind_margins, version_margin
from sow.services.costs import cost_line_add, cost_line_delete, cost_line_update, cost_problems
from sow.services.documents import sow_request_pdf
from sow.services.drafting import sow_create, sow_update_sections
from sow.services.transitions import (
    days_to_signature,
    sow_approve,
    sow_hand_off,
    sow_mark_sent,
    sow_mark_signed,
    sow_reopen,
    sow_request_changes,
    sow_revise,
    sow_submit,
    sow_withdraw,
    submission_problems,
)

__all__ = [
    "cost_line_add",
    "cost_line_delete",
    "cost_line_update",
    "cost_problems",
    "days_to_signature",
    "kind_margins",
    "sow_approve",
    "sow_create",
    "sow_hand_off",
    "sow_mark_sent",
    "sow_mark_signed",
    "sow_reopen",
    "sow_request_changes",
    "sow_request_pdf",
    "sow_revise",
    "sow_submit",
    "sow_update_sections",
    "sow_withdraw",
    "submission_problems",
    "version_margin",
]
