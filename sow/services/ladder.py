"""The approval ladder: which approvers a submitted SOW version (or change request) needs, in which
order, by when, and who may decide each step.

- `plan` turns the facts of a submission (price in the corporate currency, margin against the
  category's target and floor, discount share, pricing type, region, category, non-standard terms,
  whether it is a change request) into steps: the PS Director first, then one step per matching
  active rule, in the rules' order (a second rule naming the same approver adds its reason to that
  approver's step).
- `start` freezes the plan as the submission's steps (a round: a resubmission gets a new one) and
  starts the first; `decide` records one step's decision and starts the next. Nothing else writes a
  step's status.
- Each step is due after its service level in working hours (sow.working_hours); `send_due_notices`
  reminds the approvers before that and escalates once it is overdue, once each.
- Delegation: while an approver is away (a Delegation covering today) their delegate may decide
  their steps, recorded "approved by X on behalf of Y".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone

from core import actions
from core.types import AnyUser
from notifications.models import Kind
from notifications.selectors import users_with_permission
from notifications.services import Recipient, notify
from people.models import Person, Region
from sow.change_request_totals import change_request_totals
from sow.margin import Margin, version_margin
from sow.models import (
    ApprovalRule,
    ApprovalStep,
    ApproverRoleMember,
    ChangeRequest,
    Delegation,
    MarginTarget,
    SowVersion,
)
from sow.working_hours import add_working_hours, calendar_for

Subject = SowVersion | ChangeRequest
Status = ApprovalStep.Status
HUNDRED = Decimal("100")
DIRECTOR_LABEL = "PS Director"
DIRECTOR_PERMISSION = "sow.approve_sow"


# --------------------------------------------------------------------------- words


def percent_text(value: Decimal | None) -> str:
    """22 → "22", 22.46 → "22.5" (one decimal, a trailing .0 left out)."""
    if value is None:
        return "n/a"
    text = f"{Decimal(value):.1f}"
    return text[:-2] if text.endswith(".0") else text


def money_text(amount: Decimal, currency: str) -> str:
    amount = Decimal(amount)
    shown = f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,.2f}"
    return f"{currency} {shown}"


def ladder_text(steps: Iterable[Any]) -> str:
    """ "1. PS Director · 2. Finance (price > USD 250,000) · 3. VP PS (margin 22 % below floor 25 %)"."""
    return " · ".join(step.title for step in steps)


# --------------------------------------------------------------------------- facts and plan


@dataclass(frozen=True)
class Facts:
    """What the rules ask of one submission."""

    is_change_request: bool
    price: Decimal
    currency: str
    corporate_price: Decimal | None  # None: no exchange rate for the currency
    margin: Margin
    floor_percent: Decimal | None
    discount_percent: Decimal | None
    pricing_type: str
    region: Region | None
    category: str
    non_standard_terms: bool

    @property
    def below_floor(self) -> bool:
        percent = self.margin.percent
        return self.floor_percent is not None and (percent is None or percent < self.floor_percent)


@dataclass
class PlannedStep:
    position: int
    label: str
    reasons: list[str] = field(default_factory=list)
    rule: ApprovalRule | None = None
    approver_role_id: int | None = None
    approver_person: Person | None = None
    region: Region | None = None
    escalation_role_id: int | None = None
    is_floor: bool = False
    service_level_hours: Decimal = Decimal("16")
    reminder_hours: Decimal = Decimal("4")

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)

    @property
    def title(self) -> str:
        return f"{self.position}. {self.label}{f' ({self.reason})' if self.reason else ''}"


def floor_for(category: str) -> Decimal | None:
    row = MarginTarget.objects.filter(category=category).values_list("floor_percent", flat=True).first()
    return Decimal(row) if row is not None else None


def _corporate(amount: Decimal, currency: str) -> Decimal | None:
    from forecasting.figures import RateBook  # the forecast owns exchange rates

    return RateBook.load().on(timezone.localdate()).convert(amount, currency)


def version_facts(version: SowVersion) -> Facts:
    estimate = version.estimate
    before_discount = estimate.total + estimate.discount
    discount = estimate.discount / before_discount * HUNDRED if before_discount > 0 else None
    return Facts(
        is_change_request=False,
        price=version.total,
        currency=version.currency,
        corporate_price=_corporate(version.total, version.currency),
        margin=version_margin(version),
        floor_percent=floor_for(version.category),
        discount_percent=discount if estimate.discount > 0 else Decimal("0"),
        pricing_type=version.pricing_type,
        region=version.sow.opportunity.region,
        category=version.category,
        non_standard_terms=version.non_standard_terms,
    )


def change_request_facts(change_request: ChangeRequest) -> Facts:
    totals = change_request_totals(change_request)
    version = change_request.sow_version
    return Facts(
        is_change_request=True,
        price=totals.price_delta,
        currency=change_request.currency,
        corporate_price=_corporate(totals.price_delta, change_request.currency),
        margin=totals.new_margin,
        floor_percent=floor_for(version.category),
        discount_percent=None,
        pricing_type=version.pricing_type,
        region=change_request.sow.opportunity.region,
        category=version.category,
        non_standard_terms=False,
    )


def rule_reasons(rule: ApprovalRule, facts: Facts) -> list[str] | None:
    """Why `rule` applies to `facts` (one reason per condition it sets), or None when it does not."""
    wanted = {ApprovalRule.AppliesTo.BOTH} | {
        ApprovalRule.AppliesTo.CHANGE_REQUESTS if facts.is_change_request else ApprovalRule.AppliesTo.SOWS
    }
    if rule.applies_to not in wanted:
        return None
    reasons: list[str] = []
    corporate = str(settings.CORPORATE_CURRENCY)
    margin = facts.margin.percent
    if rule.min_price is not None:
        if facts.corporate_price is None:
            # No rate: the approver is asked rather than skipped.
            reasons.append(
                f"price {money_text(facts.price, facts.currency)}, no exchange rate to {corporate}"
            )
        elif facts.corporate_price > rule.min_price:
            reasons.append(f"price > {money_text(rule.min_price, corporate)}")
        else:
            return None
    if rule.margin_below_target:
        if not facts.margin.below_target:
            return None
        reasons.append(
            f"margin {percent_text(margin)} % below target {percent_text(facts.margin.target_percent)} %"
        )
    if rule.margin_below_floor:
        if not facts.below_floor:
            return None
        reasons.append(f"margin {percent_text(margin)} % below floor {percent_text(facts.floor_percent)} %")
    if rule.min_discount_percent is not None:
        if facts.discount_percent is None or facts.discount_percent < rule.min_discount_percent:
            return None
        reasons.append(f"discount {percent_text(facts.discount_percent)} %")
    if rule.pricing_type:
        if facts.pricing_type != rule.pricing_type:
            return None
        reasons.append(rule.get_pricing_type_display().lower())
    if rule.region_id is not None:
        if facts.region is None or facts.region.pk != rule.region_id:
            return None
        reasons.append(f"region {facts.region.code}")
    if rule.category:
        if facts.category != rule.category:
            return None
        reasons.append(rule.get_category_display().lower())
    if rule.non_standard_terms:
        if not facts.non_standard_terms:
            return None
        reasons.append("non-standard terms")
    if facts.is_change_request and not reasons:
        reasons.append("change request")
    return reasons


def _director_step() -> PlannedStep:
    return PlannedStep(
        position=1,
        label=DIRECTOR_LABEL,
        service_level_hours=Decimal(str(getattr(settings, "SOW_APPROVAL_DIRECTOR_HOURS", 16))),
        reminder_hours=Decimal(str(getattr(settings, "SOW_APPROVAL_REMINDER_HOURS", 4))),
    )


def plan(facts: Facts, rules: Sequence[ApprovalRule] | None = None) -> list[PlannedStep]:
    """The ladder `facts` need: the PS Director, then each matching rule's approver in order."""
    if rules is None:
        rules = list(
            ApprovalRule.objects.filter(active=True)
            .select_related("approver_role", "approver_person", "region")
            .order_by("order", "pk")
        )
    steps = [_director_step()]
    by_approver: dict[tuple[str, int], PlannedStep] = {}
    for rule in rules:
        reasons = rule_reasons(rule, facts)
        if reasons is None:
            continue
        region = facts.region if rule.region_scoped else None
        if rule.approver_role_id is not None:
            key = ("role", rule.approver_role_id)
            label = str(rule.approver_role)
        else:
            key = ("person", rule.approver_person_id or 0)
            label = str(rule.approver_person)
        if region is not None:
            label = f"{label} {region.code}"
        existing = by_approver.get(key)
        if existing is not None:
            existing.reasons.extend(r for r in reasons if r not in existing.reasons)
            existing.is_floor = existing.is_floor or rule.margin_below_floor
            existing.service_level_hours = min(existing.service_level_hours, rule.service_level_hours)
            continue
        step = PlannedStep(
            position=len(steps) + 1,
            label=label,
            reasons=list(reasons),
            rule=rule,
            approver_role_id=rule.approver_role_id,
            approver_person=rule.approver_person,
            region=region,
            escalation_role_id=rule.escalation_role_id,
            is_floor=rule.margin_below_floor,
            service_level_hours=rule.service_level_hours,
            reminder_hours=rule.reminder_hours,
        )
        by_approver[key] = step
        steps.append(step)
    return steps


def facts_of(subject: Subject) -> Facts:
    return change_request_facts(subject) if isinstance(subject, ChangeRequest) else version_facts(subject)


# --------------------------------------------------------------------------- steps


def _subject_filter(subject: Subject) -> Q:
    if isinstance(subject, ChangeRequest):
        return Q(change_request_id=subject.pk)
    return Q(sow_version_id=subject.pk)


def steps_of(subject: Subject) -> list[ApprovalStep]:
    """The latest round of `subject`'s steps (empty before its first submission)."""
    rows = list(
        ApprovalStep.objects.filter(_subject_filter(subject))
        .select_related("decided_by", "on_behalf_of", "approver_person")
        .order_by("-round", "position")
    )
    if not rows:
        return []
    latest = rows[0].round
    return [row for row in rows if row.round == latest]


def shown_ladder(subject: Subject) -> list[Any]:
    """The ladder to show: the frozen steps once submitted, else what a submission now would get."""
    steps = steps_of(subject)
    return steps if steps else plan(facts_of(subject))


def _calendar_region(step: ApprovalStep, subject: Subject) -> Region | None:
    if step.region_id is not None:
        return step.region
    if step.approver_person is not None and step.approver_person.region_id is not None:
        return step.approver_person.region
    sow = subject.sow
    return sow.opportunity.region


def _open(step: ApprovalStep, subject: Subject, now: dt.datetime) -> None:
    calendar = calendar_for(_calendar_region(step, subject))
    step.status = Status.WAITING
    step.started_at = now
    step.due_at = add_working_hours(now, step.service_level_hours, calendar)
    ahead = max(step.service_level_hours - step.reminder_hours, Decimal("0"))
    step.remind_at = add_working_hours(now, ahead, calendar) if step.reminder_hours > 0 else None
    step.save(update_fields=["status", "started_at", "due_at", "remind_at"])


@transaction.atomic
def start(*, actor: User, subject: Subject, tell_first: bool = False) -> list[ApprovalStep]:
    """Freeze the ladder of this submission (a new round) and start its first step."""
    now = timezone.now()
    last = ApprovalStep.objects.filter(_subject_filter(subject)).aggregate(m=Max("round"))["m"] or 0
    ApprovalStep.objects.filter(_subject_filter(subject), status__in=[Status.PENDING, Status.WAITING]).update(
        status=Status.CLOSED
    )
    subject_fields: dict[str, Any] = (
        {"change_request": subject} if isinstance(subject, ChangeRequest) else {"sow_version": subject}
    )
    steps = [
        ApprovalStep(
            **subject_fields,
            round=last + 1,
            position=planned.position,
            label=planned.label[:200],
            reason=planned.reason[:500],
            rule=planned.rule,
            approver_role_id=planned.approver_role_id,
            approver_person=planned.approver_person,
            region=planned.region,
            escalation_role_id=planned.escalation_role_id,
            is_floor=planned.is_floor,
            service_level_hours=planned.service_level_hours,
            reminder_hours=planned.reminder_hours,
            submitted_by=actor,
        )
        for planned in plan(facts_of(subject))
    ]
    ApprovalStep.objects.bulk_create(steps)
    _open(steps[0], subject, now)
    if tell_first:
        _tell_waiting(steps[0], subject, actor=actor)
    return steps


def current_step(subject: Subject) -> ApprovalStep | None:
    return next((s for s in steps_of(subject) if s.status == Status.WAITING), None)


def close_open_steps(subject: Subject) -> None:
    """A withdrawn submission's steps are not needed any more."""
    ApprovalStep.objects.filter(_subject_filter(subject), status__in=[Status.PENDING, Status.WAITING]).update(
        status=Status.CLOSED
    )


def floor_approved(subject: Subject) -> bool:
    """Whether the SOW version's or change request's ladder holds an approved margin-floor step."""
    return any(s.is_floor and s.status == Status.APPROVED for s in steps_of(subject))


def floor_problem(subject: Subject) -> str:
    """Why the SOW version or change request may not go to the customer: its margin (a change
    request's: the contract's after the change) is below its category's floor and no floor approver
    approved it ("" when it may go)."""
    facts = facts_of(subject)
    if not facts.below_floor or floor_approved(subject):
        return ""
    what = "The contract margin after this change" if facts.is_change_request else "Margin"
    return (
        f"{what} {percent_text(facts.margin.percent)} % is below the {percent_text(facts.floor_percent)} "
        "% floor and the floor's approver has not approved it: it cannot be sent. Revise it and submit it "
        "again."
    )


# --------------------------------------------------------------------------- who decides


def active_delegations(on: dt.date) -> Q:
    return Q(starts_on__lte=on, ends_on__gte=on)


def step_people(step: ApprovalStep) -> list[Person]:
    """The people a step is assigned to (before delegation)."""
    if step.approver_person_id is not None:
        return [p for p in [step.approver_person] if p is not None]
    if step.approver_role_id is not None:
        members = ApproverRoleMember.objects.filter(role_id=step.approver_role_id).select_related("person")
        if step.region_id is not None:
            members = members.filter(Q(region__isnull=True) | Q(region_id=step.region_id))
        return [m.person for m in members if m.person.active]
    return list(Person.objects.filter(user__in=users_with_permission(DIRECTOR_PERMISSION), active=True))


@dataclass
class Approver:
    """What one login may decide today: as themselves, and for whom they stand in."""

    user: AnyUser
    person_id: int | None
    directors: set[int]  # people, among self and those delegating to them, who approve as PS Director
    stands_in_for: dict[int, Person]  # person id -> the person delegating to this login today
    roles: dict[int, list[tuple[int, int | None]]]  # role id -> [(person id, member region id)]

    @classmethod
    def of(cls, user: AnyUser, on: dt.date | None = None) -> Approver:
        on = on or timezone.localdate()
        person = Person.objects.filter(user_id=user.pk).first() if user.is_authenticated else None
        stands_in: dict[int, Person] = {}
        if person is not None:
            for delegation in Delegation.objects.filter(
                active_delegations(on), delegate=person
            ).select_related("person"):
                stands_in[delegation.person_id] = delegation.person
        ids = ([person.pk] if person else []) + list(stands_in)
        directors: set[int] = set()
        if person is not None and user.has_perm(DIRECTOR_PERMISSION):
            directors.add(person.pk)
        if stands_in:
            holders = users_with_permission(DIRECTOR_PERMISSION)
            directors |= set(
                Person.objects.filter(pk__in=list(stands_in), user__in=holders).values_list("pk", flat=True)
            )
        roles: dict[int, list[tuple[int, int | None]]] = {}
        for role_id, person_id, region_id in ApproverRoleMember.objects.filter(person_id__in=ids).values_list(
            "role_id", "person_id", "region_id"
        ):
            roles.setdefault(role_id, []).append((person_id, region_id))
        return cls(user, person.pk if person else None, directors, stands_in, roles)

    def acting_for(self, step: ApprovalStep) -> tuple[bool, Person | None]:
        """(may decide, on behalf of whom: None when as themselves)."""
        candidates: list[int] = []
        if step.approver_person_id is not None:
            candidates = [step.approver_person_id]
        elif step.approver_role_id is not None:
            candidates = [
                person_id
                for person_id, region_id in self.roles.get(step.approver_role_id, [])
                if step.region_id is None or region_id is None or region_id == step.region_id
            ]
        else:
            if self.user.is_authenticated and self.user.has_perm(DIRECTOR_PERMISSION):
                return True, None
            candidates = list(self.directors)
        if self.person_id is not None and self.person_id in candidates:
            return True, None
        for person_id in candidates:
            if person_id in self.stands_in_for:
                return True, self.stands_in_for[person_id]
        return False, None


def _approves(approver: Approver, step: ApprovalStep) -> bool:
    """Whether the approver's own person is among the people `step` is assigned to."""
    if approver.person_id is None:
        return False
    if step.approver_person_id is not None:
        return step.approver_person_id == approver.person_id
    if step.approver_role_id is not None:
        return any(
            person_id == approver.person_id
            and (step.region_id is None or region_id is None or region_id == step.region_id)
            for person_id, region_id in approver.roles.get(step.approver_role_id, [])
        )
    return approver.person_id in approver.directors


def refusal(
    user: AnyUser,
    step: ApprovalStep | None,
    subject: Subject,
    approver: Approver | None = None,
    siblings: Sequence[ApprovalStep] | None = None,
) -> str:
    """Why `user` may not decide `step` of `subject` now ("" when they may). `siblings`, the steps
    of the step's round already read (with `approver`), saves the queries a list page would repeat."""
    if step is None or step.status != Status.WAITING:
        return "No step of this ladder is waiting for a decision."
    if not user.is_authenticated:
        return "Log in to decide."
    if user.pk in (subject.author_id, step.submitted_by_id):
        return "You authored or submitted this; another approver must decide each step."
    approver = approver or Approver.of(user)
    allowed, _ = approver.acting_for(step)
    if not allowed:
        return f"Step {step.title} waits for {step.label}; you may not decide it."
    if siblings is not None:
        if step.approver_role_id is None and step.approver_person_id is None:
            for other in siblings:
                if other.position > step.position and _approves(approver, other):
                    return (
                        f"You approve step {other.title} of this ladder; "
                        "another PS Director must approve this one."
                    )
        if any(s.status == Status.APPROVED and s.decided_by_id == user.pk for s in siblings):
            return "You approved an earlier step of this ladder; another approver must decide this one."
        return ""
    if step.approver_role_id is None and step.approver_person_id is None:
        # A later step's approver leaves the PS Director step to another director.
        later = ApprovalStep.objects.filter(
            _subject_filter(subject), round=step.round, position__gt=step.position
        )
        person = Person.objects.filter(user_id=user.pk).first()
        for other in later.select_related("approver_person"):
            if person is not None and person in step_people(other):
                return (
                    f"You approve step {other.title} of this ladder; "
                    "another PS Director must approve this one."
                )
    earlier = ApprovalStep.objects.filter(
        _subject_filter(subject), round=step.round, status=Status.APPROVED, decided_by_id=user.pk
    )
    if earlier.exists():
        return "You approved an earlier step of this ladder; another approver must decide this one."
    return ""


def _decision_words(step: ApprovalStep, user: User, on_behalf_of: Person | None) -> str:
    person = Person.objects.filter(user_id=user.pk).values_list("name", flat=True).first()
    name = person or user.get_full_name() or user.get_username()
    verb = "Approved" if step.status == Status.APPROVED else "Changes requested"
    return f"{verb} by {name}{f' on behalf of {on_behalf_of.name}' if on_behalf_of else ''}"


def decided_words(step: ApprovalStep) -> str:
    """ "Approved by Fiona Finance on behalf of Victor Vp" (for pages)."""
    if step.decided_by is None:
        return step.get_status_display()
    return _decision_words(step, step.decided_by, step.on_behalf_of)


@dataclass(frozen=True)
class Decision:
    step: ApprovalStep
    last: bool  # the ladder is complete (approved) or ended (changes requested)
    action: str = ""  # the audit wording: "approved step 1 of 2 (PS Director)"
    changes: list[dict[str, str]] = field(default_factory=list)  # the step's line (the delegate shown)


def decide(
    *, actor: User, subject: Subject, approve: bool, comment: str, record_last: bool = True
) -> Decision:
    """Record `actor`'s decision on the waiting step of `subject` (claimed by the caller), with its
    audit entry (the delegate shown); start the next step when one follows an approval. With
    `record_last=False` a decision that ends the ladder writes no entry: the caller's status change
    writes the one entry, with the decision's `action` and `changes`."""
    step = current_step(subject)
    if step is None:
        # Submitted before ladders existed: it gets its ladder now, starting with the PS Director.
        start(actor=actor, subject=subject)
        step = current_step(subject)
        if step is not None:
            step.submitted_by_id = None
            step.save(update_fields=["submitted_by"])
    message = refusal(actor, step, subject)
    if message:
        raise PermissionDenied(message)
    assert step is not None
    _, on_behalf_of = Approver.of(actor).acting_for(step)
    now = timezone.now()
    step.status = Status.APPROVED if approve else Status.CHANGES_REQUESTED
    step.decided_at = now
    step.decided_by = actor
    step.on_behalf_of = on_behalf_of
    step.comment = comment
    step.save(update_fields=["status", "decided_at", "decided_by", "on_behalf_of", "comment"])
    later = ApprovalStep.objects.filter(
        _subject_filter(subject), round=step.round, position__gt=step.position
    )
    total = step.position + later.count()
    words = _decision_words(step, actor, on_behalf_of)
    verb = "approved" if approve else "requested changes at"
    action = f"{verb} step {step.position} of {total} ({step.label})"
    changes = [{"field": f"step {step.title}", "before": Status.WAITING.label, "after": words}]
    following = later.order_by("position").first() if approve else None
    last = following is None
    if record_last or not last:
        actions.record(actor=actor, action=action, obj=subject, changes=changes, note=comment, at=now)
    if not approve:
        later.update(status=Status.CLOSED)
        return Decision(step, True, action, changes)
    if following is None:
        return Decision(step, True, action, changes)
    _open(following, subject, now)
    _tell_waiting(following, subject, actor=actor)
    return Decision(step, False, action, changes)


# --------------------------------------------------------------------------- telling approvers


def _review_link(subject: Subject) -> str:
    if isinstance(subject, ChangeRequest):
        return reverse("admin:sow_approvalqueueitem_cr_review", args=[subject.pk])
    return reverse("admin:sow_approvalqueueitem_review", args=[subject.pk])


def _name_of(subject: Subject) -> str:
    if isinstance(subject, ChangeRequest):
        return f"{subject.sow.reference} {subject.label} {subject.title}"
    return f"{subject.sow.reference} {subject.label} {subject.sow.title}"


def _kind(subject: Subject) -> Kind:
    return Kind.CR_SUBMITTED if isinstance(subject, ChangeRequest) else Kind.SOW_SUBMITTED


def with_delegates(people: list[Person], on: dt.date) -> list[Recipient]:
    """The people and whoever stands in for them today."""
    delegates = [
        d.delegate
        for d in Delegation.objects.filter(active_delegations(on), person__in=people).select_related(
            "delegate"
        )
    ]
    return [*people, *delegates]


def _tell_waiting(step: ApprovalStep, subject: Subject, *, actor: User | None) -> None:
    due = timezone.localtime(step.due_at).strftime("%d %b %Y %H:%M") if step.due_at else "—"
    notify(
        recipients=with_delegates(step_people(step), timezone.localdate()),
        kind=_kind(subject),
        title=f"Approval step waiting for you: {_name_of(subject)}",
        body=f"Step {step.title} of {_name_of(subject)} waits for your decision, due {due}.",
        link=_review_link(subject),
        event_key=f"approval_step:{step.pk}:waiting",
        actor=actor,
    )


def _subject_of(step: ApprovalStep) -> Subject:
    if step.change_request_id is not None:
        return ChangeRequest.objects.select_related("sow", "sow__opportunity").get(pk=step.change_request_id)
    return SowVersion.objects.select_related("sow", "sow__opportunity").get(pk=step.sow_version_id or 0)


def escalation_recipients(step: ApprovalStep) -> list[Recipient]:
    """The step's escalation role, else the managers of the people it is assigned to."""
    if step.escalation_role_id is not None:
        return [
            m.person
            for m in ApproverRoleMember.objects.filter(role_id=step.escalation_role_id).select_related(
                "person"
            )
        ]
    managers = {p.manager_id for p in step_people(step) if p.manager_id is not None}
    return list(Person.objects.filter(pk__in=managers))


def _claim_notice(step_id: int, field_name: str, now: dt.datetime) -> bool:
    # Conditional update: of two runs at once, one claims the notice and the other sends nothing.
    return bool(
        ApprovalStep.objects.filter(
            pk=step_id, status=Status.WAITING, **{f"{field_name}__isnull": True}
        ).update(**{field_name: now})
    )


def send_due_notices(now: dt.datetime | None = None) -> dict[str, int]:
    """Remind the approvers of waiting steps whose reminder time has come, and escalate overdue
    ones; each step is reminded once and escalated once, however often this runs."""
    now = now or timezone.now()
    counts = {"reminded": 0, "escalated": 0}
    waiting = ApprovalStep.objects.filter(status=Status.WAITING)
    for step_id in list(
        waiting.filter(remind_at__lte=now, due_at__gt=now, reminded_at__isnull=True).values_list(
            "pk", flat=True
        )
    ):
        with transaction.atomic():
            if not _claim_notice(step_id, "reminded_at", now):
                continue
            step = ApprovalStep.objects.select_related("approver_person").get(pk=step_id)
            subject = _subject_of(step)
            due = timezone.localtime(step.due_at).strftime("%d %b %Y %H:%M") if step.due_at else "—"
            notify(
                recipients=with_delegates(step_people(step), timezone.localdate(now)),
                kind=_kind(subject),
                title=f"Reminder: approval due {due}: {_name_of(subject)}",
                body=f"Step {step.title} of {_name_of(subject)} is due {due}.",
                link=_review_link(subject),
                event_key=f"approval_step:{step.pk}:reminder",
            )
            counts["reminded"] += 1
    for step_id in list(
        waiting.filter(due_at__lte=now, escalated_at__isnull=True).values_list("pk", flat=True)
    ):
        with transaction.atomic():
            if not _claim_notice(step_id, "escalated_at", now):
                continue
            step = ApprovalStep.objects.select_related("approver_person").get(pk=step_id)
            subject = _subject_of(step)
            due = timezone.localtime(step.due_at).strftime("%d %b %Y %H:%M") if step.due_at else "—"
            notify(
                recipients=escalation_recipients(step),
                kind=_kind(subject),
                title=f"Overdue approval: {_name_of(subject)}",
                body=(
                    f"Step {step.title} of {_name_of(subject)} was due {due} and is still waiting "
                    f"for {step.label}."
                ),
                link=_review_link(subject),
                event_key=f"approval_step:{step.pk}:escalation",
            )
            counts["escalated"] += 1
    return counts


# --------------------------------------------------------------------------- delegation


@transaction.atomic
def delegation_set(
    *,
    actor: User,
    delegate: Person | None,
    starts_on: dt.date | None,
    ends_on: dt.date | None,
    note: str = "",
) -> Delegation:
    """The actor (an approver) hands their steps to `delegate` from `starts_on` to `ends_on`."""
    from sow import access

    access.can_decide_sows.require(actor)
    person = Person.objects.filter(user_id=actor.pk).first()
    if person is None:
        raise ValidationError("Your login has no directory entry to delegate from.", code="no_person")
    errors: dict[str, ValidationError] = {}
    if delegate is None:
        errors["delegate"] = ValidationError("Choose a delegate.", code="required")
    elif delegate.pk == person.pk:
        errors["delegate"] = ValidationError("Choose someone other than yourself.", code="self")
    elif not delegate.active or delegate.user_id is None:
        errors["delegate"] = ValidationError("Choose an active person who logs in.", code="inactive")
    elif not users_with_permission(DIRECTOR_PERMISSION).filter(pk=delegate.user_id).exists():
        errors["delegate"] = ValidationError(
            f"{delegate.name} cannot open the approval queue; choose an approver.", code="not_approver"
        )
    if starts_on is None:
        errors["starts_on"] = ValidationError("Give the first day.", code="required")
    if ends_on is None:
        errors["ends_on"] = ValidationError("Give the last day.", code="required")
    if starts_on and ends_on and ends_on < starts_on:
        errors["ends_on"] = ValidationError("The last day is before the first.", code="order")
    if ends_on and ends_on < timezone.localdate():
        errors["ends_on"] = ValidationError("That range is over already.", code="past")
    if (
        not errors
        and Delegation.objects.filter(person=person, starts_on__lte=ends_on, ends_on__gte=starts_on).exists()
    ):
        errors["starts_on"] = ValidationError("You already delegate some of those days.", code="overlap")
    if errors:
        raise ValidationError(errors)
    assert delegate is not None and starts_on is not None and ends_on is not None
    return actions.create(
        Delegation(
            person=person,
            delegate=delegate,
            starts_on=starts_on,
            ends_on=ends_on,
            note=(note or "").strip()[:300],
            created_by=actor,
        ),
        actor=actor,
        action="delegated approvals",
    )


@transaction.atomic
def delegation_end(*, actor: User, delegation: Delegation) -> None:
    """End one's own delegation: a future one is removed, a current one ends yesterday."""
    fresh = actions.lock(Delegation.objects.all(), pk=delegation.pk)
    if fresh.person.user_id != actor.pk and not actor.is_superuser:
        raise PermissionDenied("This is not your delegation.")
    today = timezone.localdate()
    if fresh.starts_on >= today:
        actions.delete(fresh, actor=actor, action="cancelled a delegation")
        return
    before = actions.snapshot(fresh)
    fresh.ends_on = max(fresh.starts_on, today - dt.timedelta(days=1))
    actions.save(fresh, actor=actor, action="ended a delegation", before=before)
