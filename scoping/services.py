"""Every write to scoping issues, estimates and TA reviews."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from core.exceptions import Conflict
from core.validators import clean_single_line, parse_decimal, parse_integer
from engagements.models import Opportunity
from engagements.services import opportunity_update_em_fields, validate_scoping_link
from people.models import Person
from scoping import access, calculator
from scoping.models import (
    MAX_LINE_HOURS,
    DeliveryRole,
    Estimate,
    EstimateLine,
    OfferingCategory,
    ScopingIssue,
    ScopingStatus,
    ServiceOffering,
    TaAssistance,
    TaReview,
    TaReviewState,
)

DISCOVERY_FIELDS = ("current_state", "constraints", "desired_outcomes", "requirements")
MAX_QUANTITY = 10_000
MAX_MONEY = Decimal("999999999999.99")


def ta_review_threshold() -> Decimal:
    return Decimal(str(getattr(settings, "TA_REVIEW_THRESHOLD", "50000")))


# --------------------------------------------------------------------------- scoping issues


def _check_edit(actor: User, issue: ScopingIssue) -> None:
    if not access.can_edit(actor, issue):
        raise PermissionDenied(
            "Only the assignee, the opportunity's EM, their manager or an administrator may do this."
        )


def _clean_service_types(values: Iterable[str]) -> list[str]:
    values = list(values)
    unknown = [v for v in values if v not in OfferingCategory.values]
    if unknown:
        raise ValidationError(
            {"service_types": ValidationError("Unknown service type.", code="invalid_choice")}
        )
    return sorted(set(values))


def _clean_title(title: str) -> str:
    """A title on one line: it becomes the SOW's title and the subject of its approval emails."""
    title = clean_single_line(title, field="title")
    if not title:
        raise ValidationError({"title": ValidationError("Give the scoping issue a title.", code="required")})
    return title


@transaction.atomic
def scoping_issue_create(
    *,
    actor: User,
    opportunity: Opportunity,
    title: str,
    assignee: Person | None = None,
    current_state: str = "",
    constraints: str = "",
    desired_outcomes: str = "",
    requirements: str = "",
    service_types: Iterable[str] = (),
    external_link: str = "",
) -> ScopingIssue:
    """Open a scoping issue on an opportunity. The first one becomes the opportunity's Scoping
    Issue Link (unless the EM already set one), through the EM-field service and its push."""
    if not access.can_create_for(actor, opportunity):
        raise PermissionDenied(
            "Only the opportunity's EM, their manager or an administrator may open scoping issues."
        )
    title = _clean_title(title)
    issue = ScopingIssue(
        opportunity=opportunity,
        title=title[:200],
        assignee=assignee or opportunity.engagement_manager,
        current_state=current_state.strip(),
        constraints=constraints.strip(),
        desired_outcomes=desired_outcomes.strip(),
        requirements=requirements.strip(),
        service_types=_clean_service_types(service_types),
        external_link=validate_scoping_link(external_link, field="external_link"),
    )
    issue._history_user = actor  # type: ignore[attr-defined]
    issue.save()
    first = not ScopingIssue.objects.filter(opportunity=opportunity).exclude(pk=issue.pk).exists()
    fresh_opportunity = Opportunity.objects.get(pk=opportunity.pk)
    if first and not fresh_opportunity.scoping_issue_link:
        opportunity_update_em_fields(
            actor=actor,
            opportunity=fresh_opportunity,
            expected_version=fresh_opportunity.version,
            scoping_issue_link=settings.SITE_URL.rstrip("/") + issue.get_absolute_url(),
        )
    return issue


def _claim_issue(issue: ScopingIssue, expected_version: int) -> ScopingIssue:
    if not ScopingIssue.objects.filter(pk=issue.pk, version=expected_version).update(
        version=F("version") + 1
    ):
        raise Conflict(
            "Someone else changed this scoping issue while you were editing it. Nothing was saved."
        )
    return ScopingIssue.objects.select_related("opportunity").get(pk=issue.pk)


@transaction.atomic
def scoping_issue_update(
    *,
    actor: User,
    issue: ScopingIssue,
    expected_version: int,
    title: str,
    assignee: Person | None,
    current_state: str,
    constraints: str,
    desired_outcomes: str,
    requirements: str,
    service_types: Iterable[str],
    external_link: str,
) -> ScopingIssue:
    """Edit the discovery record."""
    _check_edit(actor, issue)
    title = _clean_title(title)
    types = _clean_service_types(service_types)
    link = validate_scoping_link(external_link, field="external_link")
    fresh = _claim_issue(issue, expected_version)
    fresh.title = title[:200]
    fresh.assignee = assignee
    fresh.current_state = current_state.strip()
    fresh.constraints = constraints.strip()
    fresh.desired_outcomes = desired_outcomes.strip()
    fresh.requirements = requirements.strip()
    fresh.service_types = types
    fresh.external_link = link
    fresh._history_user = actor  # type: ignore[attr-defined]
    fresh.save()
    return fresh


def agreed_estimate(issue: ScopingIssue) -> Estimate | None:
    return issue.estimates.filter(status=Estimate.Status.AGREED).order_by("-number").first()


def ta_review_satisfied(issue: ScopingIssue) -> bool:
    """True when the agreed estimate is at or under the threshold, or a TA approved it."""
    estimate = agreed_estimate(issue)
    if estimate is None:
        return False
    if estimate.total <= ta_review_threshold():
        return True
    return TaReview.objects.filter(
        scoping_issue=issue, estimate=estimate, decision=TaReview.Decision.APPROVED
    ).exists()


def scoping_issue_ready_for_sow(issue: ScopingIssue) -> Estimate:
    """The agreed estimate a SOW may be created from; refuses while there is none or a TA review
    is pending. The SOW service calls this before it creates anything."""
    estimate = agreed_estimate(issue)
    if estimate is None:
        raise ValidationError(
            "Mark an estimate version agreed before creating a SOW.", code="no_agreed_estimate"
        )
    if not ta_review_satisfied(issue):
        raise ValidationError(
            f"{estimate.label} totals {estimate.currency} {estimate.total:,.2f}, above the TA review "
            "threshold; "
            "a Technical Architect must approve it first.",
            code="ta_review_pending",
        )
    return estimate


_NEEDS_AGREED = {ScopingStatus.READY_FOR_APPROVAL, ScopingStatus.APPROVED}


@transaction.atomic
def scoping_issue_move(*, actor: User, issue: ScopingIssue, status: str) -> ScopingIssue:
    """Move an issue on the board. "Ready for approval" and "Approved" need an agreed estimate and,
    above the threshold, a TA's approval of it; on hold and closed are reachable from anywhere."""
    _check_edit(actor, issue)
    if status not in ScopingStatus.values:
        raise ValidationError({"status": ValidationError("Unknown status.", code="invalid_choice")})
    if status in _NEEDS_AGREED:
        scoping_issue_ready_for_sow(issue)
    fresh = ScopingIssue.objects.select_for_update().get(pk=issue.pk)
    fresh.status = status
    fresh.version += 1
    fresh._history_user = actor  # type: ignore[attr-defined]
    fresh.save()
    return fresh


def _refresh_ta_state(issue: ScopingIssue) -> None:
    """Derive the TA review state from the relevant estimate (the agreed one, else the latest)."""
    estimate = agreed_estimate(issue) or issue.estimates.order_by("-number").first()
    state = TaReviewState.NOT_NEEDED
    if estimate is not None and estimate.total > ta_review_threshold():
        last = (
            TaReview.objects.filter(
                scoping_issue=issue,
                estimate=estimate,
                decision__in=[TaReview.Decision.APPROVED, TaReview.Decision.SENT_BACK],
            )
            .order_by("-at", "-id")
            .first()
        )
        if last is None:
            state = TaReviewState.NEEDS_REVIEW
        elif last.decision == TaReview.Decision.APPROVED:
            state = TaReviewState.APPROVED
        else:
            state = TaReviewState.SENT_BACK
    if issue.ta_review_state != state:
        ScopingIssue.objects.filter(pk=issue.pk).update(ta_review_state=state)
        issue.ta_review_state = state


# --------------------------------------------------------------------------- TA review


@transaction.atomic
def ta_request_assistance(*, actor: User, issue: ScopingIssue, note: str) -> TaReview:
    """An EM asks a Technical Architect for help, at any time, with a note."""
    _check_edit(actor, issue)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": ValidationError("Say what you need help with.", code="required")})
    ScopingIssue.objects.filter(pk=issue.pk).update(
        ta_assistance=TaAssistance.REQUESTED, ta_assistance_note=note
    )
    return TaReview.objects.create(
        scoping_issue=issue,
        decision=TaReview.Decision.ASSISTANCE_REQUESTED,
        actor=actor,
        at=timezone.now(),
        comment=note,
    )


def _check_reviewer(actor: User) -> None:
    if not access.can_review(actor):
        raise PermissionDenied("Only Technical Architects review scoping issues.")


def _review_target(issue: ScopingIssue) -> Estimate:
    estimate = agreed_estimate(issue) or issue.estimates.order_by("-number").first()
    if estimate is None:
        raise ValidationError("There is no estimate to review yet.", code="no_estimate")
    return estimate


@transaction.atomic
def ta_approve(*, actor: User, issue: ScopingIssue, comment: str = "") -> TaReview:
    """A TA approves the issue's current estimate (the agreed one, else the latest version)."""
    _check_reviewer(actor)
    estimate = _review_target(issue)
    review = TaReview.objects.create(
        scoping_issue=issue,
        estimate=estimate,
        decision=TaReview.Decision.APPROVED,
        actor=actor,
        at=timezone.now(),
        comment=(comment or "").strip(),
    )
    _refresh_ta_state(issue)
    return review


@transaction.atomic
def ta_send_back(*, actor: User, issue: ScopingIssue, comment: str) -> TaReview:
    """A TA sends the estimate back to the EM; a comment is required."""
    _check_reviewer(actor)
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": ValidationError("Say what must change.", code="required")})
    estimate = _review_target(issue)
    review = TaReview.objects.create(
        scoping_issue=issue,
        estimate=estimate,
        decision=TaReview.Decision.SENT_BACK,
        actor=actor,
        at=timezone.now(),
        comment=comment,
    )
    _refresh_ta_state(issue)
    return review


@transaction.atomic
def ta_mark_assisted(*, actor: User, issue: ScopingIssue, comment: str) -> TaReview:
    _check_reviewer(actor)
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": ValidationError("Record the help you gave.", code="required")})
    ScopingIssue.objects.filter(pk=issue.pk).update(ta_assistance=TaAssistance.ASSISTED)
    return TaReview.objects.create(
        scoping_issue=issue,
        decision=TaReview.Decision.ASSISTED,
        actor=actor,
        at=timezone.now(),
        comment=comment,
    )


# --------------------------------------------------------------------------- estimates


def _check_estimate_edit(actor: User, estimate: Estimate) -> None:
    _check_edit(actor, estimate.scoping_issue)
    if estimate.is_frozen:
        raise ValidationError(
            f"{estimate.label} is {estimate.get_status_display().lower()} and frozen; "
            "revise it to make changes.",
            code="frozen",
        )


def _recalculate(estimate: Estimate) -> calculator.Totals:
    lines = list(estimate.lines.all())
    totals = calculator.compute(
        lines,
        contingency_percent=estimate.contingency_percent,
        expenses=estimate.expenses,
        discount=estimate.discount,
    )
    Estimate.objects.filter(pk=estimate.pk).update(total=totals.total, total_hours=totals.hours)
    estimate.total, estimate.total_hours = totals.total, totals.hours
    _refresh_ta_state(estimate.scoping_issue)
    return totals


@transaction.atomic
def estimate_create(*, actor: User, issue: ScopingIssue) -> Estimate:
    """Start v1 of an issue's estimate in the opportunity's currency."""
    _check_edit(actor, issue)
    if issue.estimates.exists():
        raise ValidationError(
            "This issue already has an estimate; revise the latest version instead.", code="exists"
        )
    estimate = Estimate(
        scoping_issue=issue,
        number=1,
        currency=issue.opportunity.currency,
        created_by=actor,
        reason="Initial estimate",
    )
    estimate._history_user = actor  # type: ignore[attr-defined]
    estimate.save()
    return estimate


def _next_position(estimate: Estimate) -> int:
    return (estimate.lines.aggregate(m=Max("position"))["m"] or 0) + 1


def _rate_for(role_name: str, currency: str) -> DeliveryRole:
    role = DeliveryRole.objects.filter(name=role_name, currency=currency, active=True).first()
    if role is None:
        raise ValidationError(
            f"The rate card has no active {currency} rate for {role_name}; "
            "ask a Practice Manager to add one.",
            code="no_rate",
        )
    return role


@transaction.atomic
def estimate_add_offering(
    *, actor: User, estimate: Estimate, offering: ServiceOffering, quantity: int = 1
) -> list[EstimateLine]:
    """A packaged SKU adds quantity × its unit price; a custom offering adds its default activities
    as role × hours lines at the rate card's current rates (copied onto the lines)."""
    _check_estimate_edit(actor, estimate)
    if not offering.active:
        raise ValidationError(
            {"offering": ValidationError("That offering is no longer sold.", code="inactive")}
        )
    position = _next_position(estimate)
    lines: list[EstimateLine] = []
    if offering.kind == ServiceOffering.Kind.PACKAGED:
        _check_quantity(quantity, field="quantity")
        if offering.currency != estimate.currency:
            raise ValidationError(
                {
                    "offering": ValidationError(
                        f"{offering.name} is priced in {offering.currency}; "
                        f"this estimate is in {estimate.currency}.",
                        code="currency_mismatch",
                    )
                }
            )
        lines.append(
            EstimateLine(
                estimate=estimate,
                kind=EstimateLine.Kind.SKU,
                position=position,
                offering=offering,
                description=f"{offering.code} — {offering.name}",
                quantity=quantity,
                unit_price=offering.unit_price or Decimal("0"),
                hours=offering.included_hours * quantity,
            )
        )
    else:
        activities = list(offering.activities.all())
        if not activities:
            raise ValidationError(
                {
                    "offering": ValidationError(
                        f"{offering.name} has no default activities; add lines by hand.", code="no_activities"
                    )
                }
            )
        for index, activity in enumerate(activities):
            role = _rate_for(activity.role_name, estimate.currency)
            lines.append(
                EstimateLine(
                    estimate=estimate,
                    kind=EstimateLine.Kind.ACTIVITY,
                    position=position + index,
                    offering=offering,
                    role_name=role.name,
                    description=f"{offering.name}: {activity.description}",
                    hours=activity.hours,
                    bill_rate=role.bill_rate,
                    cost_rate=role.cost_rate,
                )
            )
    EstimateLine.objects.bulk_create(lines)
    _touch(estimate, actor)
    _recalculate(estimate)
    return lines


def _check_quantity(value: Any, *, field: str) -> int:
    try:
        number = parse_integer(value)
    except ValidationError as exc:
        raise ValidationError({field: exc}) from None
    if number < 1 or number > MAX_QUANTITY:
        raise ValidationError(
            {field: ValidationError(f"Quantity must be between 1 and {MAX_QUANTITY:,}.", code="range")}
        )
    return number


def _check_hours(value: Any, *, field: str) -> Decimal:
    hours = _decimal(value, field=field)
    if hours <= 0 or hours > MAX_LINE_HOURS:
        raise ValidationError(
            {field: ValidationError("Hours must be more than 0 and at most 10,000.", code="range")}
        )
    if hours != hours.quantize(Decimal("0.01")):
        raise ValidationError({field: ValidationError("Use at most two decimal places.", code="precision")})
    return hours


def _decimal(value: Any, *, field: str) -> Decimal:
    """A number in ASCII digits (core.validators.parse_decimal), as a ValidationError on `field`."""
    try:
        return parse_decimal(value)
    except ValidationError as exc:
        raise ValidationError({field: exc}) from None


def _check_money(value: Any, *, field: str) -> Decimal:
    amount = _decimal(value, field=field)
    if amount < 0:
        raise ValidationError({field: ValidationError("Must not be negative.", code="negative")})
    if amount > MAX_MONEY:
        raise ValidationError({field: ValidationError("That amount is too large.", code="too_large")})
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationError({field: ValidationError("Use at most two decimal places.", code="precision")})
    return amount


@transaction.atomic
def estimate_add_line(
    *,
    actor: User,
    estimate: Estimate,
    kind: str,
    description: str,
    role_name: str = "",
    hours: Any = None,
    quantity: Any = 1,
    unit_price: Any = None,
) -> EstimateLine:
    """Add an activity line (role × hours at the current rate) or a free line (quantity × price)."""
    _check_estimate_edit(actor, estimate)
    description = clean_single_line(description, field="description")
    if not description:
        raise ValidationError({"description": ValidationError("Describe the line.", code="required")})
    line = EstimateLine(estimate=estimate, position=_next_position(estimate), description=description[:300])
    if kind == EstimateLine.Kind.ACTIVITY:
        role = _rate_for(role_name, estimate.currency)
        line.kind = EstimateLine.Kind.ACTIVITY
        line.role_name, line.hours = role.name, _check_hours(hours, field="hours")
        line.bill_rate, line.cost_rate = role.bill_rate, role.cost_rate
    elif kind == EstimateLine.Kind.FREE:
        line.kind = EstimateLine.Kind.FREE
        line.quantity = _check_quantity(quantity, field="quantity")
        line.unit_price = _check_money(unit_price, field="unit_price")
    else:
        raise ValidationError(
            {"kind": ValidationError("Choose an activity or another line.", code="invalid_choice")}
        )
    line.save()
    _touch(estimate, actor)
    _recalculate(estimate)
    return line


@dataclass
class LineChange:
    line_id: int
    description: str
    quantity: Any = None
    hours: Any = None
    unit_price: Any = None
    delete: bool = False


def _touch(estimate: Estimate, actor: User) -> None:
    Estimate.objects.filter(pk=estimate.pk).update(version=F("version") + 1, updated_at=timezone.now())
    estimate.version += 1


@transaction.atomic
def estimate_update(
    *,
    actor: User,
    estimate: Estimate,
    expected_version: int,
    contingency_percent: Any,
    expenses: Any,
    discount: Any,
    lines: list[LineChange],
) -> calculator.Totals:
    """Save the calculator: line edits and deletions, contingency, expenses and discount.

    All values are checked first; on any error nothing is saved. The discount may not exceed
    the subtotal. A save based on a stale version is refused.
    """
    _check_estimate_edit(actor, estimate)
    errors: dict[str, list[ValidationError]] = {}

    def collect(fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ValidationError as exc:
            for key, errs in exc.error_dict.items():
                errors.setdefault(key, []).extend(errs)
            return None

    contingency = collect(_decimal, contingency_percent, field="contingency_percent")
    if contingency is not None and not (Decimal("0") <= contingency <= Decimal("100")):
        errors.setdefault("contingency_percent", []).append(
            ValidationError("Contingency must be between 0 and 100 %.", code="range")
        )
    expenses_amount = collect(_check_money, expenses, field="expenses")
    discount_amount = collect(_check_money, discount, field="discount")

    existing = {line.pk: line for line in estimate.lines.all()}
    kept: list[EstimateLine] = []
    to_delete: list[int] = []
    for change in lines:
        line = existing.get(change.line_id)
        if line is None:
            continue
        if change.delete:
            to_delete.append(line.pk)
            continue
        prefix = f"line-{line.pk}-"
        description = collect(clean_single_line, change.description, field=prefix + "description")
        if description is None:
            description = ""
        elif not description:
            errors.setdefault(prefix + "description", []).append(
                ValidationError("Describe the line.", code="required")
            )
        line.description = description[:300]
        if line.kind == EstimateLine.Kind.ACTIVITY:
            hours = collect(_check_hours, change.hours, field=prefix + "hours")
            if hours is not None:
                line.hours = hours
        else:
            quantity = collect(_check_quantity, change.quantity, field=prefix + "quantity")
            if quantity is not None:
                if line.kind == EstimateLine.Kind.SKU and line.offering is not None:
                    line.hours = line.offering.included_hours * quantity
                line.quantity = quantity
            if line.kind == EstimateLine.Kind.FREE:
                price = collect(_check_money, change.unit_price, field=prefix + "unit_price")
                if price is not None:
                    line.unit_price = price
        kept.append(line)
    untouched = [
        line for pk, line in existing.items() if pk not in to_delete and all(c.line_id != pk for c in lines)
    ]

    if not errors:
        totals = calculator.compute(
            kept + untouched, contingency_percent=contingency, expenses=expenses_amount, discount=Decimal("0")
        )
        if discount_amount > totals.subtotal:
            errors["discount"] = [
                ValidationError(
                    f"The discount may not exceed the subtotal ({estimate.currency} {totals.subtotal:,.2f}).",
                    code="discount_too_large",
                )
            ]
    if errors:
        raise ValidationError(errors)

    if not Estimate.objects.filter(pk=estimate.pk, version=expected_version).update(version=F("version") + 1):
        raise Conflict(
            "Someone else changed this estimate while you were editing it. "
            "Nothing was saved; reload to see their changes."
        )
    EstimateLine.objects.filter(pk__in=to_delete).delete()
    EstimateLine.objects.bulk_update(kept, ["description", "quantity", "hours", "unit_price"])
    estimate.refresh_from_db()
    estimate.contingency_percent = contingency
    estimate.expenses = expenses_amount
    estimate.discount = discount_amount
    estimate._history_user = actor  # type: ignore[attr-defined]
    estimate.save()
    return _recalculate(estimate)


def estimate_preview(
    *, estimate: Estimate, contingency_percent: Any, expenses: Any, discount: Any, lines: list[LineChange]
) -> tuple[calculator.Totals | None, dict[str, list[str]]]:
    """Totals for unsaved calculator input (as the EM types), with field errors; saves nothing."""
    errors: dict[str, list[str]] = {}
    existing = {line.pk: line for line in estimate.lines.all()}
    preview_lines = []
    for change in lines:
        line = existing.get(change.line_id)
        if line is None or change.delete:
            continue
        prefix = f"line-{line.pk}-"
        try:
            if line.kind == EstimateLine.Kind.ACTIVITY:
                line.hours = _check_hours(change.hours, field=prefix + "hours")
            else:
                line.quantity = _check_quantity(change.quantity, field=prefix + "quantity")
                if line.kind == EstimateLine.Kind.FREE:
                    line.unit_price = _check_money(change.unit_price, field=prefix + "unit_price")
        except ValidationError as exc:
            for key, errs in exc.message_dict.items():
                errors.setdefault(key, []).extend(errs)
        preview_lines.append(line)
    parsed: dict[str, Decimal] = {}
    for field_name, value, check in (
        ("expenses", expenses, _check_money),
        ("discount", discount, _check_money),
        ("contingency_percent", contingency_percent, _decimal),
    ):
        try:
            parsed[field_name] = check(value, field=field_name)
        except ValidationError as exc:
            errors.setdefault(field_name, []).extend(exc.message_dict[field_name])
    if errors:
        return None, errors
    contingency = parsed["contingency_percent"]
    if not Decimal("0") <= contingency <= Decimal("100"):
        return None, {"contingency_percent": ["Contingency must be between 0 and 100 %."]}
    totals = calculator.compute(
        preview_lines,
        contingency_percent=contingency,
        expenses=parsed["expenses"],
        discount=parsed["discount"],
    )
    if totals.discount > totals.subtotal:
        return None, {"discount": ["The discount may not exceed the subtotal."]}
    return totals, {}


@transaction.atomic
def estimate_delete_line(*, actor: User, line: EstimateLine) -> None:
    estimate = line.estimate
    _check_estimate_edit(actor, estimate)
    line.delete()
    _touch(estimate, actor)
    _recalculate(estimate)


@transaction.atomic
def estimate_revise(*, actor: User, estimate: Estimate, reason: str) -> Estimate:
    """Create v(n+1) as a draft copy of this version (lines and rates as they were), with a reason."""
    issue = estimate.scoping_issue
    _check_edit(actor, issue)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {"reason": ValidationError("Say why you are revising the estimate.", code="required")}
        )
    draft = issue.estimates.filter(status=Estimate.Status.DRAFT).first()
    if draft is not None:
        raise ValidationError(
            f"{draft.label} is still a draft; edit it instead of revising.", code="draft_exists"
        )
    ScopingIssue.objects.select_for_update().filter(pk=issue.pk).first()  # serialise numbering
    number = (issue.estimates.aggregate(m=Max("number"))["m"] or 0) + 1
    revision = Estimate(
        scoping_issue=issue,
        number=number,
        currency=estimate.currency,
        reason=reason,
        contingency_percent=estimate.contingency_percent,
        expenses=estimate.expenses,
        discount=estimate.discount,
        created_by=actor,
    )
    revision._history_user = actor  # type: ignore[attr-defined]
    revision.save()
    EstimateLine.objects.bulk_create(
        [
            EstimateLine(
                estimate=revision,
                kind=line.kind,
                position=line.position,
                offering_id=line.offering_id,
                role_name=line.role_name,
                description=line.description,
                quantity=line.quantity,
                unit_price=line.unit_price,
                hours=line.hours,
                bill_rate=line.bill_rate,
                cost_rate=line.cost_rate,
            )
            for line in estimate.lines.all()
        ]
    )
    _recalculate(revision)
    return revision


def _check_has_lines(estimate: Estimate) -> None:
    if not estimate.lines.exists():
        raise ValidationError("Add at least one line first.", code="empty")


@transaction.atomic
def estimate_share(*, actor: User, estimate: Estimate) -> Estimate:
    """Share a draft with the customer or sales; it is frozen from now on."""
    _check_edit(actor, estimate.scoping_issue)
    if estimate.status != Estimate.Status.DRAFT:
        raise ValidationError(
            f"Only a draft can be shared; {estimate.label} is {estimate.status}.", code="bad_state"
        )
    _check_has_lines(estimate)
    estimate.status = Estimate.Status.SHARED
    estimate.shared_at = timezone.now()
    estimate._history_user = actor  # type: ignore[attr-defined]
    estimate.save()
    return estimate


@transaction.atomic
def estimate_agree(*, actor: User, estimate: Estimate) -> Estimate:
    """Mark this version agreed; every other version of the issue becomes superseded."""
    issue = estimate.scoping_issue
    _check_edit(actor, issue)
    if estimate.status not in (Estimate.Status.DRAFT, Estimate.Status.SHARED):
        raise ValidationError(
            f"{estimate.label} is {estimate.status} and cannot be agreed.", code="bad_state"
        )
    _check_has_lines(estimate)
    now = timezone.now()
    for other in issue.estimates.exclude(pk=estimate.pk).exclude(status=Estimate.Status.SUPERSEDED):
        other.status = Estimate.Status.SUPERSEDED
        other._history_user = actor  # type: ignore[attr-defined]
        other.save()
    estimate.status = Estimate.Status.AGREED
    estimate.agreed_at = now
    if estimate.shared_at is None:
        estimate.shared_at = now
    estimate._history_user = actor  # type: ignore[attr-defined]
    estimate.save()
    _refresh_ta_state(issue)
    return estimate
