"""What a higher app says about a SOW before it is handed off, without sow importing that app.

Staffing registers a callable in its AppConfig.ready() that lists the SOW's staffing gaps (one
sentence each); the hand-off refuses "staffing confirmed" while any is listed, unless an override
reason is given.
"""

from __future__ import annotations

from collections.abc import Callable

from sow.models import Sow

StaffingGaps = Callable[[Sow], list[str]]
_staffing_checks: list[StaffingGaps] = []


def register_staffing_check(check: StaffingGaps) -> None:
    if check not in _staffing_checks:
        _staffing_checks.append(check)


def staffing_gaps(sow: Sow) -> list[str]:
    return [gap for check in _staffing_checks for gap in check(sow)]
