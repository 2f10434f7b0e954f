"""The deal-hygiene rules that read an opportunity's own columns, defined once here so the pipeline
(this app) and the forecast (forecasting.hygiene, which adds the flags that need snapshot history)
apply the same ones.

- *past due*: still open, its close date before the as-of date (today);
- *Salesforce category disagrees with the EM colour*: open, and the owner's forecast category
  (Salesforce's ForecastCategoryName) and the EM's colour point opposite ways: **Commit** while the
  EM says Red or Grey, or **Omitted** while the EM says Green or Amber. Pipeline and Best Case sit
  between the two and never disagree; Closed is for closed deals. Compared ignoring case, as an org
  may respell the standard names.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from engagements.models import Confidence

# Salesforce's standard ForecastCategoryName values, in the order Salesforce lists them by likelihood.
SF_COMMIT = "Commit"
SF_OMITTED = "Omitted"
SF_CATEGORIES = ["Omitted", "Pipeline", "Best Case", "Commit", "Closed"]
# The EM colours that contradict each of the owner's two firm categories.
CONTRADICTS: dict[str, tuple[str, ...]] = {
    SF_COMMIT: (Confidence.RED, Confidence.GREY),
    SF_OMITTED: (Confidence.GREEN, Confidence.AMBER),
}


def past_due_call(
    close_field: str = "close_date", closed_field: str = "is_closed", *, as_of: dt.date | None = None
) -> Q:
    """Still open, its close date before `as_of` (today). The field names name the close date and
    the closed flag in queries over other rows (a forecast snapshot's copy of them)."""
    return Q(**{closed_field: False, f"{close_field}__lt": as_of or timezone.localdate()})


def category_disagrees_call() -> Q:
    """Open, and the owner's category and the EM's colour point opposite ways."""
    disagree = Q(pk__in=[])
    for category, colours in CONTRADICTS.items():
        disagree |= Q(forecast_category__iexact=category, em_confidence__in=colours)
    return Q(is_closed=False) & disagree


def category_disagrees(category: str, colour: str, *, is_closed: bool = False) -> bool:
    """The same rule on one pair of values (one opportunity, or one cell of a table)."""
    if is_closed:
        return False
    return any(
        category.strip().lower() == firm.lower() and colour in colours
        for firm, colours in CONTRADICTS.items()
    )
