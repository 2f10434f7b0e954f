"""Every write to staffing, by concern:

- `requirements`: a SOW's staffing requirements and their skills;
- `assignments`: proposing, confirming (with the over-allocation check) and cancelling people on them.

Who may do what is in staffing/access.py. Callers import them from here: `from staffing import services`.
"""

from staffing.services.assignments import (
    assignment_cancel,
    assignment_confirm,
    assignment_propose,
    assignment_staff,
    over_allocation,
)
from staffing.services.requirements import (
    MAX_PERIOD_DAYS,
    MAX_TEXT,
    staffing_requirement_create,
    staffing_requirement_delete,
    staffing_requirement_update,
)

__all__ = [
    "MAX_PERIOD_DAYS",
    "MAX_TEXT",
    "assignment_cancel",
    "assignment_confirm",
    "assignment_propose",
    "assignment_staff",
    "over_allocation",
    "staffing_requirement_create",
    "staffing_requirement_delete",
    "staffing_requirement_update",
]
