"""Every write to scoping issues, estimates and TA reviews, by concern:

- `issues`: opening, editing and moving scoping issues; the TA review threshold and state; the
  guard the SOW app asks before it creates a SOW;
- `ta_review`: Technical Architect decisions and requests for their help;
- `estimates`: estimate versions, their lines and the calculator;
- `catalog`: what a rate-card role and an offering's default activity must hold;
- `amounts`: quantities, hours and money as the calculator (and the SOW's cost lines) accept them.

Callers import them from here: `from scoping import services`.
"""

from scoping.services.amounts import (
    MAX_MONEY,
    MAX_QUANTITY,
    check_decimal,
    check_hours,
    check_money,
    check_quantity,
)
from scoping.services.catalog import check_activity_role, check_rates, rate_card_role_names
from scoping.services.estimates import (
    LineChange,
    estimate_add_line,
    estimate_add_offering,
    estimate_agree,
    estimate_create,
    estimate_delete_line,
    estimate_preview,
    estimate_revise,
    estimate_share,
    estimate_update,
)
from scoping.services.issues import (
    agreed_estimate,
    scoping_issue_create,
    scoping_issue_mark_approved,
    scoping_issue_move,
    scoping_issue_ready_for_sow,
    scoping_issue_update,
    ta_review_satisfied,
    ta_review_threshold,
)
from scoping.services.ta_review import ta_approve, ta_mark_assisted, ta_request_assistance, ta_send_back

__all__ = [
    "MAX_MONEY",
    "MAX_QUANTITY",
    "LineChange",
    "agreed_estimate",
    "check_activity_role",
    "check_decimal",
    "check_hours",
    "check_money",
    "check_quantity",
    "check_rates",
    "estimate_add_line",
    "estimate_add_offering",
    "estimate_agree",
    "estimate_create",
    "estimate_delete_line",
    "estimate_preview",
    "estimate_revise",
    "estimate_share",
    "estimate_update",
    "rate_card_role_names",
    "scoping_issue_create",
    "scoping_issue_mark_approved",
    "scoping_issue_move",
    "scoping_issue_ready_for_sow",
    "scoping_issue_update",
    "ta_approve",
    "ta_mark_assisted",
    "ta_request_assistance",
    "ta_review_satisfied",
    "ta_review_threshold",
    "ta_send_back",
]
